// An Amazon SQS fake over HTTP, for a real SQSClient (given `queueUrl(name)`: the client sends
// to the QueueUrl's host, so a bundled handler needs only its queue URL variable), and the
// Lambda event source mapping on the other side: tests `receive` a real-shaped SQS batch event
// and `settle` it with the handler's answer. The one operation imagewarden calls is SendMessageBatch
// (core/aws/sqsEnqueue.ts), which SDK v3 sends in the AWS JSON 1.0 protocol
// (`X-Amz-Target: AmazonSQS.SendMessageBatch`, application/x-amz-json-1.0, SigV4). As SQS it:
// - answers MD5OfMessageBody per accepted entry (the SDK rejects the answer without the right one);
// - refuses the whole request with SQS's error shapes (`__type` plus the x-amzn-query-error
//   header the SDK's query-compatible mode reads): EmptyBatchRequest, more than 10 entries
//   (TooManyEntriesInBatchRequest), repeated or malformed entry ids, a batch over the size
//   limit (BatchRequestTooLong), an unknown queue (QueueDoesNotExist);
// - fails single entries while accepting the rest (`Failed[]`, with SenderFault), as the test
//   injects, and a body with characters SQS does not allow (InvalidMessageContents).
// Any other operation, an unsigned request or another content type is answered as AWS does
// and recorded in `problems`, which tests assert empty.
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** The batch limits SQS enforces: 10 entries and 256 KiB of bodies (and attributes) per call. */
export const MAX_ENTRIES = 10;
/**
 * 262,144 bytes: the limit imagewarden plans its batches for. SQS raised its maximum to 1 MiB in
 * 2025 (a queue's MaximumMessageSize); pass `maxBatchBytes` to model such a queue.
 */
export const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;

const SendMessageBatchRequest = z.object({
  QueueUrl: z.string(),
  Entries: z
    .array(
      z
        .object({
          Id: z.string(),
          MessageBody: z.string(),
          DelaySeconds: z.number().int().optional(),
          MessageAttributes: z.record(z.string(), z.unknown()).optional(),
        })
        .loose(),
    )
    .default([]),
});
type SendMessageBatchRequest = z.infer<typeof SendMessageBatchRequest>;
type RequestEntry = SendMessageBatchRequest['Entries'][number];

/** A per-entry failure, as it appears in SendMessageBatch's `Failed[]`. */
export interface EntryFailure {
  Code: string;
  Message: string;
  SenderFault: boolean;
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentTimestamp: number;
  /** Deliveries so far (ApproximateReceiveCount). */
  receiveCount: number;
  firstReceiveTimestamp?: number;
}

/** A SendMessageBatch call as the fake saw it. */
export interface SqsCall {
  operation: string;
  queue: string | undefined;
  entries: number;
  /** The error the whole call got, or how many entries were accepted and failed. */
  outcome: { error: string } | { successful: number; failed: number };
}

/** An SQS batch as Lambda's event source mapping hands it to a function. */
export interface SqsLambdaEvent {
  Records: Array<{
    messageId: string;
    receiptHandle: string;
    body: string;
    attributes: Record<string, string>;
    messageAttributes: Record<string, unknown>;
    md5OfBody: string;
    eventSource: 'aws:sqs';
    eventSourceARN: string;
    awsRegion: string;
  }>;
}

export interface SqsFakeOptions {
  queues: string[];
  account?: string;
  region?: string;
  maxBatchBytes?: number;
}

