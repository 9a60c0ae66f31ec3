// The volume walk and the relabel raced by a tenant, on a real tmpfs with real
// `security.selinux` xattrs: a helper process (python3, renameat2 RENAME_EXCHANGE through
// ctypes) keeps swapping each tenant directory with a symlink to a "host" directory on the same
// file system (so st_dev cannot tell them apart), and two files inside each directory with each
// other, while checkVolume walks and relabels. Host files carry their own user, role, type and
// level; every tenant file and directory its own user, role and type. What is asserted holds
// whatever the interleaving, after each of many rounds (the helper stopped, the tree put back):
// no host label is reported, no host directory is listed (its atime, on a strictatime mount,
// stays where the test set it), no host label is written, and every tenant entry has either its
// own original label or its own user, role and type at the expected level.
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { AttrLabelStore } from '../../runner/selinux/AttrLabelStore.ts';
import { decodeValue, parseDump, restoreBlock } from '../../runner/selinux/attr-format.ts';
import { checkVolume } from '../../runner/selinux/check-volume.ts';
import { decodeLabelBytes } from '../../runner/selinux/LabelStore.ts';
import { parseLevel } from '../../runner/selinux/mcs.ts';
import { requireBinary } from '../support/require.ts';

const ROUNDS = 8;
const DIRS = 3;
const FILES = 8;
const SUBFILES = 3;
const HOST = 'host_u:host_r:secret_t:s0:c9,c10';
const HOST_LEVEL = 's0:c9,c10';
const EXPECTED = 's0:c593,c693';
const expected = parseLevel(EXPECTED);

/** Each tenant entry's own label: user, role and type named after it, at a drifted level. */
const own = (id: string): string => `u_${id}:r_${id}:t_${id}_t:s0:c1,c2`;
const fixed = (id: string): string => own(id).replace(/s0:c1,c2$/, EXPECTED);

// Swaps each pair of names (inside the directory given as the pair's first argument) with
// RENAME_EXCHANGE until SIGTERM, prints "ready" after the first round, then puts every pair
// back the way it found it and prints how many swaps it made.
const RACER = `
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
RENAME_EXCHANGE = 2
pairs = []
for arg in sys.argv[1:]:
    d, a, b = arg.split('|')
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    pairs.append([fd, a.encode(), b.encode(), 0])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
total = 0
first = True
while not stop:
    for p in pairs:
        if libc.renameat2(p[0], p[1], p[0], p[2], RENAME_EXCHANGE) == 0:
            p[3] += 1
            total += 1
    if first:
        print('ready', flush=True)
        first = False
for p in pairs:
    if p[3] % 2 == 1 and libc.renameat2(p[0], p[1], p[0], p[2], RENAME_EXCHANGE) != 0:
        sys.exit('cannot put %r back' % p[1])
print(total, flush=True)
`;

