// SELinux volume check and relabel on a generated tree of 100,000 files with 1 % drift, side
// by side with the tools an operator would reach for, in one run:
//   check:   checkVolume (the walk through pinned directory handles, labels read by batched
//            getfattr through those handles) vs `getfattr -R -h -P` over the same tree (given its
//            absolute path, and run from inside it with `.`): the target is <= 1.5x.
//   relabel: checkVolume with relabelling on, fixing only the drifted files, vs `chcon -R`
//            setting every file, each timed with the `sync -f` that makes its changes durable.
//            The target (>= 5x) is on the whole pass (check + fix), like for like with chcon,
//            which also walks the tree. The fixing step alone (the result's relabelMs: what
//            `--relabel` adds to the check a pass runs anyway) is printed for context.
// The tree lives on a private loop-mounted ext4 image (pass `tmpfs` to use tmpfs); root is
// needed to set security.* xattrs. Everything is unmounted and removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.ts';
import { AttrLabelStore } from '../runner/selinux/AttrLabelStore.ts';
import { checkVolume, type VolumeCheckOptions } from '../runner/selinux/check-volume.ts';
import { parseLevel } from '../runner/selinux/mcs.ts';
import { procMountTable } from '../runner/selinux/mountinfo.ts';
import { emit, line, median, ratio, timed } from './lib.ts';

const FILES = 100_000;
const DIRS = 100;
const DRIFT_EVERY = 100; // 1 %
const ROUNDS = 5;
const TENANT = 'system_u:object_r:container_file_t:s0:c593,c693';
const OTHER = 'system_u:object_r:container_file_t:s0:c1,c2';
const expected = parseLevel('s0:c593,c693');

function runTool(cmd: string, args: string[], cwd?: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // Output goes through a pipe and is drained, as it is for the runner's own getfattr.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], ...(cwd ? { cwd } : {}) });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', resolve);
  });
}

const FS = process.argv[2] === 'tmpfs' ? 'tmpfs' : 'ext4';
const base = mkdtempSync(join(tmpdir(), 'iw-bench-selinux-'));
const image = `${base}.img`;
function mountTree(): boolean {
  if (FS === 'tmpfs') {
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512m,nr_inodes=400k', 'tmpfs', base]).status === 0;
  }
  writeFileSync(image, '');
  spawnSync('truncate', ['-s', '1G', image]);
  if (spawnSync('mkfs.ext4', ['-q', '-F', '-N', '200000', image]).status !== 0) return false;
  return spawnSync('mount', ['-o', 'loop', image, base]).status === 0;
}
const mounted = mountTree();
const root = join(base, 'pods');
const volume = join(root, 'u1/volumes/kubernetes.io~empty-dir/data');
const labels = new AttrLabelStore();

