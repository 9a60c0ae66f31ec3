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

  it('refuses odd collection names and reports a corrupt file by path', async () => {
    const store = new FileStateStore(dir);
    await expect(store.get('../etc', 'x')).rejects.toThrow(RangeError);
    await writeFile(join(dir, 'acks.json'), '{"truncated":');
    await expect(store.get('acks', 'x')).rejects.toThrow(ValidationError);
    await expect(store.get('acks', 'x')).rejects.toThrow(/acks\.json/);
    expect(await readFile(join(dir, 'acks.json'), 'utf8')).toBe('{"truncated":');
  });
});
