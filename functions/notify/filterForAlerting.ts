// Which stored findings deserve an alert. Applied when alerting, never when storing: unfixed
// and low findings stay in the stored report.

import type { VulnerabilityFinding } from '../../core/findings/Finding.ts';
import { atLeast, type Severity } from '../../core/severity.ts';

/**
 * Whether an active acknowledgement covers a finding at `now`. The notify step owns the
 * acknowledgements (StateStore collection `acks`) and supplies this function.
 */
export type AckMatcher = (finding: VulnerabilityFinding, now: Date) => boolean;

export const noAcks: AckMatcher = () => false;

export interface AlertFilter {
  /** Default High. */
  minSeverity?: Severity;
  /** Default true: findings without a fixed version are not alerted. */
  fixableOnly?: boolean;
  acks?: AckMatcher;
  now: Date;
}

export interface FilteredFindings {
  alert: VulnerabilityFinding[];
  suppressed: { belowSeverity: number; unfixable: number; acknowledged: number };
}

export function filterForAlerting(
  findings: readonly VulnerabilityFinding[],
  filter: AlertFilter,
): FilteredFindings {
  const minSeverity = filter.minSeverity ?? 'High';
  const fixableOnly = filter.fixableOnly ?? true;
  const acks = filter.acks ?? noAcks;
  const out: FilteredFindings = {
    alert: [],
    suppressed: { belowSeverity: 0, unfixable: 0, acknowledged: 0 },
  };
  for (const finding of findings) {
    if (!atLeast(finding.severity, minSeverity)) out.suppressed.belowSeverity++;
    else if (fixableOnly && finding.fixedIn === undefined) out.suppressed.unfixable++;
    else if (acks(finding, filter.now)) out.suppressed.acknowledged++;
    else out.alert.push(finding);
  }
  return out;
}
