// Retries with exponential backoff and full jitter, for calls to hosts that throttle (429)
// or fail transiently (5xx, timeouts). Which errors are retryable is the caller's decision.

export interface RetryOptions {
  /** Attempts in total, including the first. */
  attempts: number;
  /** First backoff in ms; doubles each attempt. */
  baseMs: number;
  /** Cap on one backoff in ms. */
  maxMs: number;
  /** Whether this error deserves another attempt. */
  retryable: (error: unknown) => boolean;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Full-jitter delay for a 1-based attempt number. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms, options.signal));
  let attempt = 1;
  for (;;) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error) || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options.baseMs, options.maxMs, options.random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      attempt++;
    }
  }
}
