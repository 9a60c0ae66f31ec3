// SELinux volume checks against real `security.selinux` xattrs (set by root with the attr
// tools) on a private tmpfs, with a second tmpfs mounted inside to check the walk does not
// cross file systems, and a planted symlink to a "host" directory outside the volume.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../core/clock.ts';
import { AttrLabelStore } from '../../runner/selinux/AttrLabelStore.ts';
import { checkVolume, type VolumeCheckOptions } from '../../runner/selinux/check-volume.ts';
import type { LabelStore } from '../../runner/selinux/LabelStore.ts';
import { parseLevel } from '../../runner/selinux/mcs.ts';
import { type MountEntry, procMountTable } from '../../runner/selinux/mountinfo.ts';
import { requireBinary } from '../support/require.ts';

const TENANT = 'system_u:object_r:container_file_t:s0:c593,c693';
const OTHER = 'system_u:object_r:container_file_t:s0:c1,c2';
const expected = parseLevel('s0:c593,c693');

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
function setLabel(path: string, label: string, nul: boolean): void {
  const hex = Buffer.from(nul ? `${label}\0` : label).toString('hex');
  sh('setfattr', ['-h', '-n', 'security.selinux', '-v', `0x${hex}`, path]);
}
function getLabel(path: string): string {
  const r = spawnSync('getfattr', ['-h', '--only-values', '-n', 'security.selinux', path]);
  return r.status === 0 ? r.stdout.toString('latin1') : `(none: ${r.stderr.toString()})`;
}

let base: string;
let podsRoot: string;
let volume: string;
let host: string;
const labels = new AttrLabelStore({ batchSize: 7 });
const clock: Clock = new ManualClock();

beforeAll(() => {
  requireBinary('getfattr', 'attr');
  requireBinary('setfattr', 'attr');
  base = mkdtempSync(join(tmpdir(), 'iw-selinux-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', base]);
});

afterAll(() => {
  spawnSync('umount', ['-R', base]);
  rmSync(base, { recursive: true, force: true });
});

beforeEach(() => {
  spawnSync('umount', [join(base, 'pods/u1/volumes/empty-dir/data/inner')]);
  rmSync(join(base, 'pods'), { recursive: true, force: true });
  rmSync(join(base, 'host'), { recursive: true, force: true });
  podsRoot = join(base, 'pods');
  volume = join(podsRoot, 'u1/volumes/empty-dir/data');
  host = join(base, 'host');
  mkdirSync(join(volume, 'a/b'), { recursive: true });
  mkdirSync(host);
  writeFileSync(join(host, 'passwd'), 'root:x:0:0');
  setLabel(host, 'system_u:object_r:etc_t:s0:c9,c10', true);
  setLabel(join(host, 'passwd'), 'system_u:object_r:passwd_file_t:s0:c9,c10', true);
  for (const dir of [volume, join(volume, 'a'), join(volume, 'a/b')]) setLabel(dir, TENANT, true);
  for (let i = 0; i < 20; i++) {
    const file = join(volume, i % 2 === 0 ? 'a' : 'a/b', `f${i}`);
    writeFileSync(file, String(i));
    // half written as libselinux does (with NUL), half as go-selinux does (without)
    setLabel(file, TENANT, i % 4 < 2);
  }
});

