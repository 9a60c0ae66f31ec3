// StateStore on the local disk (the embedded default). Each collection is an append-only log,
// `<dir>/<collection>.jsonl`, one `{"k": key, "v": value}` or `{"k": key, "d": 1}` (delete) per
// line. A put appends one line and fsyncs, so its cost does not grow with the collection (the
// notify step writes one record per finding). The log is compacted — rewritten atomically
// (temp file + rename) with only live records — once it holds twice as many lines as records.
// A crash can leave at most a torn last line, which is ignored. Operations within this process
// are serialised per collection; across processes, every write (read-check-append, and the
// compaction that rewrites the log) holds the collection's lock, a short lease under
// `<dir>/.locks` that a killed process does not keep. Reads take no lock: they notice another
// writer's appends (size) and compactions (inode) and re-read.
// Leases asked for through the port live under `<dir>/leases` (see FileLeases.ts).
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import type { Clock } from '../clock.ts';
import { ValidationError } from '../errors.ts';
import { assertRecordKey } from './collections.ts';
import { FileLeases } from './FileLeases.ts';
import { type Lease, type LeaseRequest, processHolder, withLease } from './lease.ts';
import { assertCollectionName, type StateRecord, type StateStore } from './StateStore.ts';

interface Table {
  records: Map<string, unknown>;
  /** Lines in the log, live or not; drives compaction. */
  lines: number;
  /** Bytes of the log this table reflects, its inode and mtime, to notice other writers. */
  size: number;
  ino: number;
  mtimeMs: number;
  /** The log ends in a torn line (a crash mid-append): rewrite before appending after it. */
  torn: boolean;
}

const COMPACT_MIN_LINES = 256;

/** A write holds its collection's lock for milliseconds; a holder this slow is presumed hung. */
const WRITE_LOCK_TTL_MS = 120_000;
/** How long a write waits for another process's write to the same collection. */
const WRITE_LOCK_WAIT_MS = 60_000;

export class FileStateStore implements StateStore {
  readonly #dir: string;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #tables = new Map<string, Table>();
  readonly #writeLocks: FileLeases;
  readonly #leases: FileLeases;

  constructor(dir: string, options: { clock?: Clock } = {}) {
    this.#dir = dir;
    this.#writeLocks = new FileLeases(join(dir, '.locks'), options.clock);
    this.#leases = new FileLeases(join(dir, 'leases'), options.clock);
  }

  #path(collection: string): string {
    assertCollectionName(collection);
    return join(this.#dir, `${collection}.jsonl`);
  }

