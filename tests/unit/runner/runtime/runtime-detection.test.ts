import { describe, expect, it } from 'vitest';
import { compareRuntimes } from '../../../../runner/runtime/runtime-detection.ts';

describe('compareRuntimes', () => {
  it.each([
    ['docker://20.10.24', 'docker', true],
    ['containerd://1.7.2', 'docker', false],
    ['cri-o://1.28.1', 'podman', true],
    ['cri-o://1.28.1', 'docker', false],
    ['containerd://1.7.2', 'podman', false],
  ] as const)('kubelet %s with %s: compatible=%s', (kubelet, ours, compatible) => {
    const match = compareRuntimes(kubelet, ours);
    expect(match.compatible).toBe(compatible);
    expect(match.warning === undefined).toBe(compatible);
  });

  it('explains a containerd mismatch in the warning', () => {
    expect(compareRuntimes('containerd://1.7.2', 'docker').warning).toContain(
      'the kubelet uses containerd://1.7.2 but images are pulled through docker',
    );
  });

  it('warns but does not fail when the node does not say', () => {
    expect(compareRuntimes(undefined, 'docker')).toMatchObject({
      compatible: true,
      warning: expect.stringContaining('does not report'),
    });
  });
});
