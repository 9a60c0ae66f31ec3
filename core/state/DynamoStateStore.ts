// StateStore on one DynamoDB table (in AWS): partition key `pk` = collection, sort key `sk` =
// record key, the value as a JSON string in `value` (gzip-compressed into `gz` when large),
// and an optional epoch-seconds `expiresAt` that DynamoDB's TTL deletes (lazily, so reads
// filter expired records themselves). Reads are strongly consistent: the outbox and the
// notified state are read right after they are written.
// A value too big for one 400 KB item (a large fleet's inventory snapshot) is split: its gzip
// bytes go to chunk items in the partition `<collection>#chunks` under a fresh version id,
// then the record item is written pointing at that version, then the old version's chunks
// are deleted. A reader therefore always finds a complete set.
// Leases are items in the partition `leases` (sort key = lease name) written with conditional
// puts: taken when absent or past `leaseUntil`, renewed and released only with their token.
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../clock.ts';
import { ConfigError, UpstreamError, ValidationError } from '../errors.ts';
import { assertRecordKey, COLLECTION_TTL_MS, LEASES_COLLECTION } from './collections.ts';
import { assertLeaseRequest, type Lease, type LeaseRequest } from './lease.ts';
import { assertCollectionName, type StateRecord, type StateStore } from './StateStore.ts';

/** The table's attribute names; terraform/dynamodb.tf declares the same. */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

/** DynamoDB refuses items over 400 KB; leave room for keys and attribute names. */
export const MAX_VALUE_BYTES = 390 * 1024;
/** Values above this are stored gzip-compressed (JSON shrinks 5-10x; reads and writes cost less). */
export const COMPRESS_ABOVE_BYTES = 16 * 1024;
/** Largest value accepted at all (compressed): 64 chunks. */
export const MAX_CHUNKS = 64;

/** The one method of DynamoDBDocumentClient this store uses; tests pass a fake. */
export type DocumentSender = Pick<DynamoDBDocumentClient, 'send'>;

export interface DynamoStateStoreOptions {
  table: string;
  client: DocumentSender;
  /** Time to live per collection in ms (default: the registry's); records of others never expire. */
  ttlMs?: Readonly<Record<string, number>>;
  clock?: Clock;
  /** Bytes per chunk of a split value (tests lower it). */
  chunkBytes?: number;
}

interface Item {
  pk: string;
  sk: string;
  value?: string;
  gz?: Uint8Array;
  /** Set on a record whose value is split over chunk items. */
  chunks?: { version: string; count: number };
  expiresAt?: number;
}

interface Encoded {
  item: Item;
  chunks: Item[];
}

/** A chunk of the version a record points at is gone: a writer replaced it meanwhile. */
class ChunkMissing extends ValidationError {
  override name = 'ChunkMissing';
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

/** The SDK error's name and the first line of its message (what says why: no credentials, access denied). */
function describeSdkError(error: unknown): string {
  const name = errorName(error) || 'error';
  const message =
    ((error as { message?: unknown }).message ?? '').toString().split('\n')[0]?.slice(0, 300) ?? '';
  return message && message !== name ? `${name}: ${message}` : name;
}

const chunkPartition = (collection: string): string => `${collection}#chunks`;
const chunkKey = (key: string, version: string, index: number): string =>
  `${key}\u0000${version}\u0000${index}`;

export class DynamoStateStore implements StateStore {
  readonly #table: string;
  readonly #client: DocumentSender;
  readonly #ttlMs: Readonly<Record<string, number>>;
  readonly #clock: Clock;
  readonly #chunkBytes: number;

  constructor(options: DynamoStateStoreOptions) {
    this.#table = options.table;
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? COLLECTION_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#chunkBytes = Math.min(options.chunkBytes ?? MAX_VALUE_BYTES, MAX_VALUE_BYTES);
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.now().getTime() / 1000);
  }