  /** The collection as it is on disk now, re-read only when the file changed under us. */
  async #table(collection: string): Promise<Table> {
    const path = this.#path(collection);
    let info: { size: number; ino: number; mtimeMs: number };
    try {
      info = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const empty = { records: new Map(), lines: 0, size: 0, ino: 0, mtimeMs: 0, torn: false };
      this.#tables.set(collection, empty);
      return empty;
    }
    const cached = this.#tables.get(collection);
    if (cached && cached.size === info.size && cached.ino === info.ino && cached.mtimeMs === info.mtimeMs)
      return cached;
    const table = parseLog(path, await readFile(path, 'utf8'), info);
    this.#tables.set(collection, table);
    return table;
  }

  async #append(collection: string, table: Table, line: string): Promise<void> {
    const path = this.#path(collection);
    if (table.size === 0) await mkdir(this.#dir, { recursive: true });
    if (table.torn) await this.#compact(collection, table);
    const handle = await open(path, 'a', 0o600);
    try {
      await handle.write(line);
      await handle.sync();
      const info = await handle.stat();
      table.size = info.size;
      table.ino = info.ino;
      table.mtimeMs = info.mtimeMs;
    } finally {
      await handle.close();
    }
    table.lines++;
    if (table.lines >= COMPACT_MIN_LINES && table.lines > 2 * table.records.size)
      await this.#compact(collection, table);
  }

  async #compact(collection: string, table: Table): Promise<void> {
    const path = this.#path(collection);
    const text = [...table.records].map(([k, v]) => `${JSON.stringify({ k, v })}\n`).join('');
    await writeFileAtomic(path, text);
    const info = await stat(path);
    table.lines = table.records.size;
    table.size = info.size;
    table.ino = info.ino;
    table.mtimeMs = info.mtimeMs;
    table.torn = false;
  }

  /**
   * Runs a write holding the collection's cross-process lock, after re-reading the log if
   * another process changed it: no write is lost and no compaction drops another's record.
   */
  async #exclusive<R>(collection: string, key: string, fn: (table: Table) => Promise<R>): Promise<R> {
    assertCollectionName(collection);
    assertRecordKey(collection, key);
    return withLease(
      this.#writeLocks,
      { name: `collection:${collection}`, holder: processHolder(), ttlMs: WRITE_LOCK_TTL_MS },
      async () => fn(await this.#table(collection)),
      { waitMs: WRITE_LOCK_WAIT_MS, pollMs: 5 },
    );
  }

  /** Runs operations on one collection one at a time within this process. */
  async #withLock<R>(collection: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.#locks.get(collection) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    this.#locks.set(
      collection,
      run.catch(() => undefined),
    );
    return run;
  }

  async get<T>(collection: string, key: string): Promise<T | undefined> {
    return this.#withLock(collection, async () => {
      const value = (await this.#table(collection)).records.get(key);
      // Copies, so a caller changing what it got cannot change the store behind its back.
      return value === undefined ? undefined : (structuredClone(value) as T);
    });
  }

  async put<T>(collection: string, key: string, value: T): Promise<void> {
    await this.#withLock(collection, () =>
      this.#exclusive(collection, key, async (table) => {
        const line = `${JSON.stringify({ k: key, v: value })}\n`;
        table.records.set(key, JSON.parse(JSON.stringify(value ?? null)));
        await this.#append(collection, table, line);
      }),
    );
  }

  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    return this.#withLock(collection, () =>
      this.#exclusive(collection, key, async (table) => {
        if (table.records.has(key)) return false;
        table.records.set(key, JSON.parse(JSON.stringify(value ?? null)));
        await this.#append(collection, table, `${JSON.stringify({ k: key, v: value })}\n`);
        return true;
      }),
    );
  }

  async delete(collection: string, key: string): Promise<void> {
    await this.#withLock(collection, () =>
      this.#exclusive(collection, key, async (table) => {
        if (!table.records.has(key)) return;
        table.records.delete(key);
        await this.#append(collection, table, `${JSON.stringify({ k: key, d: 1 })}\n`);
      }),
    );
  }

  acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
    return this.#leases.acquireLease(request);
  }

  renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    return this.#leases.renewLease(lease, ttlMs);
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.#leases.releaseLease(lease);
  }

  async list<T>(collection: string, prefix = ''): Promise<StateRecord<T>[]> {
    return this.#withLock(collection, async () => {
      const { records } = await this.#table(collection);
      return [...records.keys()]
        .filter((key) => key.startsWith(prefix))
        .sort()
        .map((key) => ({ key, value: structuredClone(records.get(key)) as T }));
    });
  }
}

/** Replays a log. A torn last line (a crash mid-append) is ignored; damage elsewhere is an error. */
function parseLog(path: string, text: string, info: { size: number; ino: number; mtimeMs: number }): Table {
  const records = new Map<string, unknown>();
  // The last element is '' after a final newline, or a torn fragment: either way not a record.
  const complete = text.split('\n').slice(0, -1);
  const torn = text !== '' && !text.endsWith('\n');
  complete.forEach((line, index) => {
    let entry: { k?: unknown; v?: unknown; d?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch (error) {
      throw new ValidationError(
        `${path}:${index + 1}`,
        'state log line is not JSON; move the file aside to start afresh',
        {
          cause: error,
        },
      );
    }
    if (typeof entry?.k !== 'string') {
      throw new ValidationError(
        `${path}:${index + 1}`,
        'state log line has no string "k"; move the file aside to start afresh',
      );
    }
    if (entry.d !== undefined) records.delete(entry.k);
    else records.set(entry.k, entry.v);
  });
  return { records, lines: complete.length, size: info.size, ino: info.ino, mtimeMs: info.mtimeMs, torn };
}
