// Checks one tenant volume's file labels against the expected MCS level, and (only when
// relabelling is enabled) rewrites the level of the drifted files, keeping user, role and
// type. The walk (walk-pinned.ts) goes through directory handles, never follows a symlink,
// never crosses into another file system, and stops at a file budget or a time budget, saying
// so (the time budget is a timer too, so a walk stuck on a hung mount is abandoned). Labels are
// judged by volume-tally.ts; the drift is rewritten by relabel-drift.ts.
import { type FileHandle, lstat, realpath } from 'node:fs/promises';
import { realTimer, untilAborted } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import { checkSingleContext } from './label-verdict.ts';
import { mountOf, singleContext } from './mountinfo.ts';
import { pinDirectory } from './pinned-dirs.ts';
import { driftWriter } from './relabel-drift.ts';
import { isInside } from './safe-paths.ts';
import { emptyResult, type VolumeCheckOptions, type VolumeCheckResult } from './volume-check-types.ts';
import { volumeTally } from './volume-tally.ts';
import { walkPinned } from './walk-pinned.ts';

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
  const started = clock.now().getTime();
  const result = emptyResult(options.root);
  // Every wait on the file system is bounded by the deadline: on a hard NFS mount whose server
  // is gone even the root's lstat never returns.
  const bounded = <T>(work: Promise<T>): Promise<T> => untilAborted(work, deadline);
  const failed = (error: unknown): VolumeCheckResult =>
    deadline.aborted
      ? { ...result, stoppedEarly: 'time-budget' }
      : { ...result, mode: 'refused', errors: 1, note: errorMessage(error) };

  let root: string;
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
    return failed(error);
  }
  result.root = root;

  const mount = options.mounts ? mountOf(root, options.mounts) : undefined;
  const single = mount ? singleContext(mount) : undefined;
  if (single !== undefined) return checkSingleContext(result, single, options, deadline);

  // The root is pinned like every directory below it: opened without following a symlink and
  // verified to be its real path, so a swap after realpath cannot move the walk elsewhere.
  let pinned: { handle: FileHandle; dev: number } | string;
  try {
    pinned = await pinRoot(root, deadline);
  } catch (error) {
    return failed(error);
  }
  if (typeof pinned === 'string') return { ...result, mode: 'refused', errors: 1, note: pinned };
  const { handle: rootHandle, dev: rootDev } = pinned;

  const queueDrift = driftWriter({
    result,
    labels,
    clock,
    deadline,
    expected,
    rootDev,
    ...(options.relabel ? { relabel: options.relabel } : {}),
  });
  await walkPinned({
    root,
    rootHandle,
    rootDev,
    nestedMounts: new Set((options.mounts ?? []).map((m) => m.mountPoint).filter((mp) => isInside(mp, root))),
    labels,
    result,
    deadline,
    overTime: () => deadline.aborted || clock.now().getTime() - started > options.timeBudgetMs,
    fileBudget: options.fileBudget,
    batchSize: options.batchSize ?? 20_000,
    tally: volumeTally(result, expected, options.sampleSize ?? 10, queueDrift),
  });
  await queueDrift([], true);
  return result;
}

/** The root's handle and st_dev, or why it cannot be walked; rejects at the deadline. */
async function pinRoot(
  root: string,
  deadline: AbortSignal,
): Promise<{ handle: FileHandle; dev: number } | string> {
  const handle = await pinDirectory(root, deadline);
  if (typeof handle === 'string') return handle;
  try {
    return { handle, dev: (await untilAborted(handle.stat(), deadline)).dev };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}
