import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { RateLimiter } from '../../../../functions/notify/RateLimiter.ts';

describe('RateLimiter', () => {
  it('spaces sends to the configured rate without real waiting', async () => {
    // Prepare
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    const slept: number[] = [];
    const limiter = new RateLimiter({
      perSecond: 2,
      clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
    });
    // Act
    for (let i = 0; i < 4; i++) await limiter.take();
    // Assess
    expect(slept).toEqual([500, 500, 500]);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:01.500Z');
  });

  it('does not wait when sends are already slower than the rate', async () => {
    const clock = new ManualClock();
    const slept: number[] = [];
    const limiter = new RateLimiter({ perSecond: 1, clock, sleep: async (ms) => void slept.push(ms) });

    await limiter.take();
    clock.advance(5000);
    await limiter.take();

    expect(slept).toEqual([]);
  });

  it('refuses a rate of zero', () => {
    expect(() => new RateLimiter({ perSecond: 0, clock: new ManualClock(), sleep: async () => {} })).toThrow(
      /positive/,
    );
  });
});
