// Policy findings between steps: StateStore collection `policy-findings`, one record per
// finding key. A finding that no longer holds is removed, so the notify step only sees what
// is true now; `detectedAt` of a finding that persists is kept from its first sighting.

import { PolicyFinding } from '../../core/findings/Finding.ts';
import type { StateStore } from '../../core/state/StateStore.ts';

export const POLICY_COLLECTION = 'policy-findings';

export async function savePolicyFindings(
  store: StateStore,
  findings: readonly PolicyFinding[],
  /** Pass false when the inventory was partial (failed shards): absent images may still run. */
  options: { clearMissing?: boolean } = {},
): Promise<{ written: number; cleared: number }> {
  const previous = await store.list<unknown>(POLICY_COLLECTION);
  const firstSeen = new Map<string, string>();
  for (const record of previous) {
    const parsed = PolicyFinding.safeParse(record.value);
    if (parsed.success) firstSeen.set(record.key, parsed.data.detectedAt);
  }
  const current = new Set(findings.map((f) => f.key));
  for (const finding of findings) {
    await store.put(POLICY_COLLECTION, finding.key, {
      ...finding,
      detectedAt: firstSeen.get(finding.key) ?? finding.detectedAt,
    });
  }
  let cleared = 0;
  if (options.clearMissing === false) return { written: findings.length, cleared };
  for (const record of previous) {
    if (!current.has(record.key)) {
      await store.delete(POLICY_COLLECTION, record.key);
      cleared++;
    }
  }
  return { written: findings.length, cleared };
}
