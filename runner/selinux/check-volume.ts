// Checks one tenant volume's file labels against the expected MCS level, and (only when
// relabelling is enabled) rewrites the level of the drifted files, keeping user, role and
// type. The walk never follows a symlink, never crosses into another file system, and stops
// at a file budget or a time budget, saying so (the time budget is a timer too, so a walk
// stuck on a hung mount is abandoned). Labels are read and written in batches through the
// LabelStore port; the drift is written by relabel-drift.ts.
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { realTimer, untilAborted } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import type { LabelRead, LabelStore, LabelWrite } from './LabelStore.ts';
import { checkSingleContext, judge, type Verdict } from './label-verdict.ts';
import { mountOf, singleContext } from './mountinfo.ts';
import { driftWriter } from './relabel-drift.ts';
import { isInside } from './safe-paths.ts';
import { emptyResult, type VolumeCheckOptions, type VolumeCheckResult } from './volume-check-types.ts';

export type { VolumeCheckOptions, VolumeCheckResult } from './volume-check-types.ts';

export async function checkVolume(options: VolumeCheckOptions): Promise<VolumeCheckResult> {
  const deadline = new AbortController();
  const cancel = (options.timer ?? realTimer)(options.timeBudgetMs, () =>
    deadline.abort(new Error(`time budget of ${options.timeBudgetMs} ms spent`)),
  );
  try {
    return await walkVolume(options, deadline.signal);
  } finally {
    cancel();
  }
}

