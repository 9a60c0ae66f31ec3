import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../../core/errors.ts';
import type { ImageIndex } from '../../../../core/registry/manifest.ts';
import { choosePlatform } from '../../../../core/registry/platform.ts';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    { mediaType: 'm', size: 1, digest: d(1), platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'm', size: 1, digest: d(2), platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { mediaType: 'm', size: 1, digest: d(3), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    {
      mediaType: 'm',
      size: 1,
      digest: d(4),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    { mediaType: 'm', size: 1, digest: d(5), platform: { os: 'windows', architecture: 'amd64' } },
    { mediaType: 'm', size: 1, digest: d(6), platform: { os: 'unknown', architecture: 'unknown' } },
  ],
};

describe('choosePlatform', () => {
  it('picks os and architecture, and the variant when one is configured', () => {
    expect(choosePlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(d(1));
    expect(choosePlatform(index, { os: 'windows', architecture: 'amd64' }, 'x').digest).toBe(d(5));
    expect(choosePlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' }, 'x').digest).toBe(d(2));
  });

  it('treats arm64 without a variant as arm64/v8, as docker pull does', () => {
    expect(choosePlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe(d(4));
  });

  it('says which platforms the index offers when none matches', () => {
    expect(() => choosePlatform(index, { os: 'linux', architecture: 's390x' }, 'reg/app:1')).toThrow(
      NotFoundError,
    );
    expect(() => choosePlatform(index, { os: 'linux', architecture: 's390x' }, 'reg/app:1')).toThrow(
      /linux\/s390x.*linux\/amd64, linux\/arm\/v6/,
    );
    expect(() => choosePlatform(index, { os: 'linux', architecture: 'arm', variant: 'v5' }, 'x')).toThrow(
      NotFoundError,
    );
  });
});
