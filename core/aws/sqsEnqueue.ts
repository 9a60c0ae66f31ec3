// Putting many small JSON messages on an SQS queue (the scan fan-out: one message per
// digest). SendMessageBatch takes at most 10 entries and 256 KiB per call and can fail some
// entries while accepting the others: failed entries that are not the sender's fault are
// retried with backoff; what still fails is counted and returned with its reason, never thrown.
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { mapBounded } from '../concurrency.ts';
import { errorMessage } from '../errors.ts';
import { backoffDelay, defaultSleep } from '../retry.ts';

/** The one method of SQSClient used here; tests pass a fake. */
export type SqsSender = Pick<SQSClient, 'send'>;

export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

export interface EnqueueOptions {
  client: SqsSender;
  queueUrl: string;
  /** Batches in flight at once (default 4). */
  concurrency?: number;
  /** Attempts per entry for retryable entry failures (default 3). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface EnqueueFailure<T> {
  item: T;
  reason: string;
}

export interface EnqueueResult<T> {
  sent: number;
  failed: EnqueueFailure<T>[];
  /** SendMessageBatch calls made, retries included. */
  calls: number;
}

interface Entry<T> {
  id: string;
  item: T;
  body: string;
}

/** Groups entries into batches within SQS's entry-count and payload-size limits. */
export function planBatches<T>(entries: Entry<T>[]): Entry<T>[][] {
  const batches: Entry<T>[][] = [];
  let current: Entry<T>[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body);
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function enqueueMessages<T>(
  items: readonly T[],
  toBody: (item: T) => unknown,
  options: EnqueueOptions,
): Promise<EnqueueResult<T>> {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? defaultSleep;
  const failed: EnqueueFailure<T>[] = [];
  let sent = 0;
  let calls = 0;
  const entries: Entry<T>[] = [];
  items.forEach((item, i) => {
    const body = JSON.stringify(toBody(item));
    if (Buffer.byteLength(body) > MAX_BATCH_BYTES) failed.push({ item, reason: 'message body over 256 KiB' });
    else entries.push({ id: `m${i}`, item, body });
  });

  const sendBatch = async (batch: Entry<T>[]): Promise<void> => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let out: SendMessageBatchCommandOutput;
      calls += 1;
      try {
        out = await options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: pending.map((e) => ({ Id: e.id, MessageBody: e.body })),
          }),
        );
      } catch (error) {
        // The SDK has already retried throttling and 5xx; the whole batch is lost for this run.
        for (const e of pending) failed.push({ item: e.item, reason: errorMessage(error) });
        return;
      }
      const byId = new Map(pending.map((e) => [e.id, e]));
      sent += out.Successful?.length ?? 0;
      const retry: Entry<T>[] = [];
      for (const failure of out.Failed ?? []) {
        const entry = failure.Id === undefined ? undefined : byId.get(failure.Id);
        if (!entry) continue;
        const reason = `${failure.Code ?? 'error'}: ${failure.Message ?? 'no message'}`;
        if (failure.SenderFault || attempt >= attempts) failed.push({ item: entry.item, reason });
        else retry.push(entry);
      }
      // Entries neither accepted nor reported failed would be lost silently: count them.
      const answered = new Set([...(out.Successful ?? []), ...(out.Failed ?? [])].map((r) => r.Id));
      for (const e of pending) {
        if (!answered.has(e.id))
          failed.push({ item: e.item, reason: 'not in the SendMessageBatch response' });
      }
      pending = retry;
      if (pending.length > 0) await sleep(backoffDelay(attempt, 100, 2000, options.random));
    }
  };

  await mapBounded(planBatches(entries), options.concurrency ?? 4, sendBatch);
  return { sent, failed, calls };
}
