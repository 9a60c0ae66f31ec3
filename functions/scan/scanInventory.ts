// The local scan driver: runs scanDigest over every unique in-use digest of an inventory
// snapshot with a bounded, adaptive concurrency. On 429 it halves its concurrency and puts
// the digest back after a jittered backoff; a 202 (report not ready) is retried later in the
// run and then left for the next run. Findings are merged and stored as digests finish, and
// findings no in-use digest carries any more are removed at the end. In AWS the same
// scanDigest runs in a worker Lambda per SQS message instead.
import { errorMessage } from '../../core/errors.ts';
import type { VulnerabilityFinding } from '../../core/findings/Finding.ts';
import { backoffDelay, defaultSleep } from '../../core/retry.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { AdaptiveLimit } from './AdaptiveLimit.ts';
import { FindingsCollector, VULN_FINDINGS } from './findings.ts';
import type { ScanStatus } from './ScanResult.ts';
import { Semaphore } from './Semaphore.ts';
import { type DigestScan, type DigestToScan, type ScanPorts, scanDigest } from './scanDigest.ts';

export interface ScanInventoryOptions {
  /** Most digests in flight (default 4); lowered on 429, recovered after successes. */
  concurrency?: number;
  /** How often one digest may be put back after a 429 before it is left for the next run. */
  throttleRetries?: number;
  throttleBaseMs?: number;
  throttleMaxMs?: number;
  /** How often a 202 (not ready) is retried in this run, and after how long. */
  notReadyRetries?: number;
  notReadyDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
  /** Called as digests finish (scanned or not), for a progress display. */
  onProgress?: (done: number, total: number) => void;
}

export interface DigestProblem {
  digest: string;
  repository: string;
  status: ScanStatus;
  reason: string;
}

export interface ScanRunResult {
  /** Unique in-use digests in the snapshot. */
  digests: number;
  /** Inventory items without a digest (nothing to scan). */
  unresolved: number;
  scanned: number;
  /** Manifests POSTed to the indexer. */
  indexed: number;
  /** Reports reused because Clair's Cache-Control said they were still fresh. */
  cached: number;
  pending: number;
  failed: number;
  rejected: number;
  throttled: number;
  /** 429 answers received over the run. */
  throttles: number;
  /** Lowest concurrency the run dropped to. */
  minConcurrency: number;
  findings: number;
  findingsRemoved: number;
  problems: DigestProblem[];
}

interface Job {
  target: DigestToScan;
  throttles: number;
  notReady: number;
  /** Whether any attempt of this job POSTed the manifest. */
  indexed: boolean;
}

export async function scanInventory(
  snapshot: InventorySnapshot,
  ports: ScanPorts,
  options: ScanInventoryOptions = {},
): Promise<ScanRunResult> {
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms, options.signal));
  const limit = new AdaptiveLimit(options.concurrency ?? 4);
  const { targets, unresolved } = uniqueDigests(snapshot);
  const result = emptyResult(targets.size, unresolved, limit.current);
  const previous = new Map<string, VulnerabilityFinding>();
  for (const { key, value } of await ports.store.list<VulnerabilityFinding>(VULN_FINDINGS))
    previous.set(key, value);
  const collector = new FindingsCollector(snapshot.items, previous);
  // fetched once per run: a failure here means Clair is unreachable and the run meaningless
  const indexState = await ports.scanner.indexState();

  let finished = 0;
  const progress = (): void => {
    finished += 1;
    options.onProgress?.(finished, result.digests);
  };
  const finalize = async (job: Job, scan: DigestScan): Promise<void> => {
    // counted when the digest is done, before its findings are written
    progress();
    await recordScan(result, collector, ports, job, scan);
  };

  const queue: Job[] = [...targets.values()].map((target) => ({
    target,
    throttles: 0,
    notReady: 0,
    indexed: false,
  }));
  // digests in their index phase (what Clair's 429 limits), digests anywhere in the pipeline,
  // and report reads (bounded separately by the configured concurrency)
  let inFlight = 0;
  let active = 0;
  const reports = new Semaphore(options.concurrency ?? 4);
  let delayed = 0;
  // when some digest has no result at all, keep the stored findings it may still carry
  let incomplete = false;
  await new Promise<void>((resolve) => {
    const later = (job: Job, ms: number): void => {
      delayed++;
      void sleep(ms)
        .catch(() => undefined)
        .then(() => {
          delayed--;
          queue.push(job);
          pump();
        });
    };
    const run = async (job: Job, releaseIndexSlot: () => void): Promise<void> => {
      const epoch = limit.epoch;
      let scan: DigestScan;
      let holdsReportSlot = false;
      try {
        scan = await scanDigest(job.target, ports, {
          indexState,
          beforeReport: async () => {
            releaseIndexSlot();
            await reports.acquire();
            holdsReportSlot = true;
          },
        });
      } catch (error) {
        // scanDigest reports per-digest failures itself; this is the state store failing
        incomplete = true;
        result.failed++;
        result.problems.push({ ...job.target, status: 'failed', reason: errorMessage(error) });
        progress();
        return;
      } finally {
        if (holdsReportSlot) reports.release();
      }
      const status = scan.result.status;
      if (scan.indexed) job.indexed = true;
      if (status === 'throttled') {
        result.throttles++;
        limit.onThrottle(epoch);
        result.minConcurrency = Math.min(result.minConcurrency, limit.current);
      } else limit.onSuccess();
      const delay = retryDelay(job, status, options);
      if (delay !== undefined) later(job, delay);
      else await finalize(job, scan);
    };
    const pump = (): void => {
      while (inFlight < limit.current && queue.length > 0) {
        const job = queue.shift() as Job;
        if (options.signal?.aborted) {
          incomplete = true;
          result.failed++;
          result.problems.push({ ...job.target, status: 'failed', reason: 'run aborted before this digest' });
          progress();
          continue;
        }
        inFlight++;
        active++;
        let indexSlot = true;
        const releaseIndexSlot = (): void => {
          if (!indexSlot) return;
          indexSlot = false;
          inFlight--;
          pump();
        };
        void run(job, releaseIndexSlot)
          .catch((error: unknown) => {
            incomplete = true;
            result.failed++;
            result.problems.push({ ...job.target, status: 'failed', reason: errorMessage(error) });
            progress();
          })
          .finally(() => {
            active--;
            if (indexSlot) releaseIndexSlot();
            else pump();
          });
      }
      if (active === 0 && delayed === 0 && queue.length === 0) resolve();
    };
    pump();
  });

  await removeResolved(result, collector, previous, ports, incomplete);
  ports.logger.info({ ...result, problems: result.problems.length }, 'scan run finished');
  return result;
}

