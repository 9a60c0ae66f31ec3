// Leases: a named claim one holder has for a limited time, taken through the StateStore so
// that overlapping runs (a Scheduler retry, a manual run beside the cron, two scan workers)
// never do the same work twice. A holder that dies keeps its lease only until it expires;
// the file store also hands it over at once when the holder's process is gone.
import { hostname } from 'node:os';
import { type ErrorDetails, ImagewardenError } from '../errors.ts';
import type { StateStore } from './StateStore.ts';

export interface LeaseRequest {
  /** What is claimed, e.g. `notify-run` or `outbox/<message id>`. */
  name: string;
  /** Who claims it, for people reading a held lease (run id, host, pid); not used to decide. */
  holder: string;
  ttlMs: number;
}

export interface Lease {
  name: string;
  holder: string;
  /** Unique per acquisition: renew and release act only when the stored lease still has it. */
  token: string;
  expiresAt: string;
}

const MAX_NAME = 512;

export function assertLeaseRequest(request: LeaseRequest): void {
  if (request.name.length === 0 || request.name.length > MAX_NAME)
    throw new RangeError(`lease name must have 1 to ${MAX_NAME} characters`);
  if (!Number.isFinite(request.ttlMs) || request.ttlMs <= 0)
    throw new RangeError(`lease ttlMs must be positive, got ${request.ttlMs}`);
}

/** A holder description naming this process: `<host>:<pid>[:<label>]`. */
export function processHolder(label?: string): string {
  return `${hostname()}:${process.pid}${label ? `:${label}` : ''}`;
}

/** Thrown by `withLease` when the lease stayed held by someone else for the whole wait. */
export class LeaseHeldError extends ImagewardenError {
  override name = 'LeaseHeldError';
  readonly lease: string;
  constructor(lease: string, options?: ErrorDetails) {
    super(`lease ${lease} is held by another run`, options);
    this.lease = lease;
  }
}

export interface WaitOptions {
  /** How long to keep trying while the lease is held (0: try once). */
  waitMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tries to acquire, polling while someone else holds the lease, for up to `waitMs`. */
export async function acquireWaiting(
  store: Pick<StateStore, 'acquireLease'>,
  request: LeaseRequest,
  options: WaitOptions = {},
): Promise<Lease | undefined> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const deadline = now() + (options.waitMs ?? 0);
  for (;;) {
    const lease = await store.acquireLease(request);
    if (lease || now() >= deadline) return lease;
    await sleep(options.pollMs ?? 50);
  }
}

/** Runs `fn` while holding the lease; throws LeaseHeldError when it cannot be had in `waitMs`. */
export async function withLease<R>(
  store: Pick<StateStore, 'acquireLease' | 'releaseLease'>,
  request: LeaseRequest,
  fn: (lease: Lease) => Promise<R>,
  options: WaitOptions = {},
): Promise<R> {
  const lease = await acquireWaiting(store, request, options);
  if (!lease) throw new LeaseHeldError(request.name);
  try {
    return await fn(lease);
  } finally {
    await store.releaseLease(lease);
  }
}

export interface KeptLease {
  /** Aborted when a renewal found the lease taken over: stop work that needs it. */
  readonly lost: AbortSignal;
  /** Stops renewing and releases the lease. */
  release(): Promise<void>;
}

/**
 * Keeps a lease alive for a run of unknown length: renews it every third of its time to live,
 * so the TTL can stay short (a crashed run blocks the next one only briefly).
 */
export function keepLease(
  store: Pick<StateStore, 'renewLease' | 'releaseLease'>,
  lease: Lease,
  ttlMs: number,
  onError: (error: unknown) => void = () => undefined,
): KeptLease {
  const controller = new AbortController();
  let current = lease;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = (async () => {
        try {
          const renewed = await store.renewLease(current, ttlMs);
          if (renewed) current = renewed;
          else controller.abort(new LeaseHeldError(lease.name));
        } catch (error) {
          // a store hiccup: keep going, the next tick tries again before the lease runs out
          onError(error);
        }
      })();
    },
    Math.max(Math.floor(ttlMs / 3), 10),
  );
  timer.unref();
  return {
    lost: controller.signal,
    release: async () => {
      clearInterval(timer);
      await renewing;
      await store.releaseLease(current);
    },
  };
}
