// The SQS fake as the real SDK v3 client sees it: accepted batches pass the SDK's MD5 check,
// whole-request refusals arrive as the SDK's own exception classes, partial failures as
// `Failed[]` entries, and a received batch comes back after the function reports it failed.
import { createHash } from 'node:crypto';
import {
  BatchRequestTooLong,
  QueueDoesNotExist,
  SendMessageBatchCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueMessages } from '../../../core/aws/sqsEnqueue.ts';
import { type SqsFake, startSqsFake } from '../../support/sqs-fake.ts';

describe('the SQS fake through SQSClient', () => {
  let sqs: SqsFake;
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    sqs = await startSqsFake({ queues: ['scan'] });
    queueUrl = sqs.queueUrl('scan');
    client = new SQSClient({
      endpoint: sqs.url,
      region: sqs.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await sqs?.stop();
  });

  const entries = (n: number, body = (i: number) => JSON.stringify({ n: i })) =>
    Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: body(i) }));

  it('accepts a batch with the MD5 of each body and queues the messages', async () => {
    // Act
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(3) }));

    // Assess: the SDK checked MD5OfMessageBody (it throws on a wrong one)
    expect(out.Successful?.map((s) => s.Id)).toEqual(['m0', 'm1', 'm2']);
    expect(out.Failed ?? []).toEqual([]);
    expect(sqs.visible('scan').map((m) => m.body)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
    expect(sqs.calls.at(-1)).toMatchObject({
      operation: 'SendMessageBatch',
      queue: 'scan',
      outcome: { successful: 3, failed: 0 },
    });
    sqs.settle(sqs.receive('scan', 10), { batchItemFailures: [] });
  });

  it('refuses 11 entries, an oversized batch and an unknown queue with the SDK exceptions', async () => {
    // Act
    const tooMany = client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(11) }));
    const tooLong = client.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(2, () => 'x'.repeat(140_000)) }),
    );
    const unknown = client.send(
      new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl('nope'), Entries: entries(1) }),
    );

    // Assess
    await expect(tooMany).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(tooMany).rejects.toMatchObject({
      Code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(tooLong).rejects.toBeInstanceOf(BatchRequestTooLong);
    await expect(tooLong).rejects.toThrow('cannot be longer than 262144 bytes. You have sent 280000 bytes');
    await expect(unknown).rejects.toBeInstanceOf(QueueDoesNotExist);
    expect(sqs.visible('scan')).toEqual([]);
    expect(sqs.problems).toEqual([]);
  });

  it('fails single entries and accepts the others', async () => {
    // Prepare
    sqs.failEntries((body) =>
      body.includes('"n":1') ? { Code: 'InternalError', Message: 'internal', SenderFault: false } : undefined,
    );

    // Act
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [...entries(3), { Id: 'bad', MessageBody: 'nul \u0000 byte' }],
      }),
    );
    sqs.failEntries(undefined);

    // Assess
    expect(out.Successful?.map((s) => s.Id)).toEqual(['m0', 'm2']);
    expect(out.Failed).toEqual([
      { Id: 'm1', Code: 'InternalError', Message: 'internal', SenderFault: false },
      expect.objectContaining({ Id: 'bad', Code: 'InvalidMessageContents', SenderFault: true }),
    ]);
    sqs.settle(sqs.receive('scan', 10), { batchItemFailures: [] });
  });

  it('lets enqueueMessages retry a transient entry failure until the message is queued', async () => {
    // Prepare: the first two attempts at one message fail on the server side
    let refusals = 2;
    sqs.failEntries((body) =>
      body.includes('"n":7') && refusals-- > 0
        ? { Code: 'InternalError', Message: 'internal', SenderFault: false }
        : undefined,
    );

    // Act
    const result = await enqueueMessages(
      Array.from({ length: 12 }, (_, n) => n),
      (n) => ({ n }),
      { client, queueUrl, sleep: async () => undefined },
    );
    sqs.failEntries(undefined);

    // Assess: two batches (10 + 2), then two retries of the one entry
    expect(result).toEqual({ sent: 12, failed: [], calls: 4 });
    expect(
      sqs
        .visible('scan')
        .map((m) => (JSON.parse(m.body) as { n: number }).n)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    sqs.settle(sqs.receive('scan', 12), { batchItemFailures: [] });
  });

  it('delivers a batch as a Lambda event and redelivers what the function reports failed', async () => {
    // Prepare
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(3) }));

    // Act
    const first = sqs.receive('scan', 5);
    sqs.settle(first, { batchItemFailures: [{ itemIdentifier: first.Records[1]?.messageId ?? '' }] });
    const second = sqs.receive('scan', 5);
    sqs.settle(second, { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] });
    const third = sqs.receive('scan', 5);
    sqs.settle(third, { batchItemFailures: [] });

    // Assess
    expect(first.Records.map((r) => r.body)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
    expect(first.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-north-1:123456789012:scan',
      md5OfBody: createHash('md5').update('{"n":0}').digest('hex'),
      attributes: { ApproximateReceiveCount: '1' },
    });
    // an unknown identifier fails the whole batch, as Lambda does
    expect(second.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      ['{"n":1}', '2'],
    ]);
    expect(third.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['3']);
    expect(sqs.visible('scan')).toEqual([]);
    expect(sqs.problems).toEqual([]);
  });
});
