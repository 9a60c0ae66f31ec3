// Leases in DynamoStateStore against dynalite (a real DynamoDB implementation on loopback):
// conditional puts give one holder at a time, expiry hands the lease over, and only the
// holder's token renews or releases it.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { parseConfig } from '../../core/config/load.ts';
import { createDocumentClient } from '../../core/state/createStateStore.ts';
import { DynamoStateStore } from '../../core/state/DynamoStateStore.ts';
import { dynaliteForSuite, LOCAL_CREDENTIALS } from '../support/dynalite.ts';

const TABLE = 'imagewarden-leases-it';
const dynamo = dynaliteForSuite([TABLE]);

function store(clock: ManualClock): DynamoStateStore {
  const state = parseConfig({
    state: { backend: 'dynamodb', table: TABLE, region: 'eu-north-1', endpoint: dynamo.endpoint },
  }).state;
  return new DynamoStateStore({
    table: TABLE,
    client: createDocumentClient(state, { credentials: LOCAL_CREDENTIALS }),
    clock,
  });
}

describe('DynamoStateStore leases on dynalite', () => {
  it('gives a lease to exactly one of many racing acquirers', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const stores = Array.from({ length: 8 }, () => store(clock));

    // Act
    const results = await Promise.all(
      stores.map((s, i) => s.acquireLease({ name: 'race', holder: `h${i}`, ttlMs: 60_000 })),
    );

    // Assess
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('hands an expired lease over; the old token then neither renews nor releases it', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const a = store(clock);
    const b = store(clock);
    const old = await a.acquireLease({ name: 'notify-run', holder: 'a', ttlMs: 1000 });
    const whileHeld = await b.acquireLease({ name: 'notify-run', holder: 'b', ttlMs: 1000 });

    // Act
    clock.advance(1000);
    const taken = await b.acquireLease({ name: 'notify-run', holder: 'b', ttlMs: 1000 });
    const renewed = await a.renewLease(old as NonNullable<typeof old>, 1000);
    await a.releaseLease(old as NonNullable<typeof old>);
    const third = await a.acquireLease({ name: 'notify-run', holder: 'c', ttlMs: 1000 });

    // Assess
    expect(old?.holder).toBe('a');
    expect(whileHeld).toBeUndefined();
    expect(taken?.holder).toBe('b');
    expect(renewed).toBeUndefined();
    expect(third).toBeUndefined();
  });

  it('renews and releases with the holder token', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const s = store(clock);
    const lease = await s.acquireLease({ name: 'outbox/m1', holder: 'a', ttlMs: 1000 });

    // Act
    clock.advance(900);
    const renewed = await s.renewLease(lease as NonNullable<typeof lease>, 1000);
    clock.advance(900);
    const whileRenewed = await s.acquireLease({ name: 'outbox/m1', holder: 'b', ttlMs: 1000 });
    await s.releaseLease(renewed as NonNullable<typeof renewed>);
    const afterRelease = await s.acquireLease({ name: 'outbox/m1', holder: 'b', ttlMs: 1000 });

    // Assess
    expect(renewed?.expiresAt).toBe('2026-03-01T10:00:01.900Z');
    expect(whileRenewed).toBeUndefined();
    expect(afterRelease?.holder).toBe('b');
  });
});
