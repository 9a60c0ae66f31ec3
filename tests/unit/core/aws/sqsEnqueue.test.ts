import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  enqueueMessages,
  MAX_BATCH_ENTRIES,
  planBatches,
  type SqsSender,
} from '../../../../core/aws/sqsEnqueue.ts';

const QUEUE = 'https://sqs.eu-north-1.amazonaws.com/123456789012/imagewarden-scan';

interface Plan {
  /** Digests whose entry fails this many times with a server-side (retryable) error. */
  transient?: Record<string, number>;
  /** Digests refused as the sender's fault (never retried). */
  senderFault?: string[];
  /** A call carrying this digest throws as a whole, as the SDK does after its own retries. */
  throwWith?: string;
  /** Digests the service leaves out of the response entirely. */
  silentlyDropped?: string[];
}

/** An SQS fake following SendMessageBatch: <= 10 entries, per-entry Successful/Failed. */
function fakeSqs(plan: Plan = {}) {
  const queue: string[] = [];
  const batchSizes: number[] = [];
  const transient = { ...plan.transient };
  let call = 0;
  const client: SqsSender = {
    send: (async (command: SendMessageBatchCommand) => {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error('unexpected command');
      call += 1;
      const entries = command.input.Entries ?? [];
      if (command.input.QueueUrl !== QUEUE) throw new Error('wrong queue');
      if (entries.length > 10)
        throw Object.assign(new Error('too many'), { name: 'TooManyEntriesInBatchRequest' });
      if (entries.some((e) => plan.throwWith && e.MessageBody?.includes(plan.throwWith))) {
        throw Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
      }
      batchSizes.push(entries.length);
      const Successful: Array<{ Id: string; MessageId: string; MD5OfMessageBody: string }> = [];
      const Failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message: string }> = [];
      for (const entry of entries) {
        const digest = (JSON.parse(entry.MessageBody ?? '{}') as { digest: string }).digest;
        if (plan.silentlyDropped?.includes(digest)) continue;
        if (plan.senderFault?.includes(digest)) {
          Failed.push({
            Id: entry.Id ?? '',
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: 'bad',
          });
        } else if ((transient[digest] ?? 0) > 0) {
          transient[digest] = (transient[digest] ?? 0) - 1;
          Failed.push({
            Id: entry.Id ?? '',
            SenderFault: false,
            Code: 'InternalError',
            Message: 'try again',
          });
        } else {
          queue.push(entry.MessageBody ?? '');
          Successful.push({ Id: entry.Id ?? '', MessageId: `id-${queue.length}`, MD5OfMessageBody: 'x' });
        }
      }
      return { Successful, Failed, $metadata: {} };
    }) as SqsSender['send'],
  };
  return { client, queue, batchSizes, calls: () => call };
}

const digests = (n: number) => Array.from({ length: n }, (_, i) => `sha256:${String(i).padStart(64, '0')}`);
const noSleep = async () => {};

describe('enqueueMessages', () => {
  it('puts one message per item on the queue in batches of at most 10', async () => {
    // Prepare
    const sqs = fakeSqs();
    const items = digests(23);

    // Act
    const result = await enqueueMessages(items, (digest) => ({ digest }), {
      client: sqs.client,
      queueUrl: QUEUE,
    });

    // Assess
    expect(result).toEqual({ sent: 23, failed: [], calls: 3 });
    expect(sqs.batchSizes.sort()).toEqual([10, 10, 3]);
    expect(sqs.queue.map((b) => JSON.parse(b).digest).sort()).toEqual(items);
  });

  it('retries entries SQS failed on its side and sends each exactly once', async () => {
    // Prepare
    const items = digests(12);
    const sqs = fakeSqs({ transient: { [items[3] as string]: 1, [items[11] as string]: 2 } });
    const sleeps: number[] = [];

    // Act
    const result = await enqueueMessages(items, (digest) => ({ digest }), {
      client: sqs.client,
      queueUrl: QUEUE,
      concurrency: 1,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });

    // Assess
    expect(result.sent).toBe(12);
    expect(result.failed).toEqual([]);
    expect(sqs.queue).toHaveLength(12);
    expect(new Set(sqs.queue).size).toBe(12);
    expect(sleeps).toEqual([50, 50, 100]);
  });

  it('counts what still fails with its reason and keeps going', async () => {
    // Prepare
    const items = digests(25);
    const sqs = fakeSqs({
      senderFault: [items[0] as string],
      transient: { [items[1] as string]: 5 },
      throwWith: items[10] as string,
      silentlyDropped: [items[24] as string],
    });

    // Act
    const result = await enqueueMessages(items, (digest) => ({ digest }), {
      client: sqs.client,
      queueUrl: QUEUE,
      concurrency: 1,
      attempts: 3,
      sleep: noSleep,
    });

    // Assess: batch 1 loses items 0 (sender fault) and 1 (3 attempts); batch 2 throws; item 24 vanished
    expect(result.sent).toBe(8 + 4);
    const byItem = (a: string[], b: string[]) => String(a[0]).localeCompare(String(b[0]));
    expect(result.failed.map((f) => [f.item, f.reason.split(':')[0] as string]).sort(byItem)).toEqual(
      [
        [items[0] as string, 'InvalidMessageContents'],
        [items[1] as string, 'InternalError'],
        ...items.slice(10, 20).map((d) => [d, 'Service Unavailable']),
        [items[24] as string, 'not in the SendMessageBatch response'],
      ].sort(byItem),
    );
    expect(result.sent + result.failed.length).toBe(25);
  });

  it('refuses a body over 256 KiB without sending it', async () => {
    // Prepare
    const sqs = fakeSqs();

    // Act
    const result = await enqueueMessages(['small', 'x'.repeat(300 * 1024)], (digest) => ({ digest }), {
      client: sqs.client,
      queueUrl: QUEUE,
    });

    // Assess
    expect(result.sent).toBe(1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.reason).toMatch(/over 256 KiB/);
  });
});

describe('planBatches', () => {
  it('splits by payload size as well as entry count', () => {
    // Prepare: 100 KiB bodies, so only two fit in one 256 KiB request
    const entries = Array.from({ length: 5 }, (_, i) => ({
      id: `m${i}`,
      item: i,
      body: 'x'.repeat(100 * 1024),
    }));

    // Act
    const batches = planBatches(entries);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(planBatches(entries.map((e) => ({ ...e, body: 'x' }))).map((b) => b.length)).toEqual([5]);
    expect(MAX_BATCH_ENTRIES).toBe(10);
  });
});
