import { describe, expect, it } from 'vitest';
import { pulledBytes } from '../../../../runner/runtime/pulled-bytes.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('pulledBytes', () => {
  it('sums the compressed sizes of the manifest layers', () => {
    expect(
      pulledBytes([
        { digest: A, size: 1200 },
        { digest: B, size: 34 },
      ]),
    ).toBe(1234);
  });

  it('leaves out layers the daemon already had, by digest or by Docker’s 12-hex short id', () => {
    const layers = [
      { digest: A, size: 1200 },
      { digest: B, size: 34 },
    ];
    expect(pulledBytes(layers, new Set(['aaaaaaaaaaaa']))).toBe(34);
    expect(pulledBytes(layers, new Set([B]))).toBe(1200);
  });
});
