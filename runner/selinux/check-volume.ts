// Checks one tenant volume's file labels against the expected MCS level, and (only when
// relabelling is enabled) rewrites the level of the drifted files, keeping user, role and
// type. The walk never follows a symlink, never crosses into another file system, and stops
// at a file budget or a time budget, saying so (the time budget is a timer too, so a walk
// stuck on a hung mount is abandoned). Labels are read and written in batches through the
// LabelStore port.
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { realTimer, untilAborted } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import type { LabelRead, LabelStore, LabelWrite } from './LabelStore.ts';
import { checkSingleContext, judge, type Verdict } from './label-verdict.ts';
import { mountOf, singleContext } from './mountinfo.ts';
import { isInside, refusalReason } from './safe-paths.ts';
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
  const parentOk = new Map<string, boolean>();
  let realRoots: string[] | undefined;
  const sample = (path: string): void => {
    if (result.samplePaths.length < sampleSize) result.samplePaths.push(path);
  };

  // Drifted files are written in groups, one group at a time (so relabelMs adds up periods that
  // do not overlap): one setfattr per group, each path re-checked first.
  let queued: LabelWrite[] = [];
  let writing: Promise<void> = Promise.resolve();
  const queueDrift = async (writes: LabelWrite[], final = false): Promise<void> => {
    if (!options.relabel) return;
    queued.push(...writes);
    if (queued.length >= 2000 || (final && queued.length > 0)) {
      const group = queued;
      queued = [];
      writing = writing.then(() => writeDrift(group));
      await writing;
    }
  };
  const writeDrift = async (writes: LabelWrite[]): Promise<void> => {
    const relabel = options.relabel;
    // Past the deadline nothing new is written: the files stay reported as drifted.
    if (!relabel || writes.length === 0) return;
    if (deadline.aborted) {
      result.stoppedEarly ??= 'time-budget';
      return;
    }
    const fixStarted = clock.now().getTime();
    // The walk uses the root's real path, so compare with the roots' real paths too (a node
    // may have /var/lib/kubelet as a symlink to another disk).
    try {
      realRoots ??= await bounded(Promise.all(relabel.roots.map((r) => realpath(r).catch(() => r))));
      const roots = realRoots;
      const allowed: LabelWrite[] = [];
      let refused = 0;
      for (const write of writes) {
        const dir = dirname(write.path);
        let ok = parentOk.get(dir);
        if (ok === undefined) {
          // The directory as the kernel resolves it must be the one we walked: a tenant may have
          // swapped a directory for a symlink since.
          ok =
            refusalReason(write.path, roots) === undefined &&
            (await bounded(realpath(dir).catch(() => ''))) === dir;
          parentOk.set(dir, ok);
        }
        const stat = ok ? await bounded(lstat(write.path).catch(() => undefined)) : undefined;
        if (!ok || !stat || stat.isSymbolicLink() || stat.dev !== rootDev) refused++;
        else allowed.push(write);
      }
      result.relabelRefused += refused;
      // The checks above may have run into the deadline: then this group is not written at all.
      if (deadline.aborted) throw deadline.reason;
      try {
        const written = await bounded(labels.write(allowed, { signal: deadline }));
        result.relabelled += written.written;
        result.relabelFailed += written.failed.length;
      } catch (error) {
        // Given up while setfattr ran (it is killed): some of the group may be written.
        if (!deadline.aborted) throw error;
        result.relabelFailed += allowed.length;
        result.stoppedEarly ??= 'time-budget';
        result.note = `relabelling stopped at the time budget; up to ${allowed.length} of the files counted as failed may have been written`;
      }
    } catch (error) {
      if (!deadline.aborted) throw error;
      result.stoppedEarly ??= 'time-budget';
    } finally {
      result.relabelMs += clock.now().getTime() - fixStarted;
    }
  };

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
