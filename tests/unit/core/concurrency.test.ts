import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../core/concurrency.ts';

describe('mapBounded', () => {
  it('keeps at most `limit` calls in flight and results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const run = mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });
    while (gates.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    const results = await run;
    expect(peak).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([
      10,
      20,
      30,
      'four',
      50,
      60,
      70,
    ]);
  });

  it('marks items not started after an abort as failed', async () => {
    const controller = new AbortController();
    const results = await mapBounded(
      [1, 2, 3],
      1,
      async (n) => {
        if (n === 1) controller.abort(new Error('SIGTERM'));
        return n;
      },
      { signal: controller.signal },
    );
    expect(results[0]).toEqual({ ok: true, value: 1 });
    expect(results.slice(1).every((r) => !r.ok)).toBe(true);
  });

  it('rejects a nonsensical limit', async () => {
    await expect(mapBounded([1], 0, async (n) => n)).rejects.toThrow(RangeError);
  });
});
