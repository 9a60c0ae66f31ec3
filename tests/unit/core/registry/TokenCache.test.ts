import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { TokenCache } from '../../../../core/registry/TokenCache.ts';

describe('TokenCache', () => {
  it('keeps a token per registry and scope until shortly before expires_in', () => {
    const clock = new ManualClock();
    const cache = new TokenCache(clock);
    cache.set('reg:5000', 'repository:a:pull', 'Bearer a', 300);
    expect(cache.get('reg:5000', 'repository:a:pull')).toBe('Bearer a');
    expect(cache.get('reg:5000', 'repository:b:pull')).toBeUndefined();
    expect(cache.get('other:5000', 'repository:a:pull')).toBeUndefined();
    clock.advance(269_000);
    expect(cache.get('reg:5000', 'repository:a:pull')).toBe('Bearer a');
    clock.advance(1_000); // 300 s minus the 30 s margin
    expect(cache.get('reg:5000', 'repository:a:pull')).toBeUndefined();
  });

  it('uses 60 seconds when the token service gives no expires_in', () => {
    const clock = new ManualClock();
    const cache = new TokenCache(clock);
    cache.set('reg', undefined, 'Bearer x');
    clock.advance(53_000);
    expect(cache.get('reg', undefined)).toBe('Bearer x');
    clock.advance(1_000);
    expect(cache.get('reg', undefined)).toBeUndefined();
  });
});
