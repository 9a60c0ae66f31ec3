// Leases held in this process's memory, for in-memory StateStores (benchmarks, tests): the
// same semantics as the file and DynamoDB adapters, with one process as the whole world.
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.ts';
import { assertLeaseRequest, type Lease, type LeaseRequest } from './lease.ts';

export class MemoryLeases {
  readonly #held = new Map<string, { token: string; until: number }>();
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  async acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
    assertLeaseRequest(request);
    const now = this.#clock.now().getTime();
    const current = this.#held.get(request.name);
    if (current && current.until > now) return undefined;
    const token = randomUUID();
    this.#held.set(request.name, { token, until: now + request.ttlMs });
    return {
      name: request.name,
      holder: request.holder,
      token,
      expiresAt: new Date(now + request.ttlMs).toISOString(),
    };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const current = this.#held.get(lease.name);
    if (current?.token !== lease.token) return undefined;
    const until = this.#clock.now().getTime() + ttlMs;
    current.until = until;
    return { ...lease, expiresAt: new Date(until).toISOString() };
  }

  async releaseLease(lease: Lease): Promise<void> {
    if (this.#held.get(lease.name)?.token === lease.token) this.#held.delete(lease.name);
  }
}
