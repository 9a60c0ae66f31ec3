// SELinux volume check and relabel on a generated tree of 100,000 files with 1 % drift, side
// by side with the tools an operator would reach for:
//   check:   checkVolume (Node walk + batched `getfattr -h`) vs one `getfattr -R -h -P` over the tree
//   relabel: fixing only the drifted files vs setting every file with `chcon -R` (and with one
//            `setfattr -h --restore` given all 100,000 entries).
// The tree lives on a private loop-mounted ext4 image (`npm run bench -- selinux` ; pass `tmpfs`
// as argument to use tmpfs); root is needed to set security.* xattrs. Removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.ts';
import { AttrLabelStore } from '../runner/selinux/AttrLabelStore.ts';
import { restoreBlock } from '../runner/selinux/attr-format.ts';
import { checkVolume } from '../runner/selinux/check-volume.ts';
import { parseLevel } from '../runner/selinux/mcs.ts';
import { emit, line, ratio, timed } from './lib.ts';

const FILES = 100_000;
const DIRS = 100;
const DRIFT_EVERY = 100; // 1 %
const TENANT = 'system_u:object_r:container_file_t:s0:c593,c693';
const OTHER = 'system_u:object_r:container_file_t:s0:c1,c2';
const expected = parseLevel('s0:c593,c693');

function runTool(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number | null; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, bytes }));
    child.stdin.end(input);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const base = mkdtempSync(join(tmpdir(), 'iw-bench-selinux-'));
// An ext4 image (like a node's volume disk: xattr writes go through the journal), else tmpfs.
const FS = process.argv[2] === 'tmpfs' ? 'tmpfs' : 'ext4';
const image = `${base}.img`;
function mountTree(): boolean {
  if (FS === 'tmpfs')
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512m,nr_inodes=400k', 'tmpfs', base]).status === 0;
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
  // Prepare: the tree and its labels (one setfattr --restore for everything).
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
  const label = (path: string): string => (driftSet.has(path) ? OTHER : TENANT);
  const initial = await labels.write(files.map((path) => ({ path, label: label(path) })));
  line('tree', `${files.length} entries, ${drifted.length} drifted, on ${mounted ? FS : 'the tmp dir'}`);
  if (initial.failed.length > 0) throw new Error(`could not label the tree: ${initial.failed[0]?.message}`);

  // Check, three rounds each, alternating.
  const ours: number[] = [];
  const getfattr: number[] = [];
  let found = 0;
  for (let round = 0; round < 5; round++) {
    const a = await timed(() =>
      checkVolume({
        root: volume,
        expected,
        labels,
        clock: systemClock,
        fileBudget: 1_000_000,
        timeBudgetMs: 600_000,
      }),
    );
    ours.push(a.ms);
    found = a.result.drifted;
    if (a.result.checked !== files.length) throw new Error(`checked ${a.result.checked} of ${files.length}`);
    const b = await timed(() =>
      runTool('getfattr', ['-R', '-h', '-P', '-n', 'security.selinux', '-e', 'hex', volume]),
    );
    getfattr.push(b.ms);
  }
  line('check: imagewarden runs (ms)', ours.map((ms) => ms.toFixed(0)).join(' '));
  line('check: getfattr -R runs (ms)', getfattr.map((ms) => ms.toFixed(0)).join(' '));
  const checkOurs = median(ours);
  const checkGetfattr = median(getfattr);
  line('check: imagewarden scan (ms, median of 5)', checkOurs);
  line('check: getfattr -R -h -P (ms, median of 5)', checkGetfattr);
  line('check: ours / getfattr (target <= 1.5)', ratio(checkOurs, checkGetfattr));
  line('check: drifted files found', found);

  // Relabel: ours fixes only the drift; the baselines set every entry. Each is timed with the
  // `sync -f` that makes its changes durable too: dirtying 100,000 inodes is the real cost on disk.
  const syncFs = (): Promise<unknown> => runTool('sync', ['-f', base]);
  await syncFs();
  const fix = await timed(() =>
    checkVolume({
      root: volume,
      expected,
      labels,
      clock: systemClock,
      fileBudget: 1_000_000,
      timeBudgetMs: 600_000,
      relabel: { roots: [root] },
    }),
  );
  if (fix.result.relabelled !== drifted.length)
    throw new Error(`relabelled ${fix.result.relabelled} of ${drifted.length}`);
  const fixSync = await timed(syncFs);
  const writeOnly = await timed(() => labels.write(drifted.map((path) => ({ path, label: TENANT }))));
  await labels.write(drifted.map((path) => ({ path, label: OTHER })));
  await syncFs();
  const full = await timed(() => runTool('chcon', ['-R', '-h', '-P', TENANT, volume]));
  if (full.result.code !== 0) throw new Error(`chcon exited ${full.result.code}`);
  const fullSync = await timed(syncFs);
  await labels.write(drifted.map((path) => ({ path, label: OTHER })));
  const dump = files
    .map((path) => restoreBlock(path, 'security.selinux', Buffer.from(`${TENANT}\0`)))
    .join('');
  const setAll = await timed(() => runTool('setfattr', ['-h', '--restore=-'], dump));
  if (setAll.result.code !== 0) throw new Error(`setfattr exited ${setAll.result.code}`);
  line('relabel: imagewarden scan + fix drift (ms)', fix.ms);
  line('relabel: imagewarden writes only, 1 % (ms)', writeOnly.ms);
  line('relabel: chcon -R -h -P on the tree (ms)', full.ms);
  line('relabel: imagewarden scan + fix + sync -f (ms)', fix.ms + fixSync.ms);
  line('relabel: chcon -R + sync -f (ms)', full.ms + fullSync.ms);
  line(
    'relabel: durable chcon / durable ours (target >= 5)',
    ratio(full.ms + fullSync.ms, fix.ms + fixSync.ms),
  );
  line('relabel: setfattr on every entry, list given (ms)', setAll.ms);
  line('relabel: chcon -R / (scan + fix) (target >= 5)', ratio(full.ms, fix.ms));
  line('relabel: chcon -R / writes only', ratio(full.ms, writeOnly.ms));

  emit('selinux', {
    files: files.length,
    drifted: drifted.length,
    filesystem: mounted ? FS : 'tmpdir',
    checkOursMs: Math.round(checkOurs),
    checkGetfattrMs: Math.round(checkGetfattr),
    checkRatio: Number(ratio(checkOurs, checkGetfattr).toFixed(2)),
    relabelScanAndFixMs: Math.round(fix.ms),
    relabelWritesOnlyMs: Math.round(writeOnly.ms),
    relabelChconMs: Math.round(full.ms),
    relabelSetfattrAllMs: Math.round(setAll.ms),
    relabelDurableOursMs: Math.round(fix.ms + fixSync.ms),
    relabelDurableChconMs: Math.round(full.ms + fullSync.ms),
    relabelDurableSpeedup: Number(ratio(full.ms + fullSync.ms, fix.ms + fixSync.ms).toFixed(2)),
    relabelSpeedup: Number(ratio(full.ms, fix.ms).toFixed(2)),
    relabelWritesSpeedup: Number(ratio(full.ms, writeOnly.ms).toFixed(2)),
  });
} finally {
  if (mounted) spawnSync('umount', [base]);
  rmSync(base, { recursive: true, force: true });
  rmSync(image, { force: true });
}
