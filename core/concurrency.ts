// Bounded parallelism: run an async function over items with at most `limit` in flight,
// keeping results in input order. Failures are returned per item, never thrown, so one bad
// image or digest cannot stop the others.

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: { signal?: AbortSignal } = {},
): Promise<Settled<R>[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<Settled<R>>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      if (options.signal?.aborted) {
        results[index] = { ok: false, error: options.signal.reason ?? new Error('aborted') };
        continue;
      }
      try {
        results[index] = { ok: true, value: await fn(items[index] as T, index) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
