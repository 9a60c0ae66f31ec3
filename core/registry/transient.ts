// Marks the failures another attempt may cure (throttling, 5xx, timeouts, network errors) so
// the retry loop can tell them from those it must not repeat (auth, 404, bad content).
import type { UpstreamError } from '../errors.ts';

const transient = new WeakSet<object>();

export function transientError(error: UpstreamError): UpstreamError {
  transient.add(error);
  return error;
}

/** Whether another attempt may succeed: throttling, server errors, timeouts, network failures. */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && transient.has(error);
}
