// The volume check's time budget as a timer (fired by hand here): once it fires, no label is
// written, a write in flight is given up and counted as failed, and a single-context read that
// hangs is abandoned. Labels live in memory; the tree is real (walked with readdir/lstat).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { untilAborted } from '../../../../core/abortable.ts';
import { ManualClock } from '../../../../core/clock.ts';
import { checkVolume } from '../../../../runner/selinux/check-volume.ts';
import type { LabelStore } from '../../../../runner/selinux/LabelStore.ts';
import { parseLevel } from '../../../../runner/selinux/mcs.ts';
import { type MemoryLabelHooks, MemoryLabels } from './memory-labels.ts';

const DRIFTED = 'system_u:object_r:container_file_t:s0:c1,c2';
const expected = parseLevel('s0:c5,c6');

let dir: string;
let volume: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-deadline-'));
  volume = join(dir, 'pods/u1/volumes/kubernetes.io~empty-dir/data');
  mkdirSync(volume, { recursive: true });
  for (const name of ['a', 'b', 'c']) writeFileSync(join(volume, name), '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every path drifted; hooks run inside reads and relabels, where a hung mount would hang. */
function labels(hooks: MemoryLabelHooks): MemoryLabels {
  return new MemoryLabels(new Map(), hooks, DRIFTED);
}

/** A timer the test fires: checkVolume arms it once per volume. */
function handTimer(): { timer: (ms: number, fire: () => void) => () => void; fire: () => void } {
  let fire: (() => void) | undefined;
  return {
    timer: (_ms, onExpire) => {
      fire = onExpire;
      return () => undefined;
    },
    fire: () => fire?.(),
  };
}

const options = (store: LabelStore, timer: ReturnType<typeof handTimer>['timer']) => ({
  root: volume,
  expected,
  labels: store,
  clock: new ManualClock(),
  fileBudget: 100,
  timeBudgetMs: 60_000,
  timer,
  relabel: { roots: [join(dir, 'pods')] },
});

describe('checkVolume at its time budget', () => {
  it('writes no label once the budget has run out, even for drift it has already read', async () => {
    // Arrange: the budget runs out just after the read that finds the drift returns
    const hand = handTimer();
    const store = labels({ onRead: () => hand.fire() });
    // Act
    const result = await checkVolume(options(store, hand.timer));
    // Assess
    expect(result.drifted).toBe(4);
    expect(store.relabelled).toEqual([]);
    expect(result.relabelled).toBe(0);
    expect(result.stoppedEarly).toBe('time-budget');
  });

  it('checks the budget again after re-checking the drifted paths, right before writing', async () => {
    // Arrange: the budget runs out once the fix has started (its first clock reading), while
    // the drifted paths are being re-checked
    const hand = handTimer();
    let armed = false;
    const store = labels({
      onRead: () => {
        armed = true;
      },
    });
    const clock = new ManualClock();
    const now = clock.now.bind(clock);
    clock.now = () => {
      if (armed) {
        armed = false;
        hand.fire();
      }
      return now();
    };
    // Act
    const result = await checkVolume({ ...options(store, hand.timer), clock });
    // Assess
    expect(store.relabelled).toEqual([]);
    expect(result.relabelled).toBe(0);
    expect(result.stoppedEarly).toBe('time-budget');
  });

  it('gives up a write stuck past the budget and counts its files as failed, maybe written', async () => {
    // Arrange: setfattr hangs (a hung mount) until the budget runs out
    const hand = handTimer();
    const store = labels({
      onRelabel: (_paths, signal) => {
        hand.fire();
        return untilAborted(new Promise<void>(() => undefined), signal);
      },
    });
    // Act
    const result = await checkVolume(options(store, hand.timer));
    // Assess
    expect(result.relabelled).toBe(0);
    expect(result.relabelFailed).toBe(4);
    expect(result.stoppedEarly).toBe('time-budget');
    expect(result.note).toMatch(/may have been written/);
  });

  it('abandons a single-context mount whose root label never comes back', async () => {
    // Arrange: an unlabelled NFS mount (one label, read at its root) whose server is gone
    const hand = handTimer();
    const store = labels({
      onRead: (signal) => {
        hand.fire();
        return untilAborted(new Promise<void>(() => undefined), signal);
      },
    });
    // Act
    const result = await checkVolume({
      ...options(store, hand.timer),
      mounts: [{ mountPoint: volume, fsType: 'nfs4', source: 'nfs:/export', options: {} }],
    });
    // Assess
    expect(result.mode).toBe('single-context');
    expect(result.stoppedEarly).toBe('time-budget');
    expect(result.checked).toBe(0);
  });
});
