// Sends queued messages through a Mailer at the configured rate and moves each through the
// outbox state machine. A transient failure leaves the message pending for the next run;
// after a few in a row (the server is down or throttling) the rest of the batch waits too.
// Each message is claimed (a lease) before it goes to the transport and marked sent as soon as
// the transport accepted it: the only message a crash can leave to be sent again is the one in
// flight, and it goes again with the same outbox record (same Message-ID).
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { processHolder } from '../../core/state/lease.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { claimMessage } from './claims.ts';
import { DeliveryError, type Mailer } from './Mailer.ts';
import { applyNotified, saveRecord } from './outbox.ts';
import type { RateLimiter } from './RateLimiter.ts';
import type { OutboxRecord } from './types.ts';

export interface DeliverOptions {
  limiter: RateLimiter;
  clock: Clock;
  logger: Logger;
  /** Consecutive transient failures after which the rest of the batch is left pending. */
  maxConsecutiveTransient?: number;
  signal?: AbortSignal;
  /** Messages in flight at once (the SMTP pool's connections); default 1. */
  concurrency?: number;
  /** Who claims the messages (the run id); default this process. */
  holder?: string;
  claimTtlMs?: number;
  /** Called as messages are done with (sent, refused or left pending), for a progress display. */
  onProgress?: (done: number, total: number) => void;
}

export interface PermanentFailure {
  record: OutboxRecord;
  error: string;
  responseCode?: number;
}

export interface DeliverResult {
  sent: number;
  failed: number;
  pending: number;
  /** Messages another run had claimed (it is sending them): left to it. */
  busy: number;
  permanentFailures: PermanentFailure[];
  sentRecords: OutboxRecord[];
}

export async function deliver(
  records: readonly OutboxRecord[],
  mailer: Mailer,
  store: StateStore,
  options: DeliverOptions,
): Promise<DeliverResult> {
  const result: DeliverResult = {
    sent: 0,
    failed: 0,
    pending: 0,
    busy: 0,
    permanentFailures: [],
    sentRecords: [],
  };
  const holder = options.holder ?? processHolder();
  const maxTransient = options.maxConsecutiveTransient ?? 3;
  let transientInARow = 0;
  let stopped: string | undefined;
  const queue = records.filter((r) => r.status === 'pending');
  let next = 0;
  let finished = 0;
  const sendOne = async (listed: OutboxRecord): Promise<void> => {
    if (stopped !== undefined || options.signal?.aborted) {
      result.pending++;
      return;
    }
    const claim = await claimMessage(store, listed, holder, options.claimTtlMs);
    if (claim.kind === 'busy') {
      result.busy++;
      options.logger.info({ id: listed.message.id }, 'message claimed by another run, left to it');
      return;
    }
    if (claim.kind === 'settled') return;
    try {
      await sendClaimed(claim.record);
    } finally {
      await store.releaseLease(claim.lease);
    }
  };
  const sendClaimed = async (record: OutboxRecord): Promise<void> => {
    await options.limiter.take();
    const attempt: OutboxRecord = { ...record, attempts: record.attempts + 1 };
    const log = { id: record.message.id, to: record.message.to, attempt: attempt.attempts };
    let receipt: string;
    try {
      receipt = (await mailer.send(record.message)).response;
    } catch (caught) {
      const error =
        caught instanceof DeliveryError
          ? caught
          : new DeliveryError(errorMessage(caught), { kind: 'transient', cause: caught });
      if (error.kind === 'permanent') {
        result.failed++;
        const failed: OutboxRecord = { ...attempt, status: 'failed', lastError: error.message };
        await saveRecord(store, failed);
        result.permanentFailures.push({
          record: failed,
          error: error.message,
          ...(error.responseCode !== undefined ? { responseCode: error.responseCode } : {}),
        });
        options.logger.warn(
          { ...log, code: error.responseCode, error: error.message },
          'recipient refused the message',
        );
        transientInARow = 0;
        return;
      }
      result.pending++;
      transientInARow++;
      await saveRecord(store, { ...attempt, lastError: error.message });
      options.logger.warn(
        { ...log, code: error.responseCode, error: error.message },
        'delivery failed, kept pending',
      );
      if (stopped === undefined && (error.stopRun || transientInARow >= maxTransient)) {
        stopped = error.message;
        options.logger.warn(
          { mailer: mailer.name, reason: stopped },
          'mail transport unavailable, rest left pending',
        );
      }
      return;
    }
    transientInARow = 0;
    // a sent message is never sent again: keep its metadata and finding keys, drop the bodies
    // (tens of KiB each) so the outbox stays small in the state store
    const sent: OutboxRecord = {
      ...attempt,
      message: { ...attempt.message, text: '', html: '' },
      status: 'sent',
      sentAt: options.clock.now().toISOString(),
    };
    delete sent.lastError;
    // sent first: if we crash before the notified state is written, the next run repairs it
    await saveRecord(store, sent);
    await applyNotified(store, sent, sent.message.kind === 'undeliverable' ? sent.message.to : undefined);
    result.sent++;
    result.sentRecords.push(sent);
    options.logger.debug({ ...log, response: receipt }, 'message sent');
  };
  // a few messages in flight (one per pooled SMTP connection); the limiter paces them all
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      await sendOne(queue[next++] as OutboxRecord);
      finished += 1;
      options.onProgress?.(finished, queue.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, queue.length) }, worker));
  return result;
}