export interface SqsFake {
  url: string;
  region: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  calls: SqsCall[];
  problems: string[];
  /** Messages waiting in a queue (not in flight). */
  visible(queue: string): readonly StoredMessage[];
  /**
   * Fails, in SendMessageBatch answers, the entries `decide` returns a failure for (while it is
   * set); the other entries of the same call are accepted.
   */
  failEntries(decide: ((body: string) => EntryFailure | undefined) | undefined): void;
  /** Takes up to `max` visible messages in flight and returns them as a Lambda SQS event. */
  receive(queue: string, max: number): SqsLambdaEvent;
  /**
   * What the event source mapping does with a function's ReportBatchItemFailures answer: the
   * messages it lists become visible again (as after the visibility timeout), the others are
   * deleted. A thrown invocation is `settle(event, 'error')`: the whole batch comes back.
   */
  settle(
    event: SqsLambdaEvent,
    response: { batchItemFailures: { itemIdentifier: string }[] } | 'error',
  ): void;
  stop(): Promise<void>;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** Characters SQS accepts in a body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

class SqsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startSqsFake(options: SqsFakeOptions): Promise<SqsFake> {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'eu-north-1';
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const queues = new Map(options.queues.map((q) => [q, [] as StoredMessage[]]));
  const inFlight = new Map<string, { queue: string; message: StoredMessage }>();
  const calls: SqsCall[] = [];
  const problems: string[] = [];
  let decideFailure: ((body: string) => EntryFailure | undefined) | undefined;

