// Relabelling the drift a volume check found (only when relabelling is enabled): drifted files
// are written in groups, one group at a time (so relabelMs adds up periods that do not
// overlap), one setfattr per group. Each path is re-checked first: inside the configured roots,
// its directory still the one walked (a tenant may have swapped it for a symlink), not a
// symlink itself, on the volume's file system. Every wait gives up at the volume's deadline,
// and nothing is written after it.
import { lstat, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { untilAborted } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import type { LabelStore, LabelWrite } from './LabelStore.ts';
import { refusalReason } from './safe-paths.ts';
import type { VolumeCheckResult } from './volume-check-types.ts';

/** Drifted paths found so far; `final` writes what is still queued. */
export type DriftQueue = (writes: LabelWrite[], final?: boolean) => Promise<void>;

export interface DriftWriterContext {
  /** Updated in place: relabelled, relabelFailed, relabelRefused, relabelMs, stoppedEarly, note. */
  result: VolumeCheckResult;
  labels: LabelStore;
  clock: Clock;
  deadline: AbortSignal;
  /** st_dev of the volume root: a path on another file system is never written. */
  rootDev: number;
  /** Absent when relabelling is off: the queue then drops everything. */
  relabel?: { roots: readonly string[] };
}

export function driftWriter(ctx: DriftWriterContext): DriftQueue {
  const { result, labels, clock, deadline, rootDev } = ctx;
  const bounded = <T>(work: Promise<T>): Promise<T> => untilAborted(work, deadline);
  const parentOk = new Map<string, boolean>();
  let realRoots: string[] | undefined;
  let queued: LabelWrite[] = [];
  let writing: Promise<void> = Promise.resolve();

  const writeDrift = async (writes: LabelWrite[]): Promise<void> => {
    const relabel = ctx.relabel;
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

  return async (writes, final = false) => {
    if (!ctx.relabel) return;
    queued.push(...writes);
    if (queued.length >= 2000 || (final && queued.length > 0)) {
      const group = queued;
      queued = [];
      writing = writing.then(() => writeDrift(group));
      await writing;
    }
  };
}
