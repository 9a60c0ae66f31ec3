// Reads the open findings the earlier steps stored: vulnerabilities (scan), policy breaches
// (inventory/policy) and SELinux problems (runner). A record that fails the schema is counted
// and skipped; it never stops the run.

import { Finding } from '../../core/findings/Finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';

export const FINDING_COLLECTIONS = ['vuln-findings', 'policy-findings', 'selinux-findings'] as const;

export async function loadOpenFindings(
  store: StateStore,
  logger?: Logger,
): Promise<{ findings: Finding[]; invalid: number }> {
  const findings: Finding[] = [];
  let invalid = 0;
  for (const collection of FINDING_COLLECTIONS) {
    for (const record of await store.list<unknown>(collection)) {
      const parsed = Finding.safeParse(record.value);
      if (parsed.success) findings.push(parsed.data);
      else {
        invalid++;
        logger?.warn({ collection, key: record.key }, 'skipping a stored finding that fails the schema');
      }
    }
  }
  return { findings, invalid };
}
