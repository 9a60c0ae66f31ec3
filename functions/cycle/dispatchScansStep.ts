// What the scheduled inventory function does after the inventory step, in AWS: process the
// Clair notifications the webhook function recorded (marking affected in-use images, whose
// reports the scan then reads again), then put one message per unique in-use digest on the
// scan queue for the scan-worker function. Locally `imagewarden scan` scans the snapshot in
// process instead, and `serve-webhook` processes notifications as they come.
import { enqueueMessages, type SqsSender } from '../../core/aws/sqsEnqueue.ts';
import type { Clock } from '../../core/clock.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import type { InventorySnapshot } from '../inventory/InventoryItem.ts';
import { type PendingResult, processPendingNotifications } from '../scan/pendingNotifications.ts';
import type { ScanMessage } from '../scan/ScanMessage.ts';
import type { Scanner } from '../scan/Scanner.ts';

export interface DispatchPorts {
  store: StateStore;
  clock: Clock;
  logger: Logger;
  queue: { client: SqsSender; queueUrl: string };
  /** Clair, to page through recorded notifications; undefined when no Clair is configured. */
  clair: () => Promise<{ scanner: Scanner; psk?: Uint8Array } | undefined>;
  sleep: (ms: number) => Promise<void>;
}

export interface DispatchResult {
  digests: number;
  enqueued: number;
  enqueueFailed: number;
  notifications: PendingResult;
  /** Some message was not enqueued or some notification stays pending. */
  degraded: boolean;
}

export async function dispatchScansStep(
  ports: DispatchPorts,
  snapshot: InventorySnapshot,
  options: { pageSize: number },
): Promise<DispatchResult> {
  const notifications = await processNotifications(ports, options.pageSize);
  const targets = new Map<string, ScanMessage>();
  for (const item of snapshot.items) {
    if (item.digest && !targets.has(item.digest)) {
      targets.set(item.digest, { v: 1, digest: item.digest, repository: item.repository });
    }
  }
  const messages = [...targets.values()];
  const enqueued = await enqueueMessages(messages, (m) => m, ports.queue);
  for (const failure of enqueued.failed.slice(0, 10)) {
    ports.logger.warn({ digest: failure.item.digest, reason: failure.reason }, 'scan message not enqueued');
  }
  if (messages.length > 0 && enqueued.sent === 0) {
    // Nothing reached the queue: no scan happens this cycle. Fail loudly so Lambda retries.
    throw new UpstreamError(
      'sqs',
      `no scan message could be enqueued (${enqueued.failed[0]?.reason ?? 'unknown reason'})`,
    );
  }
  return {
    digests: messages.length,
    enqueued: enqueued.sent,
    enqueueFailed: enqueued.failed.length,
    notifications,
    degraded: enqueued.failed.length > 0 || notifications.failed > 0,
  };
}

/** Pending Clair notifications; a Clair problem leaves them pending and does not stop the run. */
async function processNotifications(ports: DispatchPorts, pageSize: number): Promise<PendingResult> {
  try {
    const clair = await ports.clair();
    if (!clair) return { processed: 0, marked: 0, failed: 0 };
    return await processPendingNotifications(
      {
        scanner: clair.scanner,
        store: ports.store,
        clock: ports.clock,
        logger: ports.logger,
        sleep: ports.sleep,
      },
      {
        ...(clair.psk ? { psk: clair.psk } : {}),
        pageSize,
        // a notification Clair has no receipt for yet is simply tried again next hour
        deleteAttempts: 2,
        deleteDelayMs: 1000,
      },
    );
  } catch (error) {
    ports.logger.warn({ err: errorMessage(error) }, 'Clair notifications left pending');
    return { processed: 0, marked: 0, failed: 1 };
  }
}
