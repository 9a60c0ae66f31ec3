import { describe, expect, it } from 'vitest';
import type { RuntimeInfo } from '../../../../runner/runtime/ImageRuntime.ts';
import { compareRuntimes } from '../../../../runner/runtime/runtime-detection.ts';

const docker = { kind: 'docker', name: 'docker' } as const;
const podman = { kind: 'podman', name: 'podman' } as const;
const cri = (name: string): Pick<RuntimeInfo, 'kind' | 'name'> => ({ kind: 'cri', name });

describe('compareRuntimes', () => {
  it.each([
    ['docker://20.10.24', docker, true],
    ['containerd://1.7.2', docker, false],
    ['cri-o://1.28.1', podman, true],
    ['cri-o://1.28.1', docker, false],
    ['containerd://1.7.2', podman, false],
    ['containerd://1.7.2', cri('containerd'), true],
    ['cri-o://1.30.1', cri('cri-o'), true],
    ['docker://24.0.7', cri('docker'), true],
    ['cri-o://1.30.1', cri('containerd'), false],
    ['containerd://1.7.2', cri('cri-o'), false],
  ] as const)('kubelet %s with %o: compatible=%s', (kubelet, ours, compatible) => {
    // Act
    const match = compareRuntimes(kubelet, ours);

    // Assess
    expect(match.compatible).toBe(compatible);
    expect(match.error === undefined).toBe(compatible);
    expect(match.warning).toBeUndefined();
  });

  it('explains a containerd node served through Docker as an error naming both', () => {
    expect(compareRuntimes('containerd://1.7.2', docker).error).toContain(
      'the kubelet uses containerd://1.7.2 but images would be pulled through docker',
    );
  });

  it('names the runtime behind the CRI socket in the error', () => {
    expect(compareRuntimes('cri-o://1.30.1', cri('containerd')).error).toContain('the CRI of containerd');
  });

  it('warns but does not fail when the node does not say', () => {
    expect(compareRuntimes(undefined, docker)).toMatchObject({
      compatible: true,
      error: undefined,
      warning: expect.stringContaining('does not report'),
    });
  });

  it('warns but does not fail when the CRI runtime has a name we do not know', () => {
    expect(compareRuntimes('containerd://1.7.2', cri('isulad'))).toMatchObject({
      compatible: true,
      error: undefined,
      warning: expect.stringContaining('"isulad"'),
    });
  });
});
