// Shared pieces of the handler tests: a Runtime like the one built on cold start but with the
// DynamoDB state store on an in-memory document client, a manual clock and a silent logger;
// real-shaped Lambda events (SQS batch, function URL 2.0, EventBridge Scheduler input); an
// SQS fake; a Mailer that records what it is given.
import { writeFile } from 'node:fs/promises';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SqsSender } from '../../../../core/aws/sqsEnqueue.ts';
import { ManualClock } from '../../../../core/clock.ts';
import { parseConfig } from '../../../../core/config/load.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { DynamoStateStore } from '../../../../core/state/DynamoStateStore.ts';
import type { StateStore } from '../../../../core/state/StateStore.ts';
import {
  createInventoryHandler,
  type InventoryHandlerDeps,
} from '../../../../functions/handlers/inventory.ts';
import type { Runtime } from '../../../../functions/handlers/lib/runtime.ts';
import { inventoryFromConfig } from '../../../../functions/inventory/fromConfig.ts';
import type { Mailer, SendReceipt } from '../../../../functions/notify/Mailer.ts';
import type { ComposedMessage } from '../../../../functions/notify/types.ts';
import { FakeDocumentClient } from '../../core/state/fake-document-client.ts';
import { asFunction } from './state-grants.ts';

export function testRuntime(
  config: Record<string, unknown> = {},
  options: { store?: StateStore; clock?: ManualClock } = {},
): Runtime & { clock: ManualClock } {
  const clock = options.clock ?? new ManualClock('2026-11-24T09:00:00Z');
  return {
    config: parseConfig({ state: { backend: 'dynamodb', table: 'imagewarden-state' }, ...config }),
    logger: silentLogger(),
    store:
      options.store ??
      new DynamoStateStore({ table: 'imagewarden-state', client: new FakeDocumentClient(25), clock }),
    clock,
    secrets: { env: {} },
    env: {},
  };
}

/** What EventBridge Scheduler delivers: the target input terraform sets, as the event. */
export const scheduleEvent = (job: string, scheduledTime?: string) => ({
  source: 'imagewarden.scheduler',
  job,
  ...(scheduledTime ? { scheduledTime } : {}),
});

/** An SQS batch as Lambda's event source mapping delivers it. */
export function sqsEvent(bodies: Array<{ messageId: string; body: string }>) {
  return {
    Records: bodies.map(({ messageId, body }) => ({
      messageId,
      receiptHandle: `AQEB${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1764000000000',
        SenderId: 'AROAEXAMPLE:imagewarden-inventory',
        ApproximateFirstReceiveTimestamp: '1764000000100',
      },
      messageAttributes: {},
      md5OfBody: 'ignored',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-north-1:123456789012:imagewarden-scan',
      awsRegion: 'eu-north-1',
    })),
  };
}

/** A function URL request (payload format 2.0). */
export function urlEvent(options: {
  method: string;
  path?: string;
  query?: string;
  body?: string;
  base64?: boolean;
  headers?: Record<string, string>;
}) {
  const body =
    options.body === undefined
      ? undefined
      : options.base64
        ? Buffer.from(options.body).toString('base64')
        : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path ?? '/',
    rawQueryString: options.query ?? '',
    headers: {
      host: 'abc123.lambda-url.eu-north-1.on.aws',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.eu-north-1.on.aws',
      http: {
        method: options.method,
        path: options.path ?? '/',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.10',
        userAgent: 'test',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:09:00:00 +0000',
      timeEpoch: 1764000000000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 === true,
  };
}

/** SendMessageBatch fake: records bodies; `refuseAll` fails every entry as SQS does when throttled. */
export function fakeSqs(options: { refuseAll?: boolean } = {}) {
  const bodies: string[] = [];
  const client: SqsSender = {
    send: (async (command: SendMessageBatchCommand) => {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error('unexpected command');
      const entries = command.input.Entries ?? [];
      if (entries.length > 10) throw new Error('TooManyEntriesInBatchRequest');
      if (options.refuseAll) {
        return {
          Successful: [],
          Failed: entries.map((e) => ({
            Id: e.Id,
            SenderFault: true,
            Code: 'AccessDenied',
            Message: 'denied',
          })),
        };
      }
      for (const e of entries) bodies.push(e.MessageBody ?? '');
      return {
        Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })),
      };
    }) as SqsSender['send'],
  };
  return { client, bodies, queueUrl: 'https://sqs.eu-north-1.amazonaws.com/123456789012/imagewarden-scan' };
}

export class RecordingMailer implements Mailer {
  readonly name = 'recording';
  readonly sent: ComposedMessage[] = [];
  closed = false;
  async send(message: ComposedMessage): Promise<SendReceipt> {
    this.sent.push(message);
    return { response: `250 queued ${this.sent.length}` };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Writes an NDJSON fleet export (ECS container documents) for the inventory's file source. */
export async function writeFleet(
  path: string,
  containers: Array<{ host: string; image: string; digest: string; owner: string }>,
  /** Documents are reported in the minutes before this (the inventory refuses future ones). */
  now: Date,
): Promise<void> {
  const lines = containers.map((c, i) =>
    JSON.stringify({
      '@timestamp': new Date(now.getTime() - (containers.length - i) * 60_000).toISOString(),
      host: { name: c.host },
      container: {
        id: String(i + 1)
          .repeat(64)
          .slice(0, 64),
        image: { name: c.image, tag: [c.image.split(':').pop()], hash: { all: [c.digest] } },
        labels: { owner: c.owner },
      },
    }),
  );
  await writeFile(path, `${lines.join('\n')}\n`);
}

/**
 * The inventory function with the same ports as in AWS (its state limited to terraform's
 * grants), except that no registry is asked: tests stay offline. No Clair unless given.
 */
export function offlineInventoryHandler(
  runtime: Runtime,
  sqs: ReturnType<typeof fakeSqs>,
  clair: Partial<Pick<InventoryHandlerDeps, 'scanner' | 'sleep'>> = {},
) {
  return createInventoryHandler({
    runtime: () => asFunction('inventory', runtime),
    setup: (rt) =>
      inventoryFromConfig(rt.config, {
        clock: rt.clock,
        logger: rt.logger,
        secrets: rt.secrets,
        offline: true,
      }),
    queue: () => ({ client: sqs.client, queueUrl: sqs.queueUrl }),
    scanner: clair.scanner ?? (async () => undefined),
    ...(clair.sleep ? { sleep: clair.sleep } : {}),
  });
}
