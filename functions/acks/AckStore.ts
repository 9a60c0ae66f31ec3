// Acknowledgements recorded by the CLI and by signed links, in StateStore collection `acks`
// (key = ack id). Revoking keeps the record with `revokedAt`, so history stays visible and a
// link replayed after a revoke is refused.
import { ImagewardenError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import { Ack } from './Ack.ts';

export const ACKS_COLLECTION = 'acks';

/** Link acks are keyed by the token id: one link can record one ack, once. */
export function linkAckId(tokenId: string): string {
  return `link-${tokenId}`;
}

export async function listStoredAcks(
  store: StateStore,
  logger?: Logger,
): Promise<{ acks: Ack[]; invalid: number }> {
  const records = await store.list<unknown>(ACKS_COLLECTION);
  const acks: Ack[] = [];
  let invalid = 0;
  for (const record of records) {
    const parsed = Ack.safeParse(record.value);
    if (parsed.success) acks.push(parsed.data);
    else {
      invalid++;
      logger?.warn({ key: record.key, issues: parsed.error.issues.length }, 'skipping an invalid stored ack');
    }
  }
  return { acks, invalid };
}

export async function getStoredAck(store: StateStore, id: string): Promise<Ack | undefined> {
  const value = await store.get<unknown>(ACKS_COLLECTION, id);
  const parsed = Ack.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Records an ack; returns false when one with the same id exists already (a replayed link). */
export async function recordAck(store: StateStore, ack: Ack): Promise<boolean> {
  return store.putIfAbsent(ACKS_COLLECTION, ack.id, Ack.parse(ack));
}

/** Revokes a stored ack. Acks from the YAML file are revoked by editing the file. */
export async function revokeAck(store: StateStore, id: string, by: string, now: Date): Promise<Ack> {
  if (id.startsWith('file-')) {
    throw new ImagewardenError(
      `ack ${id} comes from the acks file: remove the entry there (reviewed in git)`,
    );
  }
  const ack = await getStoredAck(store, id);
  if (!ack) throw new NotFoundError(`no stored ack with id ${id}`);
  if (ack.revokedAt !== undefined) return ack;
  const revoked: Ack = { ...ack, revokedAt: now.toISOString(), revokedBy: by };
  await store.put(ACKS_COLLECTION, id, revoked);
  return revoked;
}
