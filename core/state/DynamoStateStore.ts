// StateStore on one DynamoDB table (in AWS): partition key `pk` = collection, sort key `sk` =
// record key, the value as a JSON string in `value` (gzip-compressed into `gz` when large),
// and an optional epoch-seconds `expiresAt` that DynamoDB's TTL deletes (lazily, so reads
// filter expired records themselves). Reads are strongly consistent: the outbox and the
// notified state are read right after they are written.
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../clock.ts';
import { ConfigError, UpstreamError, ValidationError } from '../errors.ts';
import { assertCollectionName, type StateRecord, type StateStore } from './StateStore.ts';

/** The table's attribute names; terraform/dynamodb.tf declares the same. */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

/** DynamoDB refuses items over 400 KB; leave room for keys and attribute names. */
export const MAX_VALUE_BYTES = 390 * 1024;
/** Values above this are stored gzip-compressed (JSON shrinks 5-10x; reads and writes cost less). */
export const COMPRESS_ABOVE_BYTES = 16 * 1024;

/** The one method of DynamoDBDocumentClient this store uses; tests pass a fake. */
export type DocumentSender = Pick<DynamoDBDocumentClient, 'send'>;

export interface DynamoStateStoreOptions {
  table: string;
  client: DocumentSender;
  /** Time to live per collection in milliseconds; records of other collections never expire. */
  ttlMs?: Record<string, number>;
  clock?: Clock;
}

interface Item {
  pk: string;
  sk: string;
  value?: string;
  gz?: Uint8Array;
  expiresAt?: number;
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

export class DynamoStateStore implements StateStore {
  readonly #table: string;
  readonly #client: DocumentSender;
  readonly #ttlMs: Record<string, number>;
  readonly #clock: Clock;

  constructor(options: DynamoStateStoreOptions) {
    this.#table = options.table;
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? {};
    this.#clock = options.clock ?? systemClock;
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
      throw new UpstreamError(`dynamodb:${this.#table}`, `${what} failed: ${errorName(error) || 'error'}`, {
        cause: error,
        ...(status === undefined ? {} : { status }),
      });
    }
  }

  #item(collection: string, key: string, value: unknown): Item {
    assertCollectionName(collection);
    if (key.length === 0) throw new ValidationError(`state ${collection}`, 'record keys must not be empty');
    const json = JSON.stringify(value);
    if (json === undefined) throw new ValidationError(`state ${collection}/${key}`, 'value is not JSON');
    const item: Item = { pk: collection, sk: key };
    const size = Buffer.byteLength(json);
    if (size > COMPRESS_ABOVE_BYTES) {
      const gz = gzipSync(json);
      if (gz.byteLength > MAX_VALUE_BYTES) {
        throw new ValidationError(
          `state ${collection}/${key}`,
          `value is ${size} bytes (${gz.byteLength} compressed), over DynamoDB's item limit; split it into several keys`,
        );
      }
      item.gz = new Uint8Array(gz);
    } else {
      item.value = json;
    }
    const ttl = this.#ttlMs[collection];
    if (ttl !== undefined) item.expiresAt = this.#nowSeconds() + Math.ceil(ttl / 1000);
    return item;
  }

  #live(item: Item): boolean {
    return item.expiresAt === undefined || item.expiresAt > this.#nowSeconds();
  }

  #decode<T>(item: Item): T {
    try {
      const text = item.gz !== undefined ? gunzipSync(item.gz).toString('utf8') : (item.value ?? '');
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ValidationError(`state ${item.pk}/${item.sk}`, 'stored value is not valid JSON', {
        cause: error,
      });
    }
  }

  async get<T>(collection: string, key: string): Promise<T | undefined> {
    assertCollectionName(collection);
    if (key.length === 0) return undefined;
    const out = await this.#send('get', () =>
      this.#client.send(
        new GetCommand({ TableName: this.#table, Key: { pk: collection, sk: key }, ConsistentRead: true }),
      ),
    );
    const item = out.Item as Item | undefined;
    return item && this.#live(item) ? this.#decode<T>(item) : undefined;
  }

  async put<T>(collection: string, key: string, value: T): Promise<void> {
    const item = this.#item(collection, key, value);
    await this.#send('put', () => this.#client.send(new PutCommand({ TableName: this.#table, Item: item })));
  }

  async putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean> {
    const item = this.#item(collection, key, value);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          // An expired record TTL has not deleted yet counts as absent.
          ConditionExpression:
            'attribute_not_exists(pk) OR (attribute_exists(expiresAt) AND expiresAt <= :now)',
          ExpressionAttributeValues: { ':now': this.#nowSeconds() },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      return this.#send('putIfAbsent', () => Promise.reject(error));
    }
  }

  async delete(collection: string, key: string): Promise<void> {
    assertCollectionName(collection);
    if (key.length === 0) return;
    await this.#send('delete', () =>
      this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { pk: collection, sk: key } })),
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
        if (this.#live(item)) records.push({ key: item.sk, value: this.#decode<T>(item) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // DynamoDB orders sort keys by UTF-8 bytes; the port promises the file store's JS order.
    return records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