  const queueOf = (queueUrl: string): string => {
    // SQS takes the queue from the URL's path (/ACCOUNT/NAME), whichever endpoint was called
    let path: string[] = [];
    try {
      path = new URL(queueUrl).pathname.split('/').filter(Boolean);
    } catch {
      throw new SqsError(
        404,
        'InvalidAddress',
        'InvalidAddress',
        `The address ${queueUrl} is not valid for this endpoint.`,
      );
    }
    const [owner, name] = path;
    if (path.length !== 2 || owner !== account || name === undefined || !queues.has(name)) {
      throw new SqsError(
        400,
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    }
    return name;
  };

  const validateBatch = (entries: RequestEntry[]): void => {
    const sender = (type: string, message: string) =>
      new SqsError(400, type, `AWS.SimpleQueueService.${type}`, message);
    if (entries.length === 0)
      throw sender(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    if (entries.length > MAX_ENTRIES) {
      throw sender(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const ids = new Set<string>();
    for (const { Id } of entries) {
      if (!ENTRY_ID.test(Id)) {
        throw sender(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (ids.has(Id)) throw sender('BatchEntryIdsNotDistinct', `Id ${Id} repeated.`);
      ids.add(Id);
    }
    // attributes count towards the limit too; imagewarden sends none, so their JSON is close enough
    const bytes = entries.reduce(
      (sum, e) =>
        sum +
        Buffer.byteLength(e.MessageBody) +
        (e.MessageAttributes ? Buffer.byteLength(JSON.stringify(e.MessageAttributes)) : 0),
      0,
    );
    if (bytes > maxBatchBytes) {
      throw sender(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${maxBatchBytes} bytes. You have sent ${bytes} bytes.`,
      );
    }
  };

  const sendMessageBatch = (input: SendMessageBatchRequest, call: SqsCall) => {
    const queue = queueOf(input.QueueUrl);
    call.queue = queue;
    validateBatch(input.Entries);
    const stored = queues.get(queue) as StoredMessage[];
    const Successful: Array<{ Id: string; MessageId: string; MD5OfMessageBody: string }> = [];
    const Failed: Array<{ Id: string } & EntryFailure> = [];
    for (const entry of input.Entries) {
      const failure = INVALID_CHARACTER.test(entry.MessageBody)
        ? {
            Code: 'InvalidMessageContents',
            Message:
              'Invalid characters found. Valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
            SenderFault: true,
          }
        : decideFailure?.(entry.MessageBody);
      if (failure) {
        Failed.push({ Id: entry.Id, ...failure });
        continue;
      }
      const message: StoredMessage = {
        messageId: randomUUID(),
        body: entry.MessageBody,
        md5OfBody: md5(entry.MessageBody),
        sentTimestamp: Date.now(),
        receiveCount: 0,
      };
      stored.push(message);
      Successful.push({ Id: entry.Id, MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody });
    }
    call.outcome = { successful: Successful.length, failed: Failed.length };
    // SQS leaves an empty list out of the answer
    return { ...(Successful.length ? { Successful } : {}), ...(Failed.length ? { Failed } : {}) };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = randomUUID();
      const reply = (status: number, body: unknown, queryError?: string) =>
        res
          .writeHead(status, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': requestId,
            ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
          })
          .end(JSON.stringify(body));
      const fail = (error: SqsError) =>
        reply(
          error.status,
          { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
          `${error.queryCode};Sender`,
        );
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
      const call: SqsCall = { operation, queue: undefined, entries: 0, outcome: { error: '' } };
      calls.push(call);
      const credential = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request,/.exec(
        String(req.headers.authorization ?? ''),
      );
      if (!credential || credential[1] !== region || credential[2] !== 'sqs') {
        problems.push(`${operation}: not signed with SigV4 for sqs in ${region}`);
        call.outcome = { error: 'MissingAuthenticationToken' };
        return reply(
          403,
          {
            __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
            message: 'Missing Authentication Token',
          },
          'MissingAuthenticationToken;Sender',
        );
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.0') {
        problems.push(`${operation}: ${req.method} with content-type ${req.headers['content-type']}`);
        call.outcome = { error: 'UnsupportedProtocol' };
        return reply(400, { __type: 'com.amazon.coral.service#SerializationException' });
      }
      if (operation !== 'SendMessageBatch') {
        problems.push(`the SQS fake does not implement ${target || '(no X-Amz-Target)'}`);
        call.outcome = { error: 'UnknownOperationException' };
        return reply(400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
      }
      let input: SendMessageBatchRequest;
      try {
        input = SendMessageBatchRequest.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        problems.push(`SendMessageBatch with a malformed body: ${(error as Error).message}`);
        call.outcome = { error: 'SerializationException' };
        return reply(400, { __type: 'com.amazon.coral.service#SerializationException' });
      }
      call.entries = input.Entries.length;
      try {
        return reply(200, sendMessageBatch(input, call));
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        call.outcome = { error: error.type };
        return fail(error);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const queueArn = (name: string) => `arn:aws:sqs:${region}:${account}:${name}`;
  const known = (name: string): StoredMessage[] => {
    const messages = queues.get(name);
    if (!messages) throw new Error(`the SQS fake has no queue ${name}`);
    return messages;
  };

  return {
    url,
    region,
    queueUrl: (name) => `${url}/${account}/${name}`,
    queueArn,
    calls,
    problems,
    visible: (name) => [...known(name)],
    failEntries: (decide) => {
      decideFailure = decide;
    },
    receive: (name, max) => {
      const messages = known(name).splice(0, max);
      const now = Date.now();
      return {
        Records: messages.map((message) => {
          message.receiveCount += 1;
          message.firstReceiveTimestamp ??= now;
          const receiptHandle = `AQEB${randomUUID()}`;
          inFlight.set(receiptHandle, { queue: name, message });
          return {
            messageId: message.messageId,
            receiptHandle,
            body: message.body,
            attributes: {
              ApproximateReceiveCount: String(message.receiveCount),
              SentTimestamp: String(message.sentTimestamp),
              SenderId: 'AROAEXAMPLEROLEID:imagewarden-inventory',
              ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
            },
            messageAttributes: {},
            md5OfBody: message.md5OfBody,
            eventSource: 'aws:sqs' as const,
            eventSourceARN: queueArn(name),
            awsRegion: region,
          };
        }),
      };
    },
    settle: (event, response) => {
      const ids = event.Records.map((r) => r.messageId);
      const listed = response === 'error' ? ids : response.batchItemFailures.map((f) => f.itemIdentifier);
      // an identifier that is not a message of the batch makes Lambda treat the whole batch as failed
      const retry = new Set(listed.every((id) => ids.includes(id)) ? listed : ids);
      for (const record of event.Records) {
        const held = inFlight.get(record.receiptHandle);
        if (!held) throw new Error(`message ${record.messageId} is not in flight`);
        inFlight.delete(record.receiptHandle);
        if (retry.has(record.messageId)) known(held.queue).push(held.message);
      }
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