function sh(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
/** Labels of many paths (no-follow) with one getfattr; a path without one maps to "(none)". */
function getLabels(paths: readonly string[]): Map<string, string> {
  const r = spawnSync(
    'getfattr',
    ['-h', '--absolute-names', '-n', 'security.selinux', '-e', 'hex', '--', ...paths],
    {
      encoding: 'utf8',
    },
  );
  const found = new Map(
    parseDump(r.stdout, 'security.selinux').map((e) => [e.path, decodeLabelBytes(decodeValue(e.value))]),
  );
  return new Map(paths.map((p) => [p, found.get(p) ?? '(none)']));
}
/** Sets many labels with one setfattr (hex values, so any byte is safe). */
function setLabels(labels: readonly [string, string][]): void {
  sh(
    'setfattr',
    ['-h', '--restore=-'],
    labels.map(([path, label]) => restoreBlock(path, 'security.selinux', Buffer.from(`${label}\0`))).join(''),
  );
}

let base: string;
let podsRoot: string;
let volume: string;
let host: string;
/** Tenant entries: where each one is once the tree is put back, and its id. */
const tenant: { path: string; id: string }[] = [];
/** Host entries, and the host directories whose atime shows a listing. */
const hostPaths: string[] = [];
let hostDirs: string[] = [];
let racerScript: string;

beforeAll(() => {
  requireBinary('getfattr', 'attr');
  requireBinary('setfattr', 'attr');
  requireBinary('python3', 'python3');
  base = mkdtempSync(join(tmpdir(), 'iw-selinux-race-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=16m,strictatime', 'tmpfs', base]);
  podsRoot = join(base, 'pods');
  volume = join(podsRoot, 'u1/volumes/kubernetes.io~empty-dir/data');
  host = join(base, 'host');
  racerScript = join(base, 'racer.py');
  writeFileSync(racerScript, RACER);
  // Host: files and a subdirectory named like the tenant's, so a walk let through a swapped
  // symlink would find something to read and relabel.
  mkdirSync(join(host, 's'), { recursive: true });
  hostDirs = [host, join(host, 's')];
  hostPaths.push(...hostDirs);
  for (let f = 0; f < FILES; f++) hostPaths.push(join(host, `f${f}`));
  for (const x of ['x0', 'x1']) hostPaths.push(join(host, x));
  for (let g = 0; g < SUBFILES; g++) hostPaths.push(join(host, 's', `g${g}`));
  for (const path of hostPaths) if (!hostDirs.includes(path)) writeFileSync(path, 'secret');
  // Tenant: a few files at the root (never swapped), and directories each swapped with a
  // symlink to the host directory, holding files, two files swapped with each other, and a
  // subdirectory. A file's content is its id, so it is known wherever a swap left it.
  mkdirSync(volume, { recursive: true });
  const addFile = (path: string, id: string): void => {
    writeFileSync(path, id);
    tenant.push({ path, id });
  };
  for (let r = 0; r < 3; r++) addFile(join(volume, `r${r}`), `r${r}`);
  for (let d = 0; d < DIRS; d++) {
    const dir = join(volume, `d${d}`);
    mkdirSync(join(dir, 's'), { recursive: true });
    symlinkSync(host, join(volume, `d${d}-link`));
    tenant.push({ path: dir, id: `d${d}` }, { path: join(dir, 's'), id: `d${d}s` });
    for (let f = 0; f < FILES; f++) addFile(join(dir, `f${f}`), `d${d}f${f}`);
    for (const x of ['x0', 'x1']) addFile(join(dir, x), `d${d}${x}`);
    for (let g = 0; g < SUBFILES; g++) addFile(join(dir, 's', `g${g}`), `d${d}g${g}`);
  }
});

afterAll(() => {
  if (!base) return;
  spawnSync('umount', [base]);
  rmSync(base, { recursive: true, force: true });
});

/** The id of the tenant entry now at `path` (files by content; directories do not move). */
function idAt(entry: { path: string; id: string }): string {
  return statSync(entry.path).isDirectory() ? entry.id : readFileSync(entry.path, 'utf8');
}

/** Runs the racer until `work` settles; resolves with the work's value and the swaps made. */
async function racing<T>(work: () => Promise<T>): Promise<{ value: T; swaps: number }> {
  const pairs: string[] = [];
  for (let d = 0; d < DIRS; d++) {
    pairs.push(`${volume}|d${d}|d${d}-link`, `${join(volume, `d${d}`)}|x0|x1`);
  }
  const racer = spawn('python3', [racerScript, ...pairs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  racer.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: racer.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => racer.on('close', resolve));
  const ready = await lines.next();
  if (ready.value !== 'ready') throw new Error(`the racer did not start: ${stderr}`);
  let value: T;
  try {
    value = await work();
  } finally {
    racer.kill('SIGTERM');
  }
  const total = await lines.next();
  if ((await exited) !== 0) throw new Error(`the racer failed: ${stderr}`);
  return { value, swaps: Number(total.value) };
}

describe('checkVolume while a tenant swaps directories for symlinks to host files', () => {
  it('never reports, lists or writes a host file, and gives no tenant entry another entry’s user, role or type', async () => {
    let swaps = 0;
    let relabelled = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Prepare: every entry drifted with its own label, the host untouched and its atime old
      setLabels([
        [volume, fixed('root')],
        ...tenant.map(({ path, id }): [string, string] => [path, own(id)]),
        ...hostPaths.map((path): [string, string] => [path, HOST]),
      ]);
      const old = new Date('2001-01-01T00:00:00Z');
      for (const dir of hostDirs) utimesSync(dir, old, old);
      // Act
      const run = await racing(() =>
        checkVolume({
          root: volume,
          expected,
          labels: new AttrLabelStore({ batchSize: 5 }),
          clock: new ManualClock(),
          fileBudget: 10_000,
          timeBudgetMs: 600_000,
          batchSize: 4,
          relabel: { roots: [podsRoot] },
        }),
      );
      // Assess
      const result = run.value;
      swaps += run.swaps;
      relabelled += result.relabelled;
      expect(Object.keys(result.wrongLevels)).not.toContain(HOST_LEVEL);
      expect(result.samplePaths.every((p) => p.startsWith(`${volume}/`))).toBe(true);
      for (const dir of hostDirs) expect(statSync(dir).atime).toEqual(old);
      const labels = getLabels([...hostPaths, ...tenant.map((e) => e.path)]);
      for (const path of hostPaths) expect([path, labels.get(path)]).toEqual([path, HOST]);
      for (const entry of tenant) {
        const id = idAt(entry);
        const label = labels.get(entry.path) as string;
        expect([id, [own(id), fixed(id)].includes(label) ? 'its own' : label]).toEqual([id, 'its own']);
      }
      // The root's files are never swapped: they are relabelled in every round.
      for (let r = 0; r < 3; r++) expect(labels.get(join(volume, `r${r}`))).toBe(fixed(`r${r}`));
    }
    // The race did happen (the racer swaps before it says it is ready), and relabelling ran.
    expect(swaps).toBeGreaterThan(0);
    expect(relabelled).toBeGreaterThanOrEqual(3 * ROUNDS);
  });
});
