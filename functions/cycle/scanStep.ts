// The scan step, in its two compositions: `scanStep` scans every in-use digest of the stored
// inventory in this process (`imagewarden scan`, `imagewarden run`); `scanBatchStep` scans the
// digests of one scan-queue batch (the scan-worker Lambda) and rebuilds the findings of each
// repository after each digest, since in AWS no single invocation sees the whole run. Both
// run scanDigest on the same ports, so a digest gives the same result and findings either way.
import { errorMessage, ValidationError } from '../../core/errors.ts';
import { processHolder, withLease } from '../../core/state/lease.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { loadInventory } from '../inventory/inventoryStore.ts';
import { refreshRepositoryFindings } from '../scan/repositoryFindings.ts';
import type { ScanStatus } from '../scan/ScanResult.ts';
import { type DigestToScan, type ScanPorts, scanDigest } from '../scan/scanDigest.ts';
import { type ScanInventoryOptions, type ScanRunResult, scanInventory } from '../scan/scanInventory.ts';

export type ScanStepResult =
  | { status: 'no-inventory' }
  | {
      status: 'done';
      result: ScanRunResult;
      /** Some digest failed or Clair kept throttling: they are retried next run. */
      degraded: boolean;
    };

export async function scanStep(
  ports: ScanPorts,
  options: ScanInventoryOptions = {},
): Promise<ScanStepResult> {
  const snapshot = await loadInventory(ports.store);
  if (!snapshot) return { status: 'no-inventory' };
  const result = await scanInventory(snapshot, ports, options);
  return { status: 'done', result, degraded: result.failed > 0 || result.throttled > 0 };
}

/** Statuses worth another delivery: the digest may scan next time. `rejected` is final. */
const RETRY: ReadonlySet<ScanStatus> = new Set(['failed', 'throttled', 'pending']);

export interface ScanBatchResult {
  /** Ids of the items to try again (another delivery of their message). */
  retry: string[];
  counts: Record<ScanStatus | 'deferred', number>;
  /** Whether an inventory snapshot was there to rebuild findings from. */
  inventory: boolean;
}

export async function scanBatchStep(
  /** Built lazily: a scanner that cannot be built returns the whole batch. */
  ports: () => Promise<ScanPorts>,
  items: ReadonlyArray<{ id: string; target: DigestToScan }>,
  options: {
    /** Time left before the invocation's deadline, when known. */
    remainingMs?: () => number | undefined;
    /** Time to leave for storing a result: a digest that may need a full index is not started later. */
    reserveMs: number;
    logger: ScanPorts['logger'];
    /** Who holds the per-repository rebuild lease (the invocation's request id in Lambda). */
    requestId?: string;
  },
): Promise<ScanBatchResult> {
  const counts: ScanBatchResult['counts'] = {
    scanned: 0,
    pending: 0,
    failed: 0,
    rejected: 0,
    throttled: 0,
    deferred: 0,
  };
  let scanPorts: ScanPorts;
  let indexState: string;
  try {
    scanPorts = await ports();
    // once per batch; Clair unreachable means no digest of this batch can be scanned
    indexState = await scanPorts.scanner.indexState();
  } catch (error) {
    options.logger.error(
      { err: errorMessage(error), messages: items.length },
      'scanner unavailable; batch returned',
    );
    return { retry: items.map((i) => i.id), counts, inventory: false };
  }
  const { store, clock, logger } = scanPorts;
  let snapshot: InventorySnapshot | undefined;
  try {
    snapshot = await loadInventory(store);
  } catch (error) {
    // a damaged snapshot must not block scanning; findings are rebuilt after the next inventory
    if (!(error instanceof ValidationError)) throw error;
    logger.warn({ err: errorMessage(error) }, 'inventory snapshot unreadable; findings not refreshed');
  }
  const retry: string[] = [];
  for (const { id, target } of items) {
    const remaining = options.remainingMs?.();
    if (remaining !== undefined && remaining < options.reserveMs) {
      counts.deferred++;
      retry.push(id);
      continue;
    }
    try {
      const scan = await scanDigest(target, scanPorts, { indexState });
      const status = scan.result.status;
      counts[status]++;
      if (RETRY.has(status)) retry.push(id);
      if (snapshot && status !== 'pending') {
        const inventory = snapshot;
        // one rebuild of a repository at a time, so a slower one cannot overwrite a newer one;
        // a rebuild held elsewhere past the wait fails this item and SQS delivers it again
        await withLease(
          store,
          {
            name: `findings/${target.repository}`,
            holder: processHolder(options.requestId),
            ttlMs: 60_000,
          },
          () => refreshRepositoryFindings(store, inventory, target.repository, clock),
          { waitMs: 20_000, pollMs: 200 },
        );
      }
    } catch (error) {
      // scanDigest reports digest problems in its result; this is the state store failing
      counts.failed++;
      retry.push(id);
      logger.error({ digest: target.digest, err: errorMessage(error) }, 'scanning a digest failed');
    }
  }
  return { retry, counts, inventory: snapshot !== undefined };
}
