import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatLevel,
  levelsEqual,
  McsError,
  parseContext,
  parseLevel,
  parseSeedLabel,
  withLevel,
} from '../../../../runner/selinux/mcs.ts';

describe('parseLevel', () => {
  it('treats OpenShift (descending), kernel (ascending) and range forms as the same level', () => {
    // Prepare
    const openshift = 's0:c26,c5';
    const kernel = 's0:c5,c26';
    // Act
    const same = levelsEqual(parseLevel(openshift), parseLevel(kernel));
    // Assess
    expect(same).toBe(true);
    expect(levelsEqual(parseLevel('s0:c0.c3'), parseLevel('s0:c3,c1,c2,c0'))).toBe(true);
    expect(levelsEqual(parseLevel('s0:c1,c2'), parseLevel('s0:c1,c3'))).toBe(false);
    expect(levelsEqual(parseLevel('s0:c1'), parseLevel('s1:c1'))).toBe(false);
  });

  it.each([
    's0:c5,c5',
    'c1024',
    's0:c1024',
    's0:c3.c1',
    '593-',
    'garbage',
    '',
    's0:',
    's0:c1,,c2',
    's16',
    's0:c01',
  ])('rejects %j with an McsError naming the value', (bad) => {
    expect(() => parseLevel(bad, 'annotation x')).toThrow(McsError);
    expect(() => parseLevel(bad, 'annotation x')).toThrow(/annotation x/);
  });

  it('ignores a trailing NUL', () => {
    expect(formatLevel(parseLevel('s0:c1,c2\0'))).toBe('s0:c1,c2');
  });

  it('round-trips through the kernel form for any set of categories', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1023 }), { maxLength: 40 }), (cats) => {
        const level = { sensitivity: 0, categories: new Set(cats) };
        expect(levelsEqual(parseLevel(formatLevel(level)), level)).toBe(true);
      }),
    );
  });

  it('formats runs of three or more as a range, ascending', () => {
    expect(formatLevel(parseLevel('s0:c9,c3,c2,c1,c7'))).toBe('s0:c1.c3,c7,c9');
    expect(formatLevel(parseLevel('s0'))).toBe('s0');
  });
});

describe('parseSeedLabel', () => {
  it('reads 593-693 as s0:c593,c693', () => {
    expect(formatLevel(parseSeedLabel('593-693'))).toBe('s0:c593,c693');
  });
  it.each(['593-', '593', '5-5', '1024-1', 'a-b', '593-693-1'])('rejects %j', (bad) => {
    expect(() => parseSeedLabel(bad)).toThrow(McsError);
  });
});

describe('parseContext / withLevel', () => {
  it('splits user:role:type:level and keeps them when the level is replaced', () => {
    // Prepare
    const ctx = parseContext('system_u:object_r:container_file_t:s0:c1,c2\0');
    // Act
    const relabelled = withLevel(ctx, parseLevel('s0:c593,c693'));
    // Assess
    expect(ctx.type).toBe('container_file_t');
    expect(relabelled).toBe('system_u:object_r:container_file_t:s0:c593,c693');
  });
  it('keeps a range as raw text without a single level', () => {
    const ctx = parseContext('unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023');
    expect(ctx.level).toBeUndefined();
    expect(ctx.rawLevel).toBe('s0-s0:c0.c1023');
  });
  it('rejects labels that are not contexts', () => {
    expect(() => parseContext('garbage')).toThrow(McsError);
    expect(() => parseContext('u:r:t:s0:c5,c5')).toThrow(McsError);
  });
});
