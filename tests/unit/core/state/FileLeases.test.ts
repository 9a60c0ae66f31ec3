// Leases on the local disk: one holder at a time across instances (processes), taken over
// when expired or when the holding process is gone, renewed and released only by the holder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { FileLeases } from '../../../../core/state/FileLeases.ts';
import { FileStateStore } from '../../../../core/state/FileStateStore.ts';
import { LeaseHeldError, withLease } from '../../../../core/state/lease.ts';
import { runTs } from '../../../support/child.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-lease-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const request = (holder: string, ttlMs = 60_000) => ({ name: 'notify-run', holder, ttlMs });

describe('FileLeases', () => {
  it('gives a lease to one holder until it is released, then to the next', async () => {
    // Prepare: two instances, as two processes would have
    const a = new FileLeases(dir);
    const b = new FileLeases(dir);

    // Act
    const first = await a.acquireLease(request('a'));
    const refused = await b.acquireLease(request('b'));
    await a.releaseLease(first as NonNullable<typeof first>);
    const second = await b.acquireLease(request('b'));

    // Assess
    expect(first?.holder).toBe('a');
    expect(refused).toBeUndefined();
    expect(second?.holder).toBe('b');
  });

  it('lets exactly one of many racing acquirers win', async () => {
    // Prepare
    const racers = Array.from({ length: 12 }, () => new FileLeases(dir));

    // Act
    const results = await Promise.all(racers.map((r, i) => r.acquireLease(request(`r${i}`))));

    // Assess
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('is taken over once its time ran out, and the old holder can neither renew nor release it', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const old = new FileLeases(dir, clock);
    const next = new FileLeases(dir, clock);
    const stale = await old.acquireLease(request('old', 1000));

    // Act
    clock.advance(1001);
    const taken = await next.acquireLease(request('next', 1000));
    const renewed = await old.renewLease(stale as NonNullable<typeof stale>, 1000);
    await old.releaseLease(stale as NonNullable<typeof stale>);
    const third = await new FileLeases(dir, clock).acquireLease(request('third'));

    // Assess: the takeover holds; the stale holder's release did not free it
    expect(taken?.holder).toBe('next');
    expect(renewed).toBeUndefined();
    expect(third).toBeUndefined();
  });

  it('renews a held lease so it outlives its first expiry', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const leases = new FileLeases(dir, clock);
    const lease = await leases.acquireLease(request('a', 1000));

    // Act
    clock.advance(900);
    const renewed = await leases.renewLease(lease as NonNullable<typeof lease>, 1000);
    clock.advance(900);
    const other = await new FileLeases(dir, clock).acquireLease(request('b', 1000));

    // Assess
    expect(renewed?.expiresAt).toBe('2026-03-01T10:00:01.900Z');
    expect(other).toBeUndefined();
  });

  it('is taken over at once when the process holding it is gone (killed runs block nobody)', async () => {
    // Prepare: a real child process takes the lease for an hour and exits without releasing
    const child = await runTs('tests/support/state-child.ts', ['lease', dir, 'notify-run', '3600000']);
    const held = JSON.parse(child.stdout) as { holder: string } | null;

    // Act
    const taken = await new FileStateStore(dir).acquireLease(request('rerun'));

    // Assess
    expect(child.code, child.stderr).toBe(0);
    expect(held?.holder).toMatch(/:child$/);
    expect(taken?.holder).toBe('rerun');
  });

  it('withLease runs the work holding the lease and refuses while another holds it', async () => {
    // Prepare
    const store = new FileStateStore(dir);
    const other = await store.acquireLease(request('other'));

    // Act
    const refused = await withLease(store, request('me'), async () => 'ran', { waitMs: 0 }).catch(
      (error: unknown) => error,
    );
    await store.releaseLease(other as NonNullable<typeof other>);
    const ran = await withLease(store, request('me'), async () => 'ran');
    const again = await store.acquireLease(request('after'));

    // Assess: released after the work
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect(ran).toBe('ran');
    expect(again?.holder).toBe('after');
  });
});
