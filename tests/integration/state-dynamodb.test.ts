// DynamoStateStore against a real DynamoDB implementation: dynalite (in-process, on a loopback
// port), with the table created exactly as terraform/dynamodb.tf declares it (pk/sk strings).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';
import { ConfigError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { createDocumentClient, createStateStore } from '../../core/state/createStateStore.ts';
import { DynamoStateStore } from '../../core/state/DynamoStateStore.ts';
import { createInventoryHandler } from '../../functions/handlers/inventory.ts';
import type { Runtime } from '../../functions/handlers/lib/runtime.ts';
import { createNotifyHandler } from '../../functions/handlers/notify.ts';
import { createScanWorkerHandler } from '../../functions/handlers/scan-worker.ts';
import { inventoryFromConfig } from '../../functions/inventory/fromConfig.ts';
import { packagesLayer } from '../support/clair-fake.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS } from '../support/dynalite.ts';
import { fakeSqs, RecordingMailer, scheduleEvent, sqsEvent } from '../unit/functions/handlers/support.ts';
import { scanWorld } from '../unit/functions/scan/scan-fixtures.ts';

// dynalite ships no type declarations; this is the part of its API used here.

const TABLE = 'imagewarden-state-it';
const credentials = LOCAL_CREDENTIALS;

const dynamo = dynaliteForSuite([TABLE]);

function stateConfig(table = TABLE) {
  return parseConfig({
    state: { backend: 'dynamodb', table, region: 'eu-north-1', endpoint: dynamo.endpoint },
  }).state;
}

describe('DynamoStateStore on dynalite', () => {
  it('is what createStateStore builds from a dynamodb state config, and round-trips values', async () => {
    // Prepare
    const store = createStateStore(stateConfig(), { dynamodb: { credentials } });

    // Act
    await store.put('scan-results', 'sha256:01', { critical: 1, fixed: 'none', nested: { a: [1, 2] } });
    const value = await store.get('scan-results', 'sha256:01');

    // Assess
    expect(store).toBeInstanceOf(DynamoStateStore);
    expect(value).toEqual({ critical: 1, fixed: 'none', nested: { a: [1, 2] } });
  });

  it('lists more than one 1 MB page of records with a prefix, every record exactly once', async () => {
    // Prepare: ~1.3 MB of records in one collection, so DynamoDB pages the query
    const documents = createDocumentClient(stateConfig(), { credentials });
    let queries = 0;
    const store = new DynamoStateStore({
      table: TABLE,
      client: {
        send: ((command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'QueryCommand') queries += 1;
          return documents.send(command as never);
        }) as typeof documents.send,
      },
    });
    const filler = 'x'.repeat(12_000);
    const keys = Array.from({ length: 110 }, (_, i) => `repo/app-${String(i).padStart(3, '0')}`);
    for (const key of keys) await store.put('notified', key, { key, filler });
    await store.put('notified', 'other/app', { key: 'other', filler: '' });

    // Act
    const records = await store.list<{ key: string }>('notified', 'repo/');

    // Assess
    expect(records.map((r) => r.key)).toEqual(keys);
    expect(records.every((r) => r.value.key === r.key)).toBe(true);
    expect(queries).toBeGreaterThan(1);
  });

  it('writes a key only once with putIfAbsent, also under concurrent callers', async () => {
    // Prepare
    const store = createStateStore(stateConfig(), { dynamodb: { credentials } });

    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.putIfAbsent('deliveries', 'notification-42', { writer: i })),
    );

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get('deliveries', 'notification-42')).toEqual({ writer: winner });
  });

  it('treats expired records as absent, stores large values compressed, deletes', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const store = new DynamoStateStore({
      table: TABLE,
      client: createDocumentClient(stateConfig(), { credentials }),
      clock,
      ttlMs: { outbox: DAY_MS },
    });
    const snapshot = Array.from({ length: 3000 }, (_, i) => ({ digest: `sha256:${i}`, hosts: 3 }));
    await store.put('outbox', 'msg-1', 'pending');
    await store.put('inventory', 'snapshot', snapshot);

    // Act
    clock.advance(DAY_MS + 1000);
    const expired = await store.get('outbox', 'msg-1');
    const rewritten = await store.putIfAbsent('outbox', 'msg-1', 'again');
    await store.delete('inventory', 'snapshot');

    // Assess
    expect(expired).toBeUndefined();
    expect(rewritten).toBe(true);
    expect(await store.get('outbox', 'msg-1')).toBe('again');
    expect(await store.get('inventory', 'snapshot')).toBeUndefined();
  });

  it('splits a value over the item limit into chunks and leaves none behind', async () => {
    // Prepare: 64 KiB chunks; ~1 MB of random strings gzip to several of them
    const documents = createDocumentClient(stateConfig(), { credentials });
    const store = new DynamoStateStore({ table: TABLE, client: documents, chunkBytes: 64 * 1024 });
    const big = Array.from({ length: 60_000 }, (_, i) => `${i}:${Math.random().toString(36).slice(2)}`);
    const chunkCount = async () =>
      (
        await documents.send(
          new QueryCommand({
            TableName: TABLE,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'inventory#chunks' },
            ConsistentRead: true,
          }),
        )
      ).Count ?? 0;

    // Act
    await store.put('inventory', 'latest', big);
    const stored = await chunkCount();
    const read = await store.get<string[]>('inventory', 'latest');
    await store.put('inventory', 'latest', ['small']);
    const afterReplace = await chunkCount();
    await store.delete('inventory', 'latest');

    // Assess
    expect(stored).toBeGreaterThan(2);
    expect(read).toEqual(big);
    expect(afterReplace).toBe(0);
    expect(await store.get('inventory', 'latest')).toBeUndefined();
  });

  it('names state.table when the table does not exist', async () => {
    // Prepare
    const store = createStateStore(stateConfig('no-such-table'), { dynamodb: { credentials } });

    // Act
    const read = store.get('acks', 'a');

    // Assess
    await expect(read).rejects.toThrow(ConfigError);
    await expect(read).rejects.toThrow(/state.table: DynamoDB table no-such-table does not exist/);
  });
});