async function walkVolume(options: VolumeCheckOptions, deadline: AbortSignal): Promise<VolumeCheckResult> {
  const { expected, labels, clock } = options;
  const batchSize = options.batchSize ?? 5000;
  const sampleSize = options.sampleSize ?? 10;
  const started = clock.now().getTime();
  const overTime = (): boolean => deadline.aborted || clock.now().getTime() - started > options.timeBudgetMs;

  let root: string;
  const result = emptyResult(options.root);
  // Every wait on the file system is bounded by the deadline: on a hard NFS mount whose server
  // is gone even the root's lstat never returns.
  const bounded = <T>(work: Promise<T>): Promise<T> => untilAborted(work, deadline);
  const gaveUp = (): VolumeCheckResult => ({ ...result, stoppedEarly: 'time-budget' });
  try {
    const stat = await bounded(lstat(options.root));
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      return {
        ...result,
        mode: stat.isSymbolicLink() ? 'refused' : 'skipped',
        note: `${options.root} is ${stat.isSymbolicLink() ? 'a symlink' : 'not a directory'}; not walked`,
      };
    }
    root = await bounded(realpath(options.root));
  } catch (error) {
    if (deadline.aborted) return gaveUp();
    return { ...result, mode: 'refused', errors: 1, note: errorMessage(error) };
  }
  result.root = root;

  const mount = options.mounts ? mountOf(root, options.mounts) : undefined;
  const single = mount ? singleContext(mount) : undefined;
  if (single !== undefined) return checkSingleContext(result, single, options, deadline);

  let rootDev: number;
  try {
    rootDev = (await bounded(lstat(root))).dev;
  } catch (error) {
    if (deadline.aborted) return gaveUp();
    return { ...result, mode: 'refused', errors: 1, note: errorMessage(error) };
  }
  // Bind mounts of the same file system share st_dev: the mount table names them.
  const nestedMounts = new Set(
    (options.mounts ?? []).map((m) => m.mountPoint).filter((mp) => isInside(mp, root)),
  );
  const sample = (path: string): void => {
    if (result.samplePaths.length < sampleSize) result.samplePaths.push(path);
  };

  const queueDrift = driftWriter({
    result,
    labels,
    clock,
    deadline,
    rootDev,
    ...(options.relabel ? { relabel: options.relabel } : {}),
  });

  // A volume holds few distinct labels: judge each once.
  const verdicts = new Map<string, Verdict>();
  const classify = (label: string): Verdict => {
    let verdict = verdicts.get(label);
    if (verdict === undefined) {
      verdict = judge(label, expected);
      if (verdicts.size < 10_000) verdicts.set(label, verdict);
    }
    return verdict;
  };

  const judgeEntries = async (entries: Iterable<[string, LabelRead | undefined]>): Promise<void> => {
    const writes: LabelWrite[] = [];
    for (const [path, entry] of entries) {
      if (!entry || entry.kind === 'error') {
        result.errors++;
        continue;
      }
      if (entry.kind === 'absent') {
        result.unlabelled++;
        continue;
      }
      const verdict = classify(entry.label);
      if (verdict.kind === 'match') result.matching++;
      else if (verdict.kind === 'shared') result.shared++;
      else {
        if (verdict.kind === 'malformed') result.malformed++;
        else result.drifted++;
        result.wrongLevels[verdict.seen] = (result.wrongLevels[verdict.seen] ?? 0) + 1;
        sample(path);
        if (verdict.relabelTo !== undefined) writes.push({ path, label: verdict.relabelTo });
      }
    }
    await queueDrift(writes);
  };

  // Fast path: one recursive getfattr when a mount table that knows this volume's mount shows
  // nothing mounted inside it (so a recursive walk cannot cross file systems). Symlinks are not
  // followed (-P); a symlink's own label may be read, never relabelled (writeDrift lstat()s).
  if (labels.scanTree && mount !== undefined && nestedMounts.size === 0) {
    result.walk = 'recursive';
    let complete = false;
    try {
      complete = await labels.scanTree(
        root,
        async (entries) => {
          if (overTime()) {
            result.stoppedEarly = 'time-budget';
            return false;
          }
          const room = options.fileBudget - result.checked;
          const taken = entries.length > room ? entries.slice(0, room) : entries;
          result.checked += taken.length;
          await judgeEntries(taken);
          if (entries.length > room) {
            result.stoppedEarly = 'file-budget';
            return false;
          }
          return true;
        },
        { signal: deadline },
      );
    } catch (error) {
      // The reader died part-way (killed by someone else): what it read whole is judged.
      if (!deadline.aborted) {
        result.errors++;
        result.note = errorMessage(error);
        result.stoppedEarly ??= 'error';
      }
    }
    if (!complete && result.stoppedEarly === undefined && deadline.aborted)
      result.stoppedEarly = 'time-budget';
    await queueDrift([], true);
    return result;
  }

  const processBatch = async (paths: string[], base: string): Promise<void> => {
    let read: Awaited<ReturnType<LabelStore['read']>>;
    try {
      read = await labels.read(paths, { base, signal: deadline });
    } catch (error) {
      if (deadline.aborted) {
        // Given up at the time budget: these paths were not checked.
        result.checked -= paths.length;
        result.stoppedEarly ??= 'time-budget';
        return;
      }
      result.errors += paths.length;
      result.note = errorMessage(error);
      return;
    }
    await judgeEntries(paths.map((path): [string, LabelRead | undefined] => [path, read.get(path)]));
  };

  // A small pipeline: keep walking while up to two batches are being read/written.
  const inflight: Promise<void>[] = [];
  let pending: string[] = [];
  // Paths are read relative to the root: far less path resolution in the kernel.
  const pendingBase = root;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    inflight.push(processBatch(pending, pendingBase));
    pending = [];
    if (inflight.length >= 2) await inflight.shift();
  };
  const take = async (path: string): Promise<boolean> => {
    if (result.checked >= options.fileBudget) {
      result.stoppedEarly = 'file-budget';
      return false;
    }
    result.checked++;
    pending.push(path);
    if (pending.length >= batchSize) {
      await flush();
      if (overTime()) {
        result.stoppedEarly = 'time-budget';
        return false;
      }
    }
    return true;
  };

  result.walk = 'node';
  const stack: string[] = [root];
  let going = await take(root);
  while (going && stack.length > 0) {
    if (overTime()) {
      result.stoppedEarly = 'time-budget';
      break;
    }
    const dir = stack.pop() as string;
    let entries: Dirent[];
    try {
      entries = await untilAborted(readdir(dir, { withFileTypes: true }), deadline);
    } catch {
      if (deadline.aborted) {
        result.stoppedEarly = 'time-budget';
        break;
      }
      result.errors++;
      continue;
    }
    for (const entry of entries) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        result.symlinksSkipped++;
        continue;
      }
      if (entry.isDirectory()) {
        const stat = await untilAborted(lstat(path), deadline).catch(() => undefined);
        if (deadline.aborted) {
          result.stoppedEarly = 'time-budget';
          going = false;
          break;
        }
        if (!stat) {
          result.errors++;
          continue;
        }
        if (stat.dev !== rootDev || nestedMounts.has(path)) {
          result.mountsSkipped.push(path);
          continue;
        }
        stack.push(path);
      }
      going = await take(path);
      if (!going) break;
    }
  }
  await flush();
  await Promise.all(inflight);
  await queueDrift([], true);
  return result;
}
