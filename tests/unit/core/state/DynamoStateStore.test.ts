import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { ConfigError, UpstreamError, ValidationError } from '../../../../core/errors.ts';
import { COMPRESS_ABOVE_BYTES, DynamoStateStore } from '../../../../core/state/DynamoStateStore.ts';
import { FakeDocumentClient, sdkError } from './fake-document-client.ts';

function setup(pageSize = 1000) {
  const client = new FakeDocumentClient(pageSize);
  const clock = new ManualClock('2026-03-01T00:00:00Z');
  const store = new DynamoStateStore({
    table: 'imagewarden-state',
    client,
    clock,
    ttlMs: { outbox: DAY_MS },
  });
  return { client, clock, store };
}

describe('DynamoStateStore', () => {
  it('round-trips JSON values by collection and key', async () => {
    // Prepare
    const { store } = setup();

    // Act
    await store.put('scan-results', 'sha256:aa', { critical: 2, links: ['a b'] });
    await store.put('inventory', 'sha256:aa', 'other collection');

    // Assess
    expect(await store.get('scan-results', 'sha256:aa')).toEqual({ critical: 2, links: ['a b'] });
    expect(await store.get('inventory', 'sha256:aa')).toBe('other collection');
    expect(await store.get('scan-results', 'sha256:bb')).toBeUndefined();
  });

  it('lists every record across pages, filtered by prefix, in key order', async () => {
    // Prepare: 3 items per page forces several LastEvaluatedKey round trips
    const { client, store } = setup(3);
    for (const key of ['b/2', 'a/1', 'b/1', 'b/10', 'c', 'b/3', 'b/4', 'a/2'])
      await store.put('notified', key, key);
    client.calls.length = 0;

    // Act
    const all = await store.list<string>('notified');
    const onlyB = await store.list<string>('notified', 'b/');

    // Assess
    expect(all.map((r) => r.key)).toEqual(['a/1', 'a/2', 'b/1', 'b/10', 'b/2', 'b/3', 'b/4', 'c']);
    expect(onlyB.map((r) => r.value)).toEqual(['b/1', 'b/10', 'b/2', 'b/3', 'b/4']);
    expect(client.calls.filter((c) => c === 'QueryCommand')).toHaveLength(3 + 2);
  });

  it('writes once with putIfAbsent and reports whether it wrote', async () => {
    // Prepare
    const { store } = setup();

    // Act
    const first = await store.putIfAbsent('deliveries', 'notif-1', { at: 1 });
    const second = await store.putIfAbsent('deliveries', 'notif-1', { at: 2 });

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(await store.get('deliveries', 'notif-1')).toEqual({ at: 1 });
  });

  it('hides records of a collection with a TTL once expired, before DynamoDB deletes them', async () => {
    // Prepare
    const { client, clock, store } = setup();
    await store.put('outbox', 'msg-1', 'pending');
    await store.put('acks', 'repo/CVE-1', 'kept');

    // Act
    clock.advance(DAY_MS + HOUR_MS);

    // Assess: the item is still in the table, but reads treat it as gone and it can be rewritten
    expect(client.items.size).toBe(2);
    expect(await store.get('outbox', 'msg-1')).toBeUndefined();
    expect(await store.list('outbox')).toEqual([]);
    expect(await store.putIfAbsent('outbox', 'msg-1', 'again')).toBe(true);
    expect(await store.get('acks', 'repo/CVE-1')).toBe('kept');
    const stored = [...client.items.values()].find((i) => i.pk === 'outbox');
    expect(stored?.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + 86_400);
  });

  it('compresses large values', async () => {
    // Prepare
    const { client, store } = setup();
    const large = Array.from({ length: 2000 }, (_, i) => ({ digest: `sha256:${i}`, hosts: ['h1', 'h2'] }));

    // Act
    await store.put('inventory', 'snapshot', large);

    // Assess
    expect(JSON.stringify(large).length).toBeGreaterThan(COMPRESS_ABOVE_BYTES);
    const item = [...client.items.values()][0];
    expect(item?.gz).toBeInstanceOf(Uint8Array);
    expect(item?.value).toBeUndefined();
    expect(await store.get('inventory', 'snapshot')).toEqual(large);
  });

  it('splits a value over the item limit into chunks, replaces and deletes them without orphans', async () => {
    // Prepare: 1 KiB chunks, and random strings that gzip cannot shrink much
    const client = new FakeDocumentClient(3);
    const store = new DynamoStateStore({ table: 't', client, chunkBytes: 1024 });
    const big = Array.from({ length: 3000 }, (_, i) => `${i}-${Math.random().toString(36).slice(2)}`);
    const chunkItems = () => [...client.items.values()].filter((i) => i.pk === 'inventory#chunks');

    // Act
    await store.put('inventory', 'latest', big);
    const chunksFirst = chunkItems().length;
    const read = await store.get('inventory', 'latest');
    const listed = await store.list('inventory');
    await store.put('inventory', 'latest', big.slice(0, 1500));
    const chunksSecond = chunkItems().length;
    const reread = await store.get('inventory', 'latest');
    const refused = await store.putIfAbsent('inventory', 'latest', big);
    const chunksAfterRefusal = chunkItems().length;
    await store.delete('inventory', 'latest');

    // Assess
    expect(chunksFirst).toBeGreaterThan(3);
    expect(read).toEqual(big);
    expect(listed).toEqual([{ key: 'latest', value: big }]);
    expect(chunksSecond).toBeGreaterThan(0);
    expect(chunksSecond).toBeLessThan(chunksFirst);
    expect(reread).toEqual(big.slice(0, 1500));
    expect(refused).toBe(false);
    expect(chunksAfterRefusal).toBe(chunksSecond);
    expect(client.items.size).toBe(0);
  });

  it('names the record when a value is over the chunk limit or a chunk is lost', async () => {
    // Prepare
    const client = new FakeDocumentClient();
    const store = new DynamoStateStore({ table: 't', client, chunkBytes: 1024 });
    const random = Array.from({ length: 20_000 }, () => Math.random().toString(36).slice(2));
    await store.put('inventory', 'latest', random.slice(0, 2000));
    const chunk = [...client.items.entries()].find(([, i]) => i.pk === 'inventory#chunks');
    if (chunk) client.items.delete(chunk[0]);

    // Act
    const tooBig = store.put('inventory', 'huge', random);
    const broken = store.get('inventory', 'latest');

    // Assess
    await expect(tooBig).rejects.toThrow(ValidationError);
    await expect(tooBig).rejects.toThrow(
      /state inventory\/huge: value is \d+ bytes .* over the 64-chunk limit/,
    );
    await expect(broken).rejects.toThrow(/state inventory\/latest: chunk \d+ of \d+ is missing/);
  });

  it('deletes records and ignores deleting one that is not there', async () => {
    // Prepare
    const { store } = setup();
    await store.put('acks', 'a', 1);

    // Act
    await store.delete('acks', 'a');
    await store.delete('acks', 'missing');

    // Assess
    expect(await store.list('acks')).toEqual([]);
  });

  it('turns throttling after SDK retries into an UpstreamError and a missing table into a ConfigError', async () => {
    // Prepare
    const { client, store } = setup();
    client.failNext.push(sdkError('ProvisionedThroughputExceededException', 400));
    client.failNext.push(sdkError('ResourceNotFoundException', 400));
    client.failNext.push(sdkError('InternalServerError', 500));

    // Act
    const throttled = store.get('acks', 'a');
    const missing = store.put('acks', 'a', 1);
    const broken = store.putIfAbsent('acks', 'a', 1);

    // Assess
    await expect(throttled).rejects.toThrow(UpstreamError);
    await expect(throttled).rejects.toThrow(/dynamodb:imagewarden-state: get failed: ProvisionedThroughput/);
    await expect(missing).rejects.toThrow(ConfigError);
    await expect(missing).rejects.toThrow(/state.table: DynamoDB table imagewarden-state does not exist/);
    await expect(broken).rejects.toMatchObject({ name: 'UpstreamError', status: 500 });
  });

  it('rejects bad collection names and empty keys before calling DynamoDB', async () => {
    // Prepare
    const { client, store } = setup();

    // Act
    const badCollection = store.put('Bad Name', 'k', 1);
    const emptyKey = store.put('acks', '', 1);

    // Assess
    await expect(badCollection).rejects.toThrow(RangeError);
    await expect(emptyKey).rejects.toThrow(/record keys must not be empty/);
    expect(client.calls).toEqual([]);
  });
});

