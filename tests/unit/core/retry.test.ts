import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from '../../../core/retry.ts';

describe('retry', () => {
  it('retries retryable failures with growing, jittered, capped delays', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 4) throw new Error('503');
        return 'ok';
      },
      {
        attempts: 5,
        baseMs: 100,
        maxMs: 300,
        retryable: () => true,
        random: () => 0.999,
        sleep: async (ms) => void delays.push(ms),
      },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([99, 199, 299]);
  });

  it('stops at the attempt limit and rethrows the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        { attempts: 3, baseMs: 1, maxMs: 1, retryable: () => true, sleep: async () => {} },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('404');
        },
        {
          attempts: 5,
          baseMs: 1,
          maxMs: 1,
          retryable: (e) => (e as Error).message !== '404',
          sleep: async () => {},
        },
      ),
    ).rejects.toThrow('404');
    expect(calls).toBe(1);
  });

  it('full jitter stays within [0, min(max, base * 2^(n-1)))', () => {
    expect(backoffDelay(1, 100, 1000, () => 0)).toBe(0);
    expect(backoffDelay(10, 100, 1000, () => 0.5)).toBe(500);
  });
});
