// A real DynamoDB-compatible server (dynalite, in memory) on loopback, with imagewarden's state
// table (pk/sk) created, for integration tests: dynaliteForSuite starts one for a test file
// and stops it after; startDynalite is the bare start.
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';

const dynalite = createRequire(import.meta.url)('dynalite') as (options: Record<string, number>) => Server;

/** Static credentials dynalite accepts (it checks none). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'eu-north-1';

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 and creates each named table with the state store's key schema. */
export async function startDynalite(tables: string[]): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const admin = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    for (const TableName of tables) {
      await admin.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    admin.destroy();
  }
  return { endpoint, stop };
}

/** dynalite for the calling test file: started before its tests, stopped after them. */
export function dynaliteForSuite(tables: string[]): { readonly endpoint: string } {
  let dynamo: LocalDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite(tables);
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  return {
    get endpoint(): string {
      if (!dynamo) throw new Error('dynalite is not running (use endpoint inside tests, not at load)');
      return dynamo.endpoint;
    },
  };
}