try {
  // Prepare: the tree and its labels.
  const files: string[] = [volume];
  mkdirSync(volume, { recursive: true });
  for (let d = 0; d < DIRS; d++) {
    const dir = join(volume, `d${d}`);
    mkdirSync(dir);
    files.push(dir);
    for (let f = 0; f < FILES / DIRS; f++) {
      const file = join(dir, `f${f}`);
      writeFileSync(file, '');
      files.push(file);
    }
  }
  const drifted = files.filter((_, i) => i % DRIFT_EVERY === 1);
  const driftSet = new Set(drifted);
  const initial = await labels.write(
    files.map((path) => ({ path, label: driftSet.has(path) ? OTHER : TENANT })),
  );
  if (initial.failed.length > 0) throw new Error(`could not label the tree: ${initial.failed[0]?.message}`);
  const mounts = await procMountTable().mounts();
  const check = (extra: Partial<VolumeCheckOptions> = {}) =>
    checkVolume({
      root: volume,
      expected,
      labels,
      clock: systemClock,
      fileBudget: 1_000_000,
      timeBudgetMs: 600_000,
      ...extra,
    });
  line('tree', `${files.length} entries, ${drifted.length} drifted, on ${mounted ? FS : 'the tmp dir'}`);

  // Check: rounds alternate between the three so machine load hits them alike.
  const runs = {
    check: [] as number[],
    getfattrAbs: [] as number[],
    getfattrRel: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const a = await timed(() => check({ mounts }));
    if (a.result.checked !== files.length || a.result.drifted !== drifted.length)
      throw new Error(`the check saw ${a.result.checked} entries, ${a.result.drifted} drifted`);
    runs.check.push(a.ms);
    runs.getfattrAbs.push(
      (
        await timed(() =>
          runTool('getfattr', ['-R', '-h', '-P', '-n', 'security.selinux', '-e', 'text', volume]),
        )
      ).ms,
    );
    runs.getfattrRel.push(
      (
        await timed(() =>
          runTool('getfattr', ['-R', '-h', '-P', '-n', 'security.selinux', '-e', 'text', '.'], volume),
        )
      ).ms,
    );
  }
  for (const [name, values] of Object.entries(runs))
    line(`check runs: ${name} (ms)`, values.map((v) => v.toFixed(0)).join(' '));
  const m = {
    check: median(runs.check),
    abs: median(runs.getfattrAbs),
    rel: median(runs.getfattrRel),
  };
  line(`check: imagewarden, pinned walk (ms, median of ${ROUNDS})`, m.check);
  line(`check: getfattr -R -h -P <abs path> (ms, median of ${ROUNDS})`, m.abs);
  line(`check: cd tree; getfattr -R -h -P . (ms, median of ${ROUNDS})`, m.rel);
  line('check: imagewarden / getfattr -R abs (target <= 1.5)', ratio(m.check, m.abs));
  line('check: imagewarden / getfattr -R from inside', ratio(m.check, m.rel));

  // Relabel: ours fixes only the drift; chcon -R sets every entry. Both made durable with sync -f.
  const syncFs = () => runTool('sync', ['-f', base]);
  await syncFs();
  const fix = await timed(() => check({ mounts, relabel: { roots: [root] } }));
  const fixSync = await timed(syncFs);
  if (fix.result.relabelled !== drifted.length)
    throw new Error(`relabelled ${fix.result.relabelled} of ${drifted.length}`);
  await labels.write(drifted.map((path) => ({ path, label: OTHER })));
  await syncFs();
  const chcon = await timed(() => runTool('chcon', ['-R', '-h', '-P', TENANT, volume]));
  if (chcon.result !== 0) throw new Error(`chcon exited ${chcon.result}`);
  const chconSync = await timed(syncFs);
  const fixing = fix.result.relabelMs + fixSync.ms;
  const pass = fix.ms + fixSync.ms;
  const theirs = chcon.ms + chconSync.ms;
  line('relabel: imagewarden fixing step, 1 % of files + sync (ms)', fixing);
  line('relabel: imagewarden whole pass, check + fix + sync (ms)', pass);
  line('relabel: chcon -R -h -P on the tree + sync (ms)', theirs);
  line('relabel: chcon -R / imagewarden whole pass (target >= 5)', ratio(theirs, pass));
  line('relabel: chcon -R / imagewarden fixing step only', ratio(theirs, fixing));

  emit('selinux', {
    files: files.length,
    drifted: drifted.length,
    filesystem: mounted ? FS : 'tmpdir',
    checkMs: Math.round(m.check),
    checkGetfattrAbsMs: Math.round(m.abs),
    checkGetfattrRelMs: Math.round(m.rel),
    checkRatio: Number(ratio(m.check, m.abs).toFixed(2)),
    checkRatioVsInside: Number(ratio(m.check, m.rel).toFixed(2)),
    relabelFixMs: Math.round(fixing),
    relabelPassMs: Math.round(pass),
    relabelChconMs: Math.round(theirs),
    relabelFixSpeedup: Number(ratio(theirs, fixing).toFixed(2)),
    relabelPassSpeedup: Number(ratio(theirs, pass).toFixed(2)),
    checkTargetMet: ratio(m.check, m.abs) <= 1.5,
    relabelTargetMet: ratio(theirs, pass) >= 5,
  });
} finally {
  if (mounted) spawnSync('umount', [base]);
  rmSync(base, { recursive: true, force: true });
  rmSync(image, { force: true });
}
