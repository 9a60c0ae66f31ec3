// Vulnerability findings for one repository, recomputed from the stored per-digest scan
// results. The local scan driver merges findings across a whole run; in AWS each worker
// invocation scans a few digests, so after each digest the findings of its repository are
// rebuilt from every in-use digest of that repository (same FindingsCollector, same keys).
// Two workers finishing digests of one repository at the same moment may each miss the
// other's result; the next hourly run converges.
import type { Clock } from '../../core/clock.ts';
import { VulnerabilityFinding } from '../../core/findings/Finding.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { FindingsCollector, VULN_FINDINGS } from './findings.ts';
import { SCAN_RESULTS, ScanResult } from './ScanResult.ts';

export interface RepositoryFindingsResult {
  written: number;
  removed: number;
  /** In-use digests of the repository with no stored result yet (nothing is removed then). */
  missing: number;
}

export async function refreshRepositoryFindings(
  store: StateStore,
  snapshot: InventorySnapshot,
  repository: string,
  clock: Clock,
): Promise<RepositoryFindingsResult> {
  const items = snapshot.items.filter((item) => item.repository === repository && item.digest);
  const previous = new Map<string, VulnerabilityFinding>();
  for (const { key, value } of await store.list<unknown>(VULN_FINDINGS, `vuln|${repository}|`)) {
    const parsed = VulnerabilityFinding.safeParse(value);
    if (parsed.success) previous.set(key, parsed.data);
  }
  const collector = new FindingsCollector(items, previous);
  let missing = 0;
  const now = clock.now();
  for (const digest of new Set(items.map((item) => item.digest as string))) {
    const parsed = ScanResult.safeParse(await store.get(SCAN_RESULTS, digest));
    // a failed or pending result keeps the vulnerabilities of its last good report
    if (parsed.success) collector.add(parsed.data, now);
    else missing++;
  }
  const current = collector.findings;
  for (const finding of current) await store.put(VULN_FINDINGS, finding.key, finding);
  let removed = 0;
  if (missing === 0) {
    const keep = new Set(current.map((f) => f.key));
    for (const key of previous.keys()) {
      if (keep.has(key)) continue;
      await store.delete(VULN_FINDINGS, key);
      removed++;
    }
  }
  return { written: current.length, removed, missing };
}

/** Removes findings of repositories no longer running anywhere (the inventory calls this). */
export async function retireUnusedFindings(store: StateStore, snapshot: InventorySnapshot): Promise<number> {
  const inUse = new Set(snapshot.items.map((item) => item.repository));
  let retired = 0;
  for (const { key, value } of await store.list<unknown>(VULN_FINDINGS)) {
    const parsed = VulnerabilityFinding.safeParse(value);
    if (parsed.success && inUse.has(parsed.data.repository)) continue;
    await store.delete(VULN_FINDINGS, key);
    retired++;
  }
  return retired;
}
