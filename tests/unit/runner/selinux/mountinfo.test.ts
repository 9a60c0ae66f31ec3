import { describe, expect, it } from 'vitest';
import { mountOf, parseMountinfo, singleContext } from '../../../../runner/selinux/mountinfo.ts';

const MOUNTINFO = [
  '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '40 22 0:44 / /var/lib/kubelet/pods/u1/volumes/kubernetes.io~nfs/data rw,relatime shared:20 - nfs4 srv:/export rw,vers=4.1',
  '41 22 0:45 / /var/lib/kubelet/pods/u2/volumes/kubernetes.io~csi/pv\\040x/mount rw,relatime,context="system_u:object_r:container_file_t:s0:c5,c26" - xfs /dev/sdb rw',
  '42 22 0:46 / /var/lib/kubelet/pods/u3/volumes/kubernetes.io~nfs/labelled rw - nfs4 srv:/l rw,vers=4.2,seclabel',
  'garbage line',
].join('\n');

describe('mountinfo', () => {
  const mounts = parseMountinfo(MOUNTINFO);

  it('parses entries, unescaping mount points and keeping quoted context values whole', () => {
    expect(mounts).toHaveLength(4);
    expect(mounts[2]?.mountPoint).toBe('/var/lib/kubelet/pods/u2/volumes/kubernetes.io~csi/pv x/mount');
    expect(mounts[2]?.options.context).toBe('system_u:object_r:container_file_t:s0:c5,c26');
  });

  it('finds the innermost mount of a path', () => {
    expect(mountOf('/var/lib/kubelet/pods/u1/volumes/kubernetes.io~nfs/data/x', mounts)?.fsType).toBe('nfs4');
    expect(mountOf('/var/lib/kubelet/pods/u1/volumes/kubernetes.io~nfs/database', mounts)?.fsType).toBe(
      'ext4',
    );
  });

  it('calls unlabelled NFS and context= mounts single-context, labelled NFS and ext4 per-file', () => {
    expect(mounts.map((m) => singleContext(m))).toEqual([
      undefined,
      true,
      'system_u:object_r:container_file_t:s0:c5,c26',
      undefined,
    ]);
  });
});
