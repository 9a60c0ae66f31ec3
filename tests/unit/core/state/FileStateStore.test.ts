import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStateStore', () => {
  it('stores, lists by prefix in key order, and deletes', async () => {
    const store = new FileStateStore(dir);
    await store.put('notified', 'b|x', { n: 2 });
    await store.put('notified', 'a|x', { n: 1 });
    await store.put('notified', 'c|y', { n: 3 });
    expect(await store.get('notified', 'a|x')).toEqual({ n: 1 });
    expect((await store.list('notified', 'a|')).map((r) => r.key)).toEqual(['a|x']);
    expect((await store.list('notified')).map((r) => r.key)).toEqual(['a|x', 'b|x', 'c|y']);
    await store.delete('notified', 'b|x');
    expect(await store.get('notified', 'b|x')).toBeUndefined();
  });

  it('persists across instances (another process reading the same directory)', async () => {
    await new FileStateStore(dir).put('inventory', 'latest', { items: [1] });
    expect(await new FileStateStore(dir).get('inventory', 'latest')).toEqual({ items: [1] });
  });

  it('putIfAbsent writes once', async () => {
    const store = new FileStateStore(dir);
    expect(await store.putIfAbsent('clair-notifications', 'n1', { at: 1 })).toBe(true);
    expect(await store.putIfAbsent('clair-notifications', 'n1', { at: 2 })).toBe(false);
    expect(await store.get('clair-notifications', 'n1')).toEqual({ at: 1 });
  });

  it('loses no update under concurrent writers in one process', async () => {
    const store = new FileStateStore(dir);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.put('outbox', `m${String(i).padStart(2, '0')}`, i)),
    );
    expect((await store.list('outbox')).length).toBe(50);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses odd collection names and reports a damaged log by path and line', async () => {
    const store = new FileStateStore(dir);
    await expect(store.get('../etc', 'x')).rejects.toThrow(RangeError);
    await writeFile(join(dir, 'acks.jsonl'), '{"k":"a","v":1}\n{"truncated":\n{"k":"b","v":2}\n');
    await expect(store.get('acks', 'x')).rejects.toThrow(ValidationError);
    await expect(store.get('acks', 'x')).rejects.toThrow(/acks\.jsonl:2/);
    expect(await readFile(join(dir, 'acks.jsonl'), 'utf8')).toContain('{"truncated":');
  });

  it('ignores a torn last line left by a crash and keeps appending cleanly after it', async () => {
    await writeFile(join(dir, 'outbox.jsonl'), '{"k":"m1","v":"sent"}\n{"k":"m2","v":"pen');
    const store = new FileStateStore(dir);
    expect(await store.list('outbox')).toEqual([{ key: 'm1', value: 'sent' }]);
    await store.put('outbox', 'm3', 'pending');
    expect(await new FileStateStore(dir).list('outbox')).toEqual([
      { key: 'm1', value: 'sent' },
      { key: 'm3', value: 'pending' },
    ]);
  });

  it('sees what another writer appended to the same directory', async () => {
    const a = new FileStateStore(dir);
    const b = new FileStateStore(dir);
    await a.put('notified', 'k1', 1);
    expect(await b.get('notified', 'k1')).toBe(1);
    await b.put('notified', 'k2', 2);
    await b.delete('notified', 'k1');
    expect(await a.list('notified')).toEqual([{ key: 'k2', value: 2 }]);
  });

  it('compacts the log once it is mostly overwritten records, keeping every live value', async () => {
    const store = new FileStateStore(dir);
    for (let i = 0; i < 600; i++) await store.put('scan-results', `d${i % 10}`, { attempt: i });
    const text = await readFile(join(dir, 'scan-results.jsonl'), 'utf8');
    expect(text.trim().split('\n').length).toBeLessThan(300);
    const fresh = new FileStateStore(dir);
    expect(await fresh.get('scan-results', 'd9')).toEqual({ attempt: 599 });
    expect((await fresh.list('scan-results')).length).toBe(10);
  });

  it('hands out copies, so callers cannot change stored values by accident', async () => {
    const store = new FileStateStore(dir);
    await store.put('acks', 'a1', { reason: 'r' });
    const got = await store.get<{ reason: string }>('acks', 'a1');
    if (got) got.reason = 'changed';
    expect(await store.get('acks', 'a1')).toEqual({ reason: 'r' });
  });
});
