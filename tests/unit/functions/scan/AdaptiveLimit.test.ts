import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../../../functions/scan/AdaptiveLimit.ts';

describe('AdaptiveLimit', () => {
  it('halves on throttle down to the minimum, and creeps back up after runs of successes', () => {
    // Prepare
    const limit = new AdaptiveLimit(8, { recoverAfter: 2 });
    // Act + Assess
    limit.onThrottle();
    expect(limit.current).toBe(4);
    limit.onThrottle();
    limit.onThrottle();
    limit.onThrottle();
    expect(limit.current).toBe(1);
    expect(limit.decreases).toBe(3);
    limit.onSuccess();
    expect(limit.current).toBe(1);
    limit.onSuccess();
    expect(limit.current).toBe(2);
    for (let i = 0; i < 40; i++) limit.onSuccess();
    expect(limit.current).toBe(8);
  });

  it('a throttle resets the run of successes', () => {
    const limit = new AdaptiveLimit(4, { recoverAfter: 2 });
    limit.onThrottle();
    limit.onSuccess();
    limit.onThrottle();
    limit.onSuccess();
    expect(limit.current).toBe(1);
  });

  it('lowers the limit once for a burst of 429s to requests sent at the old limit', () => {
    // Prepare: eight requests went out at limit 8
    const limit = new AdaptiveLimit(8);
    const sentAt = limit.epoch;
    // Act: all eight come back 429
    for (let i = 0; i < 8; i++) limit.onThrottle(sentAt);
    // Assess
    expect(limit.current).toBe(4);
    limit.onThrottle(limit.epoch);
    expect(limit.current).toBe(2);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new AdaptiveLimit(0)).toThrow(RangeError);
  });
});
