// Marks the failures another attempt may cure (throttling, 5xx, timeouts, network errors) so
// the retry loop can tell them from those it must not repeat (auth, 404, bad content), and
// carries the server's Retry-After so the next attempt waits at least that long.
import type { UpstreamError } from '../errors.ts';

const transient = new WeakMap<object, { retryAfterMs: number | undefined }>();

export function transientError(error: UpstreamError, retryAfterMs?: number): UpstreamError {
  transient.set(error, { retryAfterMs });
  return error;
}

/** Whether another attempt may succeed: throttling, server errors, timeouts, network failures. */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && transient.has(error);
}

/** The wait the server asked for (Retry-After), if any. */
export function retryAfterMs(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? transient.get(error)?.retryAfterMs : undefined;
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
