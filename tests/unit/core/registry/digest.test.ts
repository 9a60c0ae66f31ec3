import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import { computeDigest, isVerifiableDigest, verifyDigest } from '../../../../core/registry/digest.ts';

const bytes = new TextEncoder().encode('{"schemaVersion":2}');
const sha256 = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('digests', () => {
  it('computes sha256 and sha512 over the exact bytes', () => {
    expect(computeDigest(bytes)).toBe(sha256);
    expect(computeDigest(bytes, 'sha512')).toMatch(/^sha512:[a-f0-9]{128}$/);
  });

  it('accepts matching content and rejects a mismatch or a malformed digest', () => {
    expect(() => verifyDigest('m', bytes, sha256)).not.toThrow();
    expect(() => verifyDigest('m', new TextEncoder().encode('{"schemaVersion":2} '), sha256)).toThrow(
      ValidationError,
    );
    for (const bad of [
      'sha256:abc',
      'md5:0123456789abcdef0123456789abcdef',
      'sha256',
      '',
      sha256.toUpperCase(),
    ]) {
      expect(isVerifiableDigest(bad)).toBe(false);
      expect(() => verifyDigest('m', bytes, bad)).toThrow(ValidationError);
    }
  });
});