  /** Wraps SDK failures: a missing table is a config problem, anything else an upstream one. */
  async #send<R>(what: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new ConfigError(
          `state.table: DynamoDB table ${this.#table} does not exist in this region`,
          [],
          {
            cause: error,
          },
        );
      }
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new UpstreamError(`dynamodb:${this.#table}`, `${what} failed: ${describeSdkError(error)}`, {
        cause: error,
        ...(status === undefined ? {} : { status }),
      });
    }
  }

  #encode(collection: string, key: string, value: unknown): Encoded {
    assertCollectionName(collection);
    if (key.length === 0) throw new ValidationError(`state ${collection}`, 'record keys must not be empty');
    assertRecordKey(collection, key);
    const json = JSON.stringify(value);
    if (json === undefined) throw new ValidationError(`state ${collection}/${key}`, 'value is not JSON');
    const ttl = this.#ttlMs[collection];
    const expires = ttl === undefined ? {} : { expiresAt: this.#nowSeconds() + Math.ceil(ttl / 1000) };
    const item: Item = { pk: collection, sk: key, ...expires };
    const size = Buffer.byteLength(json);
    if (size <= COMPRESS_ABOVE_BYTES) return { item: { ...item, value: json }, chunks: [] };
    const gz = gzipSync(json);
    if (gz.byteLength <= this.#chunkBytes) return { item: { ...item, gz: new Uint8Array(gz) }, chunks: [] };
    const count = Math.ceil(gz.byteLength / this.#chunkBytes);
    if (count > MAX_CHUNKS) {
      throw new ValidationError(
        `state ${collection}/${key}`,
        `value is ${size} bytes (${gz.byteLength} compressed), over the ${MAX_CHUNKS}-chunk limit; split it into several keys`,
      );
    }
    const version = randomUUID();
    const chunks = Array.from({ length: count }, (_, i) => ({
      pk: chunkPartition(collection),
      sk: chunkKey(key, version, i),
      gz: new Uint8Array(gz.subarray(i * this.#chunkBytes, (i + 1) * this.#chunkBytes)),
      ...expires,
    }));
    return { item: { ...item, chunks: { version, count } }, chunks };
  }

  #live(item: Item): boolean {
    return item.expiresAt === undefined || item.expiresAt > this.#nowSeconds();
  }

  async #decode<T>(item: Item): Promise<T> {
    let bytes = item.gz;
    if (item.chunks) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < item.chunks.count; i++) {
        const part = await this.#getItem(chunkPartition(item.pk), chunkKey(item.sk, item.chunks.version, i));
        if (part?.gz === undefined) {
          throw new ChunkMissing(
            `state ${item.pk}/${item.sk}`,
            `chunk ${i + 1} of ${item.chunks.count} is missing`,
          );
        }
        parts.push(part.gz);
      }
      bytes = Buffer.concat(parts);
    }
    try {
      const text = bytes !== undefined ? gunzipSync(bytes).toString('utf8') : (item.value ?? '');
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ValidationError(`state ${item.pk}/${item.sk}`, 'stored value is not valid JSON', {
        cause: error,
      });
    }
  }

  async #getItem(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.#send('get', () =>
      this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item as Item | undefined;
  }

  async #putChunks(chunks: Item[]): Promise<void> {
    for (const chunk of chunks) {
      await this.#send('put', () =>
        this.#client.send(new PutCommand({ TableName: this.#table, Item: chunk })),
      );
    }
  }

  /** Deletes the chunk items of a record version that is no longer referenced. */
  async #dropChunks(old: Item | undefined): Promise<void> {
    if (!old?.chunks) return;
    for (let i = 0; i < old.chunks.count; i++) {
      const Key = { pk: chunkPartition(old.pk), sk: chunkKey(old.sk, old.chunks.version, i) };
      await this.#send('delete', () => this.#client.send(new DeleteCommand({ TableName: this.#table, Key })));
    }
  }

  async get<T>(collection: string, key: string): Promise<T | undefined> {
    assertCollectionName(collection);
    if (key.length === 0) return undefined;
    for (let attempt = 1; ; attempt++) {
      const item = await this.#getItem(collection, key);
      if (!item || !this.#live(item)) return undefined;
      try {
        return await this.#decode<T>(item);
      } catch (error) {
        // read the record again once: it now points at the new version's chunks
        if (!(error instanceof ChunkMissing) || attempt > 1) throw error;
      }
    }
  }

  async put<T>(collection: string, key: string, value: T): Promise<void> {
    const { item, chunks } = this.#encode(collection, key, value);
    await this.#putChunks(chunks);
    const out = await this.#send('put', () =>
      this.#client.send(new PutCommand({ TableName: this.#table, Item: item, ReturnValues: 'ALL_OLD' })),
    );
    await this.#dropChunks(out.Attributes as Item | undefined);
  }

  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    const { item, chunks } = this.#encode(collection, key, value);
    await this.#putChunks(chunks);
    const input: PutCommandInput = {
      TableName: this.#table,
      Item: item,
      // An expired record TTL has not deleted yet counts as absent.
      ConditionExpression: 'attribute_not_exists(pk) OR (attribute_exists(expiresAt) AND expiresAt <= :now)',
      ExpressionAttributeValues: { ':now': this.#nowSeconds() },
      ReturnValues: 'ALL_OLD',
    };
    try {
      const out = await this.#client.send(new PutCommand(input));
      await this.#dropChunks(out.Attributes as Item | undefined);
      return true;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') {
        return this.#send('putIfAbsent', () => Promise.reject(error));
      }
      await this.#dropChunks(item);
      return false;
    }
  }

  async delete(collection: string, key: string): Promise<void> {
    assertCollectionName(collection);
    if (key.length === 0) return;
    const out = await this.#send('delete', () =>
      this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { pk: collection, sk: key },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    await this.#dropChunks(out.Attributes as Item | undefined);
  }

  /** A conditional write: false when its condition failed, other errors as #send maps them. */
  async #conditional(what: string, command: PutCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.#client.send(command as PutCommand);
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      return this.#send(what, () => Promise.reject(error));
    }
  }

  #leaseItem(lease: Lease, ms: number) {
    return {
      pk: LEASES_COLLECTION,
      sk: lease.name,
      holder: lease.holder,
      token: lease.token,
      leaseUntil: ms,
      // TTL deletes forgotten leases a day after they ran out; reads compare leaseUntil
      expiresAt: Math.ceil(ms / 1000) + 86_400,
    };
  }

  async acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
    assertLeaseRequest(request);
    const now = this.#clock.now().getTime();
    const until = now + request.ttlMs;
    const lease: Lease = {
      name: request.name,
      holder: request.holder,
      token: randomUUID(),
      expiresAt: new Date(until).toISOString(),
    };
    const taken = await this.#conditional(
      'acquireLease',
      new PutCommand({
        TableName: this.#table,
        Item: this.#leaseItem(lease, until),
        ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil <= :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    return taken ? lease : undefined;
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const until = this.#clock.now().getTime() + ttlMs;
    const renewed = { ...lease, expiresAt: new Date(until).toISOString() };
    const ok = await this.#conditional(
      'renewLease',
      new PutCommand({
        TableName: this.#table,
        Item: this.#leaseItem(renewed, until),
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': lease.token },
      }),
    );
    return ok ? renewed : undefined;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.#conditional(
      'releaseLease',
      new DeleteCommand({
        TableName: this.#table,
        Key: { pk: LEASES_COLLECTION, sk: lease.name },
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': lease.token },
      }),
    );
  }

  async list<T>(collection: string, prefix = ''): Promise<StateRecord<T>[]> {
    assertCollectionName(collection);
    const records: StateRecord<T>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.#table,
        KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: prefix ? { ':pk': collection, ':prefix': prefix } : { ':pk': collection },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
      const page = await this.#send('list', () => this.#client.send(new QueryCommand(input)));
      for (const raw of page.Items ?? []) {
        const item = raw as Item;
        if (this.#live(item)) records.push({ key: item.sk, value: await this.#decode<T>(item) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // DynamoDB orders sort keys by UTF-8 bytes; the port promises the file store's JS order.
    return records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
