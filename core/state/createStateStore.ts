// Picks the StateStore adapter the config asks for: JSON files under `state.dir` (the local
// default) or one DynamoDB table (AWS). The only place that constructs either.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { type DocumentSender, DynamoStateStore } from './DynamoStateStore.ts';
import { FileStateStore } from './FileStateStore.ts';
import type { StateStore } from './StateStore.ts';

export interface CreateStateStoreOptions {
  clock?: Clock;
  /** Time to live per collection (ms), DynamoDB only. */
  ttlMs?: Readonly<Record<string, number>>;
  /** Extra SDK client settings (credentials for dynalite in tests, a custom request handler). */
  dynamodb?: DynamoDBClientConfig;
  /** A ready client; replaces the one built from config (tests). */
  client?: DocumentSender;
}

/** Builds the DynamoDB document client the store uses from `state.region` / `state.endpoint`. */
export function createDocumentClient(
  state: Config['state'],
  extra: DynamoDBClientConfig = {},
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(state.region ? { region: state.region } : {}),
    ...(state.endpoint ? { endpoint: state.endpoint } : {}),
    ...extra,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createStateStore(state: Config['state'], options: CreateStateStoreOptions = {}): StateStore {
  if (state.backend === 'file') return new FileStateStore(state.dir);
  return new DynamoStateStore({
    table: state.table,
    client: options.client ?? createDocumentClient(state, options.dynamodb),
    ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
