import { describe, expect, it } from 'vitest';
import { refusalReason } from '../../../../runner/selinux/safe-paths.ts';

const ROOTS = ['/var/lib/kubelet/pods'];

describe('refusalReason', () => {
  it('allows a path strictly inside a volume root', () => {
    expect(refusalReason('/var/lib/kubelet/pods/u1/volumes/x/data/f', ROOTS, '/root')).toBeUndefined();
  });

  it.each([
    ['/', /system path/],
    ['/var/lib', /system path/],
    ['/etc/shadow', /system/],
    ['/usr/bin/ls', /system tree/],
    ['/home/alice', /system path/],
    ['/var/lib/kubelet/pods', /outside/],
    ['/var/lib/kubelet/podsX/a', /outside/],
    ['/var/lib/kubelet/pods/../../../etc/x', /normalised/],
    ['relative/x', /absolute/],
  ])('refuses %s', (path, reason) => {
    expect(refusalReason(path, ROOTS, '/home/alice')).toMatch(reason);
  });

  it.each([
    ['/', '/srv/data/x'],
    ['/var', '/var/lib/docker/volumes/v/_data/f'],
    ['/var/lib', '/var/lib/mysql/ibdata1'],
    ['/home', '/home/bob/.ssh/authorized_keys'],
    ['/home/alice', '/home/alice/notes'],
  ])('does not count a system path configured as a root (%s): %s stays refused', (root, path) => {
    expect(refusalReason(path, [root], '/home/alice')).toMatch(/outside the volume roots/);
  });

  it('refuses everything when no root is configured', () => {
    expect(refusalReason('/data/x', [], '/root')).toMatch(/none configured/);
  });
});