// Each behaviour holds with and without the node's mount table (which only names nested and
// single-context mounts: the walk is the same).
describe.each(['without', 'with'] as const)('checkVolume with real xattrs (%s a mount table)', (mode) => {
  const walkMode = async (): Promise<{ mounts?: MountEntry[] }> =>
    mode === 'with' ? { mounts: await procMountTable().mounts() } : {};
  /** checkVolume on the test volume in this walk mode, with room to spare in both budgets. */
  const check = async (extra: Partial<VolumeCheckOptions> = {}) =>
    checkVolume({
      ...(await walkMode()),
      root: volume,
      expected,
      labels,
      clock,
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      ...extra,
    });

  it('finds exactly the drifted files, whether labels carry a trailing NUL or not', async () => {
    // Prepare
    setLabel(join(volume, 'a/f0'), OTHER, true);
    setLabel(join(volume, 'a/b/f3'), OTHER, false);
    setLabel(join(volume, 'a/b/f5'), 'system_u:object_r:container_file_t:s0', false);
    // Act
    const result = await check();
    // Assess
    expect(result.checked).toBe(23);
    expect(result.drifted).toBe(2);
    expect(result.shared).toBe(1);
    expect(result.matching).toBe(20);
    expect(result.wrongLevels).toEqual({ 's0:c1,c2': 2 });
    expect(result.samplePaths.sort()).toEqual([join(volume, 'a/b/f3'), join(volume, 'a/f0')]);
    expect(result.relabelled).toBe(0);
    expect(getLabel(join(volume, 'a/f0'))).toBe(`${OTHER}\0`);
  });

  it('relabels only the drifted files, keeping user, role and type, writing the NUL', async () => {
    // Prepare
    const odd = 'staff_u:object_r:svirt_sandbox_file_t:s0:c7,c9';
    setLabel(join(volume, 'a/f2'), odd, false);
    setLabel(join(volume, 'a/b/f7'), OTHER, true);
    const before = getLabel(join(volume, 'a/f4'));
    // Act
    const result = await check({ relabel: { roots: [podsRoot] } });
    const again = await check();
    // Assess
    expect(result.drifted).toBe(2);
    expect(result.relabelled).toBe(2);
    expect(getLabel(join(volume, 'a/f2'))).toBe('staff_u:object_r:svirt_sandbox_file_t:s0:c593,c693\0');
    expect(getLabel(join(volume, 'a/b/f7'))).toBe(`${TENANT}\0`);
    expect(getLabel(join(volume, 'a/f4'))).toBe(before);
    expect(again.drifted).toBe(0);
  });

  it('neither reads through nor relabels a symlink planted to a host directory', async () => {
    // Prepare: the link, its target and a file named like a drifted one
    symlinkSync(host, join(volume, 'a/escape'));
    symlinkSync(join(host, 'passwd'), join(volume, 'a/b/pw'));
    // Act
    const result = await check({ relabel: { roots: [podsRoot] } });
    // Assess
    expect(result.symlinksSkipped).toBe(2);
    expect(result.checked).toBe(23);
    expect(result.drifted).toBe(0);
    expect(getLabel(host)).toBe('system_u:object_r:etc_t:s0:c9,c10\0');
    expect(getLabel(join(host, 'passwd'))).toBe('system_u:object_r:passwd_file_t:s0:c9,c10\0');
  });

  it('refuses a volume root that is itself a symlink', async () => {
    symlinkSync(host, join(podsRoot, 'u1/volumes/empty-dir/link'));
    const result = await check({
      root: join(podsRoot, 'u1/volumes/empty-dir/link'),
      relabel: { roots: [podsRoot] },
    });
    expect(result.mode).toBe('refused');
    expect(result.checked).toBe(0);
    expect(getLabel(host)).toBe('system_u:object_r:etc_t:s0:c9,c10\0');
  });

  it('relabels when the configured root is reached through a symlink (kubelet dir on another disk)', async () => {
    // Prepare
    setLabel(join(volume, 'a/f0'), OTHER, true);
    const alias = join(base, 'kubelet-alias');
    rmSync(alias, { force: true });
    symlinkSync(podsRoot, alias);
    // Act
    const result = await check({
      root: join(alias, 'u1/volumes/empty-dir/data'),
      relabel: { roots: [alias] },
    });
    // Assess
    expect(result.relabelled).toBe(1);
    expect(getLabel(join(volume, 'a/f0'))).toBe(`${TENANT}\0`);
  });

  it('does not relabel outside the configured roots', async () => {
    setLabel(join(volume, 'a/f0'), OTHER, true);
    const result = await check({ relabel: { roots: [join(base, 'elsewhere')] } });
    expect(result.drifted).toBe(1);
    expect(result.relabelled).toBe(0);
    expect(result.relabelRefused).toBe(1);
    expect(getLabel(join(volume, 'a/f0'))).toBe(`${OTHER}\0`);
  });

  it('stops a huge tree at the file budget and says so', async () => {
    // Prepare
    mkdirSync(join(volume, 'big'));
    for (let i = 0; i < 300; i++) writeFileSync(join(volume, 'big', `g${i}`), '');
    // Act
    const result = await check({ fileBudget: 50 });
    // Assess
    expect(result.stoppedEarly).toBe('file-budget');
    expect(result.checked).toBe(50);
  });

  it('stops at the time budget with an injected clock that moves a minute per look', async () => {
    // Prepare
    const ticking = new ManualClock();
    const moving: Clock = {
      now: () => {
        ticking.advance(60_000);
        return ticking.now();
      },
    };
    // Act
    const result = await check({ clock: moving, timeBudgetMs: 30_000 });
    // Assess
    expect(result.stoppedEarly).toBe('time-budget');
    expect(result.checked).toBeLessThan(23);
  });
});

