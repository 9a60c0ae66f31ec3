// Content digests (`algorithm:hex`): computing them over the exact bytes a registry sent and
// checking them against what it claimed, so a corrupted or swapped manifest is never used.
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.ts';

const ALGORITHMS: Record<string, { node: string; hexLength: number }> = {
  sha256: { node: 'sha256', hexLength: 64 },
  sha512: { node: 'sha512', hexLength: 128 },
};

const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Whether `value` is a well-formed digest of an algorithm imagewarden can verify. */
export function isVerifiableDigest(value: string): boolean {
  const match = DIGEST.exec(value);
  if (!match) return false;
  const algorithm = ALGORITHMS[match[1] as string];
  return algorithm !== undefined && new RegExp(`^[a-f0-9]{${algorithm.hexLength}}$`).test(match[2] as string);
}

/** The digest of `bytes` with the given algorithm (sha256 by default). */
export function computeDigest(bytes: Uint8Array, algorithm = 'sha256'): string {
  const spec = ALGORITHMS[algorithm];
  if (spec === undefined) throw new ValidationError('digest', `unsupported digest algorithm ${algorithm}`);
  return `${algorithm}:${createHash(spec.node).update(bytes).digest('hex')}`;
}

/**
 * Checks `bytes` against `expected` (computed with the expected digest's own algorithm);
 * throws ValidationError naming `source` on a malformed digest or a mismatch.
 */
export function verifyDigest(source: string, bytes: Uint8Array, expected: string): void {
  if (!isVerifiableDigest(expected)) {
    throw new ValidationError(source, `malformed or unsupported digest ${JSON.stringify(expected)}`);
  }
  const algorithm = expected.slice(0, expected.indexOf(':'));
  const actual = computeDigest(bytes, algorithm);
  if (actual !== expected) {
    throw new ValidationError(source, `digest mismatch: expected ${expected}, content hashes to ${actual}`);
  }
}
