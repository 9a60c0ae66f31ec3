import { describe, expect, it } from 'vitest';
import {
  decodeValue,
  escapeAttrPath,
  parseAttrErrors,
  parseDump,
  restoreBlock,
  unescapeAttrPath,
} from '../../../../runner/selinux/attr-format.ts';

describe('getfattr/setfattr text formats', () => {
  it('parses a hex dump, with and without the trailing NUL, and escaped names', () => {
    // Prepare: output as getfattr 2.5 prints it
    const out =
      '# file: /v/a\nsecurity.selinux=0x733000\n\n' +
      '# file: /v/we\\012ird\\134x ä\nsecurity.selinux=0x7330\n\n';
    // Act
    const entries = parseDump(out, 'security.selinux');
    // Assess
    expect(entries.map((e) => e.path)).toEqual(['/v/a', '/v/we\nird\\x ä']);
    expect(entries.map((e) => decodeValue(e.value).toString('latin1'))).toEqual(['s0\0', 's0']);
  });

  it('decodes text-mode values with their escapes, as getfattr 2.5 prints them', () => {
    // getfattr -e text of the bytes a"b\c<newline>d<NUL>
    expect(decodeValue('"a\\"b\\\\c\\012d"').toString('latin1')).toBe('a"b\\c\nd');
    expect(decodeValue('"u:r:t:s0:c1,c2"').toString()).toBe('u:r:t:s0:c1,c2');
    expect(decodeValue('0sczA=').toString()).toBe('s0');
  });

  it('escapes names so that unescaping gives them back', () => {
    for (const name of ['/a b', '/tab\there', '/nl\nx', '/back\\slash', '/ünï', '/q"=']) {
      expect(unescapeAttrPath(escapeAttrPath(name))).toBe(name);
    }
    expect(escapeAttrPath('/nl\nx')).toBe('/nl\\012x');
  });

  it('writes restore blocks in hex so any value is safe', () => {
    expect(restoreBlock('/v/a', 'security.selinux', Buffer.from('s0\0'))).toBe(
      '# file: /v/a\nsecurity.selinux=0x733000\n\n',
    );
  });

  it('maps stderr lines to paths', () => {
    const errors = parseAttrErrors(
      '/v/x: security.selinux: No such attribute\ngetfattr: /v/gone: No such file or directory\nsetfattr: /v/a: b: Operation not permitted\n',
      'security.selinux',
    );
    expect(errors.get('/v/x')).toBe('No such attribute');
    expect(errors.get('/v/gone')).toBe('No such file or directory');
    expect(errors.get('/v/a: b')).toBe('Operation not permitted');
  });
});