describe('checkVolume with real xattrs and mounts', () => {
  it('does not cross into another file system mounted inside the volume', async () => {
    // Prepare
    const inner = join(volume, 'inner');
    mkdirSync(inner);
    sh('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', inner]);
    writeFileSync(join(inner, 'x'), 'x');
    setLabel(join(inner, 'x'), OTHER, true);
    try {
      // Act
      const result = await checkVolume({
        root: volume,
        expected,
        labels,
        clock,
        fileBudget: 1000,
        timeBudgetMs: 60_000,
      });
      // Assess
      expect(result.mountsSkipped).toEqual([inner]);
      expect(result.drifted).toBe(0);
    } finally {
      spawnSync('umount', [inner]);
    }
  });

  it('does not enter a bind mount of the same file system, named by the mount table', async () => {
    // Prepare: same st_dev, so only the mount table tells
    setLabel(join(volume, 'a/b/f1'), OTHER, true);
    const mounts = [
      { mountPoint: base, fsType: 'tmpfs', source: 'tmpfs', options: {} },
      { mountPoint: join(volume, 'a/b'), fsType: 'tmpfs', source: 'tmpfs', options: {} },
    ];
    // Act
    const result = await checkVolume({
      root: volume,
      expected,
      labels,
      clock,
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      mounts,
    });
    // Assess
    expect(result.mountsSkipped).toEqual([join(volume, 'a/b')]);
    expect(result.drifted).toBe(0);
  });

  it('checks a single-context mount once at its root', async () => {
    // Act
    const result = await checkVolume({
      root: volume,
      expected,
      labels,
      clock,
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      mounts: [{ mountPoint: volume, fsType: 'nfs4', source: 'srv:/x', options: { context: OTHER } }],
    });
    // Assess
    expect(result.mode).toBe('single-context');
    expect(result.checked).toBe(1);
    expect(result.drifted).toBe(1);
    expect(result.wrongLevels).toEqual({ 's0:c1,c2': 1 });
  });
});

describe('relabel races with a tenant swapping a directory for a symlink', () => {
  it('does not write through a directory swapped for a symlink after the walk checked it', async () => {
    // Prepare: a drifted file in a/, and a host file of the same name; the store swaps a/ for
    // a symlink to the host directory just before setfattr runs (the tenant winning the race)
    setLabel(join(volume, 'a/f0'), OTHER, true);
    writeFileSync(join(host, 'f0'), 'host data');
    setLabel(join(host, 'f0'), 'system_u:object_r:etc_t:s0:c9,c10', true);
    const racing: LabelStore = {
      read: (paths, options) => labels.read(paths, options),
      readPinned: (groups, options) => labels.readPinned(groups, options),
      write: (entries, options) => labels.write(entries, options),
      relabel: async (request) => {
        renameSync(join(volume, 'a'), join(volume, 'a-moved'));
        symlinkSync(host, join(volume, 'a'));
        return labels.relabel(request);
      },
    };
    // Act
    const result = await checkVolume({
      root: volume,
      expected,
      labels: racing,
      clock,
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      relabel: { roots: [podsRoot] },
    });
    // Assess: the host file keeps its label and the write is counted as failed, not done
    expect(getLabel(join(host, 'f0'))).toBe('system_u:object_r:etc_t:s0:c9,c10\0');
    expect(result.relabelled).toBe(0);
    expect(result.relabelFailed).toBe(1);
  });

  it('takes user, role and type from the file as it is when written, not from what the walk read', async () => {
    // Prepare: two drifted files; between the walk and the write one gets another user, role
    // and type (still drifted) and the other is fixed by someone else
    setLabel(join(volume, 'a/f0'), OTHER, true);
    setLabel(join(volume, 'a/f2'), OTHER, true);
    const changing: LabelStore = {
      read: (paths, options) => labels.read(paths, options),
      readPinned: (groups, options) => labels.readPinned(groups, options),
      write: (entries, options) => labels.write(entries, options),
      relabel: async (request) => {
        setLabel(join(volume, 'a/f0'), 'staff_u:staff_r:user_home_t:s0:c3,c4', true);
        setLabel(join(volume, 'a/f2'), TENANT, true);
        return labels.relabel(request);
      },
    };
    // Act
    const result = await checkVolume({
      root: volume,
      expected,
      labels: changing,
      clock,
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      relabel: { roots: [podsRoot] },
    });
    // Assess
    expect(result.drifted).toBe(2);
    expect(result.relabelled).toBe(1);
    expect(result.relabelRefused).toBe(1);
    expect(getLabel(join(volume, 'a/f0'))).toBe('staff_u:staff_r:user_home_t:s0:c593,c693\0');
    expect(getLabel(join(volume, 'a/f2'))).toBe(`${TENANT}\0`);
  });

  it('writes a file in a directory that is still the one walked (names with newlines and dashes too)', async () => {
    // Prepare
    const odd = [join(volume, 'a/-R'), join(volume, 'a/x\n# file: f0'), join(volume, 'a/b/--restore=y')];
    for (const path of odd) writeFileSync(path, '');
    // Act
    const written = await labels.write(odd.map((path) => ({ path, label: TENANT })));
    // Assess
    expect(written).toEqual({ written: 3, failed: [] });
    for (const path of odd) expect(getLabel(path)).toBe(`${TENANT}\0`);
    expect(getLabel(join(volume, 'a/f0'))).toBe(`${TENANT}\0`);
  });
});
