// Rebuilds the stored vulnerability findings from the per-digest scan results of an inventory
// snapshot. The local driver merges findings as digests finish; in AWS, where each digest is
// scanned by its own worker invocation (scanDigest per SQS message), this runs once the queue
// is drained (or at the start of notify) to merge them per repository.
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import type { VulnerabilityFinding } from '../findings/Finding.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { FindingsCollector, VULN_FINDINGS } from './findings.ts';
import { SCAN_RESULTS, ScanResult } from './ScanResult.ts';

export interface CollectFindingsResult {
  /** In-use digests with a stored scan result. */
  digestsWithResults: number;
  /** In-use digests never scanned yet (their findings, if any, are kept). */
  digestsWithoutResults: number;
  findings: number;
  removed: number;
}

export async function collectFindings(
  snapshot: InventorySnapshot,
  ports: { store: StateStore; clock: Clock; logger: Logger },
): Promise<CollectFindingsResult> {
  const previous = new Map<string, VulnerabilityFinding>();
  for (const { key, value } of await ports.store.list<VulnerabilityFinding>(VULN_FINDINGS))
    previous.set(key, value);
  const collector = new FindingsCollector(snapshot.items, previous);
  const digests = [...new Set(snapshot.items.flatMap((i) => (i.digest ? [i.digest] : [])))];
  let withResults = 0;
  for (const digest of digests) {
    const parsed = ScanResult.safeParse(await ports.store.get(SCAN_RESULTS, digest));
    if (!parsed.success) continue;
    withResults++;
    collector.add(parsed.data, ports.clock.now());
  }
  const current = collector.findings;
  for (const finding of current) await ports.store.put(VULN_FINDINGS, finding.key, finding);
  let removed = 0;
  // with digests still unscanned, a finding missing now may only be missing its result
  if (withResults === digests.length) {
    const keys = new Set(current.map((f) => f.key));
    for (const key of previous.keys()) {
      if (keys.has(key)) continue;
      await ports.store.delete(VULN_FINDINGS, key);
      removed++;
    }
  }
  const result = {
    digestsWithResults: withResults,
    digestsWithoutResults: digests.length - withResults,
    findings: current.length,
    removed,
  };
  ports.logger.info(result, 'vulnerability findings collected');
  return result;
}
