import { describe, expect, it } from 'vitest';
import { fixedVersion } from '../../../../functions/scan/fixedVersion.ts';

describe('fixedVersion', () => {
  it.each([
    ['3.0.13-1~deb12u1', '3.0.13-1~deb12u1'],
    ['1:1.2.13.dfsg-1+deb12u1', '1:1.2.13.dfsg-1+deb12u1'],
    ['', undefined],
    ['   ', undefined],
    [null, undefined],
    [undefined, undefined],
    ['fixed=1.2.3&introduced=1.0.0', '1.2.3'],
    ['introduced=1.0.0&fixed=1.2.3', '1.2.3'],
    ['introduced=0&fixed=2.0.0%2Bbuild.1', '2.0.0+build.1'],
    ['fixed=v0.0.0-20231012', 'v0.0.0-20231012'],
    ['lastAffected=1.4.0', undefined],
    ['introduced=0&lastAffected=1.4.0', undefined],
    ['introduced=1.0.0', undefined],
    ['fixed=&introduced=1.0.0', undefined],
  ])('%j -> %j', (raw, expected) => {
    expect(fixedVersion(raw)).toBe(expected);
  });

  it('keeps a version that merely contains "=" but is not a range query', () => {
    expect(fixedVersion('build=7')).toBe('build=7');
  });
});
