// Waiting on something that may never settle (a read on a hung NFS mount) without being stuck
// with it: the promise loses the race once the signal aborts. The operation itself is not
// cancelled; callers kill what they own (a child process) and leave the rest to finish.

/** Resolves or rejects as `work` does, or rejects with the signal's reason once it aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A one-shot timer: calls `fire` after `ms` unless cancelled; returns the cancel function. */
export type Timer = (ms: number, fire: () => void) => () => void;

/** The longest delay setTimeout honours (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout, unref'd so a pending budget never keeps the process alive; clamped to MAX_TIMER_MS. */
export const realTimer: Timer = (ms, fire) => {
  const handle = setTimeout(fire, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  handle.unref();
  return () => clearTimeout(handle);
};
