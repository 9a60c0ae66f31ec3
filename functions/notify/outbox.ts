// The outbox state machine in StateStore collection `outbox`:
//   pending --transport accepted--> sent --notified state written--> sent + notifiedApplied
//   pending --transient failure--> pending (attempts + 1), tried again next run
//   pending --recipient refused--> failed (reported, routed to the security contact)
// Messages are persisted as pending before any send, so a crash loses nothing; a sent message
// is never sent again, and the notified state changes only for sent messages.
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../../core/state/StateStore.ts';
import {
  type ComposedMessage,
  NOTIFIED_COLLECTION,
  NotifiedRecord,
  notifiedKey,
  OUTBOX_COLLECTION,
  OutboxRecord,
} from './types.ts';

export async function listOutbox(store: StateStore, logger?: Logger): Promise<OutboxRecord[]> {
  const records: OutboxRecord[] = [];
  for (const { key, value } of await store.list<unknown>(OUTBOX_COLLECTION)) {
    const parsed = OutboxRecord.safeParse(value);
    if (parsed.success) records.push(parsed.data);
    else logger?.warn({ key }, 'skipping an outbox record that fails the schema');
  }
  return records;
}

/** Queues messages as pending. A message id already in the outbox (same recipient and run) is left alone. */
export async function enqueue(
  store: StateStore,
  messages: readonly ComposedMessage[],
  runId: string,
): Promise<{ queued: OutboxRecord[]; existing: number }> {
  const queued: OutboxRecord[] = [];
  let existing = 0;
  for (const message of messages) {
    const record: OutboxRecord = { message, status: 'pending', runId, attempts: 0 };
    if (await store.putIfAbsent(OUTBOX_COLLECTION, message.id, record)) queued.push(record);
    else existing++;
  }
  return { queued, existing };
}

export async function saveRecord(store: StateStore, record: OutboxRecord): Promise<void> {
  await store.put(OUTBOX_COLLECTION, record.message.id, OutboxRecord.parse(record));
}

/** Writes the notified state for every finding of a sent message, then marks that done. */
export async function applyNotified(
  store: StateStore,
  record: OutboxRecord,
  routedTo?: string,
): Promise<void> {
  const sentAt = record.sentAt ?? record.message.createdAt;
  for (const finding of record.message.findings) {
    const value: NotifiedRecord = {
      sentAt,
      severity: finding.severity,
      fixable: finding.fixable,
      ...(routedTo ? { routedTo } : {}),
    };
    await store.put(NOTIFIED_COLLECTION, notifiedKey(finding.key, finding.recipient), value);
  }
  await saveRecord(store, { ...record, notifiedApplied: true });
}

export async function loadNotified(store: StateStore, logger?: Logger): Promise<Map<string, NotifiedRecord>> {
  const map = new Map<string, NotifiedRecord>();
  for (const { key, value } of await store.list<unknown>(NOTIFIED_COLLECTION)) {
    const parsed = NotifiedRecord.safeParse(value);
    if (parsed.success) map.set(key, parsed.data);
    else logger?.warn({ key }, 'skipping a notified record that fails the schema');
  }
  return map;
}

/** Drops sent and failed records older than `keepMs`; pending ones stay until delivered. */
export async function pruneOutbox(
  store: StateStore,
  records: readonly OutboxRecord[],
  now: Date,
  keepMs: number,
): Promise<number> {
  let pruned = 0;
  for (const record of records) {
    if (record.status === 'pending') continue;
    if (record.status === 'sent' && !record.notifiedApplied) continue;
    const at = Date.parse(record.sentAt ?? record.message.createdAt);
    if (now.getTime() - at > keepMs) {
      await store.delete(OUTBOX_COLLECTION, record.message.id);
      pruned++;
    }
  }
  return pruned;
}
