// StateStore on the local disk: one JSON file per collection under a directory, rewritten
// atomically on every change and serialised per collection within the process.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { ValidationError } from '../errors.ts';
import { assertCollectionName, type StateRecord, type StateStore } from './StateStore.ts';

type Table = Record<string, unknown>;

export class FileStateStore implements StateStore {
  readonly #dir: string;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(collection: string): string {
    assertCollectionName(collection);
    return join(this.#dir, `${collection}.json`);
  }

  async #read(collection: string): Promise<Table> {
    const path = this.#path(collection);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      return parsed as Table;
    } catch (error) {
      throw new ValidationError(path, 'state file is not a JSON object; move it aside to start afresh', {
        cause: error,
      });
    }
  }

  /** Runs read-modify-write sequences for one collection one at a time. */
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
    const table = await this.#withLock(collection, () => this.#read(collection));
    return Object.hasOwn(table, key) ? (table[key] as T) : undefined;
  }

  async put<T>(collection: string, key: string, value: T): Promise<void> {
    await this.#withLock(collection, async () => {
      const table = await this.#read(collection);
      table[key] = value;
      await writeFileAtomic(this.#path(collection), `${JSON.stringify(table, null, 1)}\n`);
    });
  }

  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    return this.#withLock(collection, async () => {
      const table = await this.#read(collection);
      if (Object.hasOwn(table, key)) return false;
      table[key] = value;
      await writeFileAtomic(this.#path(collection), `${JSON.stringify(table, null, 1)}\n`);
      return true;
    });
  }

  async delete(collection: string, key: string): Promise<void> {
    await this.#withLock(collection, async () => {
      const table = await this.#read(collection);
      if (!Object.hasOwn(table, key)) return;
      delete table[key];
      await writeFileAtomic(this.#path(collection), `${JSON.stringify(table, null, 1)}\n`);
    });
  }

  async list<T>(collection: string, prefix = ''): Promise<StateRecord<T>[]> {
    const table = await this.#withLock(collection, () => this.#read(collection));
    return Object.keys(table)
      .filter((key) => key.startsWith(prefix))
      .sort()
      .map((key) => ({ key, value: table[key] as T }));
  }
}
