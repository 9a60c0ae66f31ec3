// An in-memory DynamoDB document client for unit tests: Get/Put/Delete/Query on (pk, sk) with
// the one condition expression the store uses, Query pages of `pageSize` items with
// LastEvaluatedKey (as DynamoDB does at 1 MB), and injectable SDK-shaped failures.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DocumentSender } from '../../../../core/state/DynamoStateStore.ts';

type Item = Record<string, unknown> & { pk: string; sk: string };

export function sdkError(name: string, status: number): Error {
  return Object.assign(new Error(`${name}: injected`), { name, $metadata: { httpStatusCode: status } });
}

export class FakeDocumentClient implements DocumentSender {
  readonly items = new Map<string, Item>();
  readonly calls: string[] = [];
  /** Errors thrown by the next calls, in order. */
  readonly failNext: Error[] = [];
  constructor(readonly pageSize = 1000) {}

  #id(pk: string, sk: string): string {
    return `${pk}\u0000${sk}`;
  }

  // biome-ignore lint/suspicious/noExplicitAny: matches the SDK's overloaded send signature
  send = (async (command: any): Promise<any> => {
    this.calls.push(command.constructor.name);
    const failure = this.failNext.shift();
    if (failure) throw failure;
    const input = command.input;
    if (command instanceof GetCommand) {
      const item = this.items.get(this.#id(input.Key.pk, input.Key.sk));
      return item ? { Item: structuredClone(item) } : {};
    }
    if (command instanceof PutCommand) {
      const item = input.Item as Item;
      const id = this.#id(item.pk, item.sk);
      if (input.ConditionExpression) {
        const existing = this.items.get(id);
        const now = input.ExpressionAttributeValues[':now'] as number;
        const expired = existing?.expiresAt !== undefined && (existing.expiresAt as number) <= now;
        if (existing && !expired) throw sdkError('ConditionalCheckFailedException', 400);
      }
      const old = this.items.get(id);
      this.items.set(id, structuredClone(item));
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: structuredClone(old) } : {};
    }
    if (command instanceof DeleteCommand) {
      const id = this.#id(input.Key.pk, input.Key.sk);
      const old = this.items.get(id);
      this.items.delete(id);
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: structuredClone(old) } : {};
    }
    if (command instanceof QueryCommand) {
      const pk = input.ExpressionAttributeValues[':pk'] as string;
      const prefix = (input.ExpressionAttributeValues[':prefix'] as string | undefined) ?? '';
      const matching = [...this.items.values()]
        .filter((item) => item.pk === pk && item.sk.startsWith(prefix))
        .sort((a, b) => Buffer.compare(Buffer.from(a.sk), Buffer.from(b.sk)));
      const after = input.ExclusiveStartKey?.sk as string | undefined;
      const start = after === undefined ? 0 : matching.findIndex((item) => item.sk === after) + 1;
      const page = matching.slice(start, start + this.pageSize);
      const last = page.at(-1);
      const more = start + this.pageSize < matching.length;
      return {
        Items: page.map((item) => structuredClone(item)),
        ...(more && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
      };
    }
    throw new Error(`fake document client: unexpected ${command.constructor.name}`);
  }) as DocumentSender['send'];
}
