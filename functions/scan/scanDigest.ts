// The scan step for one in-use digest, a pure function of its ports so the local driver and
// the SQS worker Lambda run the same code:
//   1. if we indexed it under the current indexer state, ask Clair whether that index is
//      still current (If-None-Match); otherwise (or when it is stale/missing) build the
//      manifest from the registry and POST it;
//   2. read the vulnerability report (reusing the stored one while Cache-Control allows);
//   3. store the result under `scan-results/<digest>` before returning.
// It never throws for a bad digest: the outcome's status says what happened.
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { parseImageReference } from '../../core/image-reference.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { buildClairManifest } from './buildClairManifest.ts';
import { IndexRejectedError, ThrottledError } from './errors.ts';
import type { ManifestSource } from './ManifestSource.ts';
import { RENOTIFY } from './notifications.ts';
import type { Scanner } from './Scanner.ts';
import { SCAN_RESULTS, ScanResult, type ScanStatus, summarize } from './ScanResult.ts';

export interface ScanPorts {
  scanner: Scanner;
  manifests: ManifestSource;
  store: StateStore;
  clock: Clock;
  logger: Logger;
}

export interface DigestToScan {
  digest: string;
  /** `domain/path` of a repository holding the digest (from the inventory item). */
  repository: string;
}

export interface ScanDigestOptions {
  /** The indexer state fetched once per run; fetched here when absent (one worker invocation). */
  indexState?: string;
  /**
   * Awaited between the index phase and the report read. Clair caps index requests only, so
   * the driver frees the digest's index slot here and waits for a report slot instead.
   */
  beforeReport?: () => Promise<void>;
}

export interface DigestScan {
  result: ScanResult;
  /** Whether a manifest was POSTed to the indexer. */
  indexed: boolean;
  /** Whether the stored report was reused (Cache-Control still fresh). */
  cached: boolean;
}

class NoIndexReport extends Error {
  override name = 'NoIndexReport';
}

export async function scanDigest(
  target: DigestToScan,
  ports: ScanPorts,
  options: ScanDigestOptions = {},
): Promise<DigestScan> {
  const { scanner, store, clock } = ports;
  const log = ports.logger.child({ digest: target.digest, repository: target.repository });
  const stored = ScanResult.safeParse(await store.get(SCAN_RESULTS, target.digest));
  const prior = stored.success ? stored.data : undefined;
  const record: ScanResult = {
    digest: target.digest,
    repository: target.repository,
    status: 'failed',
    vulnerabilities: prior?.vulnerabilities ?? [],
    attempts: prior && prior.status !== 'scanned' ? prior.attempts + 1 : 1,
    updatedAt: clock.now().toISOString(),
    ...pick(prior),
  };
  let indexed = false;
  let cached = false;
  const finish = async (status: ScanStatus, error?: string): Promise<DigestScan> => {
    record.status = status;
    if (status === 'scanned') {
      record.attempts = 1;
      delete record.error;
    } else if (error !== undefined) record.error = error;
    await store.put(SCAN_RESULTS, target.digest, record);
    log[status === 'scanned' ? 'debug' : 'warn']({ status, indexed, cached, error }, 'digest scanned');
    return { result: record, indexed, cached };
  };

  const index = async (state: string): Promise<void> => {
    if (scanner.indexing === 'none') {
      // finished reports keyed by the running digest: nothing to build or POST
      record.manifestHash = target.digest;
      delete record.indexDigest;
      record.indexState = state;
      record.indexedAt = clock.now().toISOString();
      return;
    }
    const built = await buildClairManifest(
      parseImageReference(`${target.repository}@${target.digest}`),
      ports.manifests,
    );
    record.manifestHash = built.manifestHash;
    if (built.indexDigest) record.indexDigest = built.indexDigest;
    else delete record.indexDigest;
    if (built.manifest.layers.length === 0)
      throw new IndexRejectedError('image', 'the image has no layers, so Clair cannot index it');
    const outcome = await scanner.index(built.manifest);
    indexed = outcome.status === 'indexed';
    record.indexState = outcome.etag ?? state;
    record.indexedAt = clock.now().toISOString();
  };

  try {
    const state = options.indexState ?? (await scanner.indexState());
    let current = false;
    if (record.manifestHash && record.indexState === state) {
      const check = await scanner.checkIndexReport(record.manifestHash, record.indexState);
      current = check.status === 'current';
    }
    if (!current) await index(state);
    else if (
      prior?.status === 'scanned' &&
      prior.reportExpiresAt !== undefined &&
      Date.parse(prior.reportExpiresAt) > clock.now().getTime() &&
      (await store.get(RENOTIFY, record.manifestHash as string)) === undefined
    ) {
      cached = true;
      return await finish('scanned');
    }
    const manifestHash = record.manifestHash as string;
    await options.beforeReport?.();
    const readStartedAt = clock.now().getTime();
    let report = await scanner.vulnerabilityReport(manifestHash);
    if (report.status === 'missing' && !indexed) {
      // Clair lost or never finished the index it told us about: index again, once
      await index(state);
      report = await scanner.vulnerabilityReport(manifestHash);
    }
    if (report.status === 'missing')
      throw new NoIndexReport('Clair has no finished index report after indexing');
    if (report.status === 'not-ready')
      return await finish('pending', 'Clair has no vulnerability data yet (202)');
    const now = clock.now();
    record.vulnerabilities = report.report.vulnerabilities;
    record.summary = summarize(report.report.vulnerabilities, report.report.packages, report.report.skipped);
    record.reportFetchedAt = now.toISOString();
    if (report.maxAgeMs !== undefined)
      record.reportExpiresAt = new Date(now.getTime() + report.maxAgeMs).toISOString();
    else delete record.reportExpiresAt;
    if (report.report.skipped > 0)
      log.warn({ skipped: report.report.skipped }, 'report entries did not fit the schema');
    await clearRenotifyMark(store, manifestHash, readStartedAt);
    return await finish('scanned');
  } catch (error) {
    if (error instanceof ThrottledError) return finish('throttled', errorMessage(error));
    if (error instanceof IndexRejectedError) return finish('rejected', errorMessage(error));
    return finish('failed', errorMessage(error));
  }
}

/**
 * A notifier mark asks for this report to be read again before its Cache-Control expiry; once
 * read, the refreshed findings carry the change and notify's diff mails it, so the mark is
 * done. A mark written after the read started is left for the next run.
 */
async function clearRenotifyMark(
  store: StateStore,
  manifestHash: string,
  readStartedAt: number,
): Promise<void> {
  const mark = await store.get<{ markedAt?: string }>(RENOTIFY, manifestHash);
  if (mark === undefined) return;
  const markedAt = Date.parse(mark.markedAt ?? '');
  if (Number.isNaN(markedAt) || markedAt <= readStartedAt) await store.delete(RENOTIFY, manifestHash);
}

/** What a new result carries over from the previous one for the same digest. */
const CARRIED = [
  'manifestHash',
  'indexDigest',
  'indexState',
  'indexedAt',
  'reportFetchedAt',
  'reportExpiresAt',
  'summary',
  'error',
] as const satisfies readonly (keyof ScanResult)[];

function pick(prior: ScanResult | undefined): Partial<ScanResult> {
  if (!prior) return {};
  return Object.fromEntries(
    CARRIED.filter((key) => prior[key] !== undefined).map((key) => [key, prior[key]]),
  );
}
