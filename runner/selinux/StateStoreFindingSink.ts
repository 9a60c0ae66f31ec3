// Findings into the shared StateStore (`selinux-findings`) as `SelinuxFinding` records, which
// the notify function emails to the security contact. Used by `runner selinux-audit
// --store-findings` where the audit runs with access to the state store.
import { errorMessage } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import { SELINUX_FINDINGS_COLLECTION, toSelinuxFinding } from '../../core/findings/toSelinuxFinding.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import type { FindingSink, SinkResult } from './FindingSink.ts';

export class StateStoreFindingSink implements FindingSink {
  readonly name = 'state';
  constructor(
    private readonly store: StateStore,
    private readonly securityContact: string,
  ) {}

  async publish(issues: readonly SelinuxIssue[], context: { node?: string; at: Date }): Promise<SinkResult> {
    const result: SinkResult = { sent: 0, failed: 0, skipped: 0, errors: [] };
    for (const issue of issues) {
      try {
        const finding = toSelinuxFinding(issue, {
          securityContact: this.securityContact,
          at: context.at,
          ...(context.node ? { node: context.node } : {}),
        });
        await this.store.put(SELINUX_FINDINGS_COLLECTION, finding.key, finding);
        result.sent++;
      } catch (error) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(errorMessage(error));
      }
    }
    return result;
  }
}
