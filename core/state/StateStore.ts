// The StateStore port: small JSON records grouped in collections (inventory snapshot, scan
// results, notified state, outbox, acknowledgements, runner state), plus leases: a named
// claim that one holder has for a while, so overlapping runs do not do the same work twice.
// Adapters: a local file store (the embedded default) and DynamoDB (in AWS).
import type { Lease, LeaseRequest } from './lease.ts';

export interface StateRecord<T> {
  key: string;
  value: T;
}

export interface StateStore {
  get<T>(collection: string, key: string): Promise<T | undefined>;
  put<T>(collection: string, key: string, value: T): Promise<void>;
  /** Writes only when the key is absent; returns whether it wrote (used to dedupe deliveries). */
  putIfAbsent<T>(collection: string, key: string, value: T): Promise<boolean>;
  delete(collection: string, key: string): Promise<void>;
  /** Every record of a collection whose key starts with `prefix`, in key order. */
  list<T>(collection: string, prefix?: string): Promise<StateRecord<T>[]>;
  /**
   * Claims `name` for `ttlMs`; undefined when someone else holds it. A lease whose time ran
   * out (or, in the file store, whose holder process is gone) is taken over. Atomic across
   * processes: of two callers racing for one free lease exactly one gets it.
   */
  acquireLease(request: LeaseRequest): Promise<Lease | undefined>;
  /** Extends a lease still held; undefined when it was lost (expired and taken over). */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Gives a lease up; does nothing when it is no longer ours. */
  releaseLease(lease: Lease): Promise<void>;
}

const COLLECTION = /^[a-z][a-z0-9-]{0,62}$/;

/** Collection names become file names and partition keys: keep them boring. */
export function assertCollectionName(collection: string): void {
  if (!COLLECTION.test(collection)) {
    throw new RangeError(`state collection name must match ${COLLECTION}, got ${JSON.stringify(collection)}`);
  }
}
