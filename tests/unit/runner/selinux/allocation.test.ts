import { describe, expect, it } from 'vitest';
import {
  blockOfUidRange,
  formatOpenshiftLevel,
  levelOfBlock,
  parseUidRange,
  unrankPair,
} from '../../../../runner/selinux/allocation.ts';
import { McsError } from '../../../../runner/selinux/mcs.ts';

describe('OpenShift MCS allocation', () => {
  it.each([
    ['1000000000/10000', 's0:c1,c0'],
    ['1000010000/10000', 's0:c3,c2'],
    ['1000660000/10000', 's0:c26,c5'],
    ['1999990000/10000', 's0:c1000,c495'],
  ])('uid range %s implies %s (the facts file known values)', (range, level) => {
    // Act
    const block = blockOfUidRange(parseUidRange(range));
    // Assess
    expect(formatOpenshiftLevel(levelOfBlock(block))).toBe(level);
  });

  it('unranks every index below 10,000 to a distinct pair in co-lex order', () => {
    const seen = new Set<string>();
    let previous: [number, number] = [-1, -1];
    for (let i = 0; i < 10_000; i++) {
      const [x, y] = unrankPair(i);
      expect(x).toBeLessThan(y);
      expect(y > previous[1] || (y === previous[1] && x === previous[0] + 1)).toBe(true);
      seen.add(`${x},${y}`);
      previous = [x, y];
    }
    expect(seen.size).toBe(10_000);
  });

  it.each([
    '1000665000/10000',
    '999990000/10000',
    '1000660000/5000',
    '2000000000/10000',
    'abc',
    '1000660000',
  ])('refuses %j as not one of the allocator blocks', (range) => {
    expect(() => blockOfUidRange(parseUidRange(range))).toThrow(McsError);
  });
});