describe('DynamoStateStore against a model of the StateStore port', () => {
  it('answers every sequence of operations as a plain map would', async () => {
    // Prepare: keys sharing prefixes, values small and large (compressed, chunked), tiny pages
    const key = fc.constantFrom('a', 'a/1', 'a/2', 'ab', 'b', 'b/1', 'vuln|r|x|p', 'ü/1');
    // random strings barely compress: these gzip to several 4 KiB chunks
    const big = (n: number) => Array.from({ length: n }, () => Math.random().toString(36).slice(2));
    const value = fc.oneof(fc.integer(), fc.string(), fc.constantFrom(big(3000), big(6000), big(1500)));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key, value }),
      fc.record({ kind: fc.constant('putIfAbsent' as const), key, value }),
      fc.record({ kind: fc.constant('delete' as const), key }),
      fc.record({ kind: fc.constant('get' as const), key }),
      fc.record({ kind: fc.constant('list' as const), prefix: fc.constantFrom('', 'a', 'a/', 'b', 'z') }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const client = new FakeDocumentClient(2);
        const store = new DynamoStateStore({ table: 't', client, chunkBytes: 4096 });
        const model = new Map<string, unknown>();

        // Act + Assess, operation by operation
        for (const o of ops) {
          if (o.kind === 'put') {
            await store.put('c', o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'putIfAbsent') {
            const wrote = await store.putIfAbsent('c', o.key, o.value);
            expect(wrote).toBe(!model.has(o.key));
            if (wrote) model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            await store.delete('c', o.key);
            model.delete(o.key);
          } else if (o.kind === 'get') {
            expect(await store.get('c', o.key)).toEqual(model.get(o.key));
          } else {
            const expected = [...model.keys()]
              .filter((k) => k.startsWith(o.prefix))
              .sort()
              .map((k) => ({ key: k, value: model.get(k) }));
            expect(await store.list('c', o.prefix)).toEqual(expected);
          }
        }
        // nothing orphaned: every chunk item belongs to a live record's current version
        const records = [...client.items.values()].filter((i) => i.pk === 'c');
        const chunkItems = [...client.items.values()].filter((i) => i.pk === 'c#chunks');
        const expectedChunks = records.reduce(
          (n, r) => n + ((r.chunks as { count: number } | undefined)?.count ?? 0),
          0,
        );
        expect(chunkItems.length).toBe(expectedChunks);
      }),
      { numRuns: 60 },
    );
  });
});
