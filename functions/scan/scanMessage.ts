// The SQS fan-out shape of the scan step: the inventory side puts one ScanMessage per unique
// in-use digest on the queue; each worker invocation runs scanDigest for one message. A digest
// Clair throttled or has no report for yet throws RetryLaterError, so SQS redelivers it after
// the visibility timeout (its own backoff) instead of the worker spinning.
import { z } from 'zod';
import { ImagewardenError, ValidationError } from '../../core/errors.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { type DigestScan, type ScanPorts, scanDigest } from './scanDigest.ts';

export const ScanMessage = z.object({
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  repository: z.string().min(1),
});
export type ScanMessage = z.infer<typeof ScanMessage>;

/** Thrown by the worker for a digest worth another try soon (429, 202); the queue retries it. */
export class RetryLaterError extends ImagewardenError {
  override name = 'RetryLaterError';
}

/** One message per unique digest of the snapshot (items without a digest have nothing to scan). */
export function scanMessages(snapshot: InventorySnapshot): ScanMessage[] {
  const seen = new Map<string, ScanMessage>();
  for (const item of snapshot.items) {
    if (item.digest && !seen.has(item.digest))
      seen.set(item.digest, { digest: item.digest, repository: item.repository });
  }
  return [...seen.values()];
}

/**
 * Scans the digest of one queue message body. Returns the outcome for scanned, failed and
 * rejected digests (all stored); throws ValidationError for a malformed body (drop it) and
 * RetryLaterError for throttled or not-ready ones.
 */
export async function handleScanMessage(body: string, ports: ScanPorts): Promise<DigestScan> {
  let message: ScanMessage;
  try {
    message = ScanMessage.parse(JSON.parse(body));
  } catch (error) {
    throw new ValidationError('scan queue message', 'expected {"digest":"sha256:...","repository":"..."}', {
      cause: error,
    });
  }
  const scan = await scanDigest(message, ports);
  if (scan.result.status === 'throttled' || scan.result.status === 'pending')
    throw new RetryLaterError(
      `${message.repository}@${message.digest}: ${scan.result.error ?? scan.result.status}`,
    );
  return scan;
}
