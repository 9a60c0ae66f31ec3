import { describe, expect, it } from 'vitest';
import { DigestGroups } from '../../../../functions/inventory/DigestGroups.ts';
import { splitDigests } from '../../../../functions/inventory/digests.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

describe('splitDigests', () => {
  it('keeps valid sha256 digests in document order and sets the rest apart', () => {
    expect(
      splitDigests(['sha256:12ab', d('f'), d('1'), d('f'), `sha512:${'a'.repeat(128)}`, d('A')]),
    ).toEqual({
      valid: [d('f'), d('1')],
      invalid: ['sha256:12ab', `sha512:${'a'.repeat(128)}`, d('A')],
    });
  });
});

describe('DigestGroups', () => {
  it('joins digests listed together, transitively, and leaves the others alone', () => {
    const groups = new DigestGroups();
    groups.link([d('a'), d('b')]);
    groups.link([d('c')]);
    groups.link([d('b'), d('e')]);
    groups.link([]);
    expect(groups.groups().sort((x, y) => (x[0] as string).localeCompare(y[0] as string))).toEqual([
      [d('a'), d('b'), d('e')],
      [d('c')],
    ]);
    expect(groups.root(d('e'))).toBe(groups.root(d('a')));
    expect(groups.root(d('9'))).toBe(d('9'));
  });
});