describe('the scheduled cycle on dynalite', () => {
  it('inventory -> SQS -> scan worker -> notify mails each owner once, and nothing on an unchanged rerun', async () => {
    // Prepare: a fleet export naming two synthetic images served to the Clair fake
    const world = await scanWorld();
    const dir = await mkdtemp(join(tmpdir(), 'iw-cycle-'));
    try {
      const app = world.images.addImage([packagesLayer([{ name: 'openssl', version: '3.0.1' }])], 'app');
      const api = world.images.addImage([packagesLayer([{ name: 'curl', version: '8.0' }])], 'api');
      const doc = (host: string, i: number, repo: string, digest: string, owner: string) =>
        JSON.stringify({
          '@timestamp': `2026-11-24T08:1${i}:00.000Z`,
          host: { name: host },
          container: {
            id: `${i}`.repeat(64).slice(0, 64),
            image: { name: `${world.registry}/${repo}:1.0`, tag: ['1.0'], hash: { all: [digest] } },
            labels: { owner },
          },
        });
      const fleet = join(dir, 'fleet.ndjson');
      await writeFile(
        fleet,
        [
          doc('web01.example.org', 1, 'team/app', app, 'app-team@example.org'),
          doc('web02.example.org', 2, 'team/app', app, 'app-team@example.org'),
          doc('api01.example.org', 3, 'team/api', api, 'api-team@example.org'),
        ].join('\n'),
      );
      const clock = new ManualClock('2026-11-24T09:00:00Z');
      const config = parseConfig({
        state: { backend: 'dynamodb', table: TABLE, region: 'eu-north-1', endpoint: dynamo.endpoint },
        inventory: { source: 'file', file: fleet },
        scan: { clair: { url: world.fake.url } },
      });
      const store = new DynamoStateStore({
        table: TABLE,
        client: createDocumentClient(config.state, { credentials }),
        clock,
      });
      const runtime: Runtime = {
        config,
        store,
        clock,
        logger: silentLogger(),
        secrets: { env: {} },
        env: {},
      };
      const sqs = fakeSqs();
      const mailer = new RecordingMailer();
      const inventory = createInventoryHandler({
        runtime: async () => runtime,
        setup: (rt) =>
          inventoryFromConfig(rt.config, { clock, logger: rt.logger, secrets: rt.secrets, offline: true }),
        queue: () => ({ client: sqs.client, queueUrl: sqs.queueUrl }),
        scanner: async () => ({ scanner: world.ports.scanner }),
        sleep: world.sleep,
      });
      const worker = createScanWorkerHandler({
        runtime: async () => runtime,
        ports: async () => ({ ...world.ports, store, clock }),
      });
      const notify = createNotifyHandler({
        runtime: async () => runtime,
        mailer: async () => mailer,
        selinux: async () => undefined,
        sleep: world.sleep,
      });
      const cycle = async () => {
        const taken = sqs.bodies.length;
        const inv = await inventory(scheduleEvent('inventory'));
        const batch = sqs.bodies.slice(taken).map((body, i) => ({ messageId: `m${taken + i}`, body }));
        const scan = await worker(sqsEvent(batch));
        clock.advance(HOUR_MS);
        return { inv, scan, mail: await notify(scheduleEvent('notify')) };
      };

      // Act
      const first = await cycle();
      const second = await cycle();

      // Assess
      expect(first.inv).toMatchObject({ digests: 2, enqueued: 2 });
      expect(first.scan.batchItemFailures).toEqual([]);
      expect(mailer.sent.map((m) => m.to).sort()).toEqual(['api-team@example.org', 'app-team@example.org']);
      expect(first.mail).toMatchObject({ sent: 2, pending: 0, refused: 0 });
      expect(second.inv).toMatchObject({ digests: 2, enqueued: 2 });
      expect(second.mail).toMatchObject({ sent: 0, composed: 0 });
      expect(world.fake.calls.post_index_report).toBe(2);
    } finally {
      try {
        await world.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});