/** The unique in-use digests of a snapshot (first repository seen for each), and items without one. */
function uniqueDigests(snapshot: InventorySnapshot): {
  targets: Map<string, DigestToScan>;
  unresolved: number;
} {
  const targets = new Map<string, DigestToScan>();
  let unresolved = 0;
  for (const item of snapshot.items) {
    if (!item.digest) unresolved++;
    else if (!targets.has(item.digest))
      targets.set(item.digest, { digest: item.digest, repository: item.repository });
  }
  return { targets, unresolved };
}

function emptyResult(digests: number, unresolved: number, concurrency: number): ScanRunResult {
  return {
    digests,
    unresolved,
    scanned: 0,
    indexed: 0,
    cached: 0,
    pending: 0,
    failed: 0,
    rejected: 0,
    throttled: 0,
    throttles: 0,
    minConcurrency: concurrency,
    findings: 0,
    findingsRemoved: 0,
    problems: [],
  };
}

/** Counts a digest's final outcome and stores the findings it changed. */
async function recordScan(
  result: ScanRunResult,
  collector: FindingsCollector,
  ports: ScanPorts,
  job: Job,
  scan: DigestScan,
): Promise<void> {
  const r = scan.result;
  if (job.indexed) result.indexed++;
  if (scan.cached) result.cached++;
  result[r.status]++;
  if (r.status !== 'scanned')
    result.problems.push({
      digest: r.digest,
      repository: job.target.repository,
      status: r.status,
      reason: r.error ?? r.status,
    });
  for (const { key } of collector.add(r, ports.clock.now())) {
    // another digest may have merged into this finding while we awaited: write the latest
    await ports.store.put(VULN_FINDINGS, key, collector.current(key));
  }
}

/** Removes stored findings no in-use digest carries any more, unless some digest has no result. */
async function removeResolved(
  result: ScanRunResult,
  collector: FindingsCollector,
  previous: ReadonlyMap<string, VulnerabilityFinding>,
  ports: ScanPorts,
  incomplete: boolean,
): Promise<void> {
  const current = new Set(collector.findings.map((f) => f.key));
  result.findings = current.size;
  for (const key of previous.keys()) {
    if (incomplete || current.has(key)) continue;
    await ports.store.delete(VULN_FINDINGS, key);
    result.findingsRemoved++;
  }
}

/** When to try a throttled or not-ready digest again in this run; undefined when not again. */
function retryDelay(job: Job, status: ScanStatus, options: ScanInventoryOptions): number | undefined {
  if (options.signal?.aborted) return undefined;
  if (status === 'throttled' && ++job.throttles <= (options.throttleRetries ?? 8)) {
    return backoffDelay(
      job.throttles,
      options.throttleBaseMs ?? 1000,
      options.throttleMaxMs ?? 30_000,
      options.random,
    );
  }
  if (status === 'pending' && ++job.notReady <= (options.notReadyRetries ?? 2)) {
    return options.notReadyDelayMs ?? 5000;
  }
  return undefined;
}
