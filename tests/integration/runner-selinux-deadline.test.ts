// The volume check's time budget is a timer, not only a check between batches: a getfattr that
// never returns (what a hung NFS mount does to it) is killed and the volume is reported as
// stopped at the time budget. The stuck getfattr is a real process: a script that records its
// pid and sleeps; the timer is fired by the test once that process is running. And a getfattr
// killed by someone else mid-output: the entry it was printing is never read as a label.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { AttrLabelStore } from '../../runner/selinux/AttrLabelStore.ts';
import { checkVolume } from '../../runner/selinux/check-volume.ts';
import { parseLevel } from '../../runner/selinux/mcs.ts';
import type { MountEntry } from '../../runner/selinux/mountinfo.ts';
import { requireBinary } from '../support/require.ts';

let dir: string;
let volume: string;
let pidFile: string;
let stuckGetfattr: string;

beforeEach(() => {
  requireBinary('sleep', 'coreutils');
  dir = mkdtempSync(join(tmpdir(), 'iw-selinux-deadline-'));
  volume = join(dir, 'pods/u1/volumes/kubernetes.io~nfs/data');
  mkdirSync(join(volume, 'a'), { recursive: true });
  writeFileSync(join(volume, 'a/f'), '');
  pidFile = join(dir, 'getfattr.pid');
  stuckGetfattr = join(dir, 'getfattr');
  // Stands in for getfattr blocked on a hung mount: it never answers.
  writeFileSync(stuckGetfattr, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`);
  chmodSync(stuckGetfattr, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once the stuck getfattr has written its pid (bounded: fails after 10 s). */
async function stuckPid(): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    if (existsSync(pidFile)) {
      const text = readFileSync(pidFile, 'utf8').trim();
      if (text) return Number(text);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the stand-in getfattr never started');
}

/** Resolves once `pid` is gone (bounded: fails after 10 s). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 1000; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

describe.each([
  ['with a mount table', true],
  ['without a mount table', false],
])('a volume check stuck in getfattr (%s)', (_name, withMounts) => {
  it('is abandoned at the time budget: the getfattr is killed and the result says so', async () => {
    // Arrange: the timer is ours to fire, once the stuck process is running.
    let fire: (() => void) | undefined;
    const mounts: MountEntry[] = [{ mountPoint: dir, fsType: 'ext4', source: '/dev/test', options: {} }];
    const checking = checkVolume({
      root: volume,
      expected: parseLevel('s0:c1,c2'),
      labels: new AttrLabelStore({ getfattr: stuckGetfattr }),
      clock: new ManualClock(),
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      timer: (_ms, onExpire) => {
        fire = onExpire;
        return () => undefined;
      },
      ...(withMounts ? { mounts } : {}),
      relabel: { roots: [join(dir, 'pods')] },
    });
    const pid = await stuckPid();
    // Act
    fire?.();
    const result = await checking;
    // Assess
    expect(result.stoppedEarly).toBe('time-budget');
    expect(result.checked).toBe(0);
    expect(result.relabelled).toBe(0);
    expect(await gone(pid)).toBe(true);
  });
});

describe('a getfattr killed by someone else part-way', () => {
  it('judges only whole entries, relabels nothing from a cut-off label, and counts what it did not read as errors', async () => {
    // Arrange: it prints the root's label whole, then half of the next entry, then dies
    const killed = join(dir, 'getfattr-killed');
    writeFileSync(
      killed,
      [
        '#!/bin/sh',
        'printf \'# file: .\\nsecurity.selinux="system_u:object_r:container_file_t:s0:c1,c2"\\n\\n\'',
        "printf '# file: a\\nsecurity.selinux=\"system_u:obj'",
        'kill -9 $$',
        '',
      ].join('\n'),
    );
    chmodSync(killed, 0o755);
    // Act
    const result = await checkVolume({
      root: volume,
      expected: parseLevel('s0:c1,c2'),
      labels: new AttrLabelStore({ getfattr: killed }),
      clock: new ManualClock(),
      fileBudget: 1000,
      timeBudgetMs: 60_000,
      relabel: { roots: [join(dir, 'pods')] },
    });
    // Assess
    expect(result.drifted + result.malformed).toBe(0);
    expect(result.relabelled + result.relabelFailed).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.note).toMatch(/killed by SIGKILL/);
  });
});
