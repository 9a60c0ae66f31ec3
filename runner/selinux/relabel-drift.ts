// Relabelling the drift a volume check found (only when relabelling is enabled): drifted files
// are fixed in groups, one group at a time (so relabelMs adds up periods that do not overlap).
// Each path is checked to lie inside the configured roots; the store then pins the file (its
// directory verified to be the walked one, the file itself not a symlink, on the volume's file
// system) and computes the label from that file's own label as read through the pin: what the
// walk read is only the reason to look, never the source of user, role and type. Every wait
// gives up at the volume's deadline, and nothing is written after it.
import { realpath } from 'node:fs/promises';
import { untilAborted } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import type { LabelStore } from './LabelStore.ts';
import { judge } from './label-verdict.ts';
import type { MlsLevel } from './mcs.ts';
import { refusalReason } from './safe-paths.ts';
import type { VolumeCheckResult } from './volume-check-types.ts';

/** Drifted paths found so far; `final` fixes what is still queued. */
export type DriftQueue = (paths: string[], final?: boolean) => Promise<void>;

export interface DriftWriterContext {
  /** Updated in place: relabelled, relabelFailed, relabelRefused, relabelMs, stoppedEarly, note. */
  result: VolumeCheckResult;
  labels: LabelStore;
  clock: Clock;
  deadline: AbortSignal;
  expected: MlsLevel;
  /** st_dev of the volume root: a file on another file system is never written. */
  rootDev: number;
  /** Absent when relabelling is off: the queue then drops everything. */
  relabel?: { roots: readonly string[] };
}

/** The label to write over `current`: its own user, role and type at `expected`, if it drifted. */
export function relabelledFrom(current: string, expected: MlsLevel): string | undefined {
  const verdict = judge(current, expected);
  return verdict.kind === 'drift' ? verdict.relabelTo : undefined;
}

export function driftWriter(ctx: DriftWriterContext): DriftQueue {
  const { result, labels, clock, deadline } = ctx;
  let realRoots: string[] | undefined;
  let queued: string[] = [];
  let writing: Promise<void> = Promise.resolve();

  const fix = async (paths: string[]): Promise<void> => {
    const relabel = ctx.relabel;
    // Past the deadline nothing new is written: the files stay reported as drifted.
    if (!relabel || paths.length === 0) return;
    if (deadline.aborted) {
      result.stoppedEarly ??= 'time-budget';
      return;
    }
    const fixStarted = clock.now().getTime();
    // Files handed to the store: once it runs, a deadline may leave some of them written.
    let handedOver = 0;
    try {
      // The walk uses the root's real path, so compare with the roots' real paths too (a node
      // may have /var/lib/kubelet as a symlink to another disk).
      realRoots ??= await untilAborted(
        Promise.all(relabel.roots.map((r) => realpath(r).catch(() => r))),
        deadline,
      );
      const roots = realRoots;
      const allowed = paths.filter((path) => refusalReason(path, roots) === undefined);
      result.relabelRefused += paths.length - allowed.length;
      // The checks above may have run into the deadline: then this group is not written at all.
      if (deadline.aborted) throw deadline.reason;
      handedOver = allowed.length;
      const done = await untilAborted(
        labels.relabel({
          paths: allowed,
          decide: (current) => relabelledFrom(current, ctx.expected),
          dev: ctx.rootDev,
          signal: deadline,
        }),
        deadline,
      );
      result.relabelled += done.written;
      result.relabelFailed += done.failed.length;
      result.relabelRefused += done.refused.length;
    } catch (error) {
      if (!deadline.aborted) throw error;
      result.stoppedEarly ??= 'time-budget';
      // Given up while setfattr ran (it is killed): some of the group may be written.
      if (handedOver > 0) {
        result.relabelFailed += handedOver;
        result.note = `relabelling stopped at the time budget; up to ${handedOver} of the files counted as failed may have been written`;
      }
    } finally {
      result.relabelMs += clock.now().getTime() - fixStarted;
    }
  };

  return async (paths, final = false) => {
    if (!ctx.relabel) return;
    queued.push(...paths);
    if (queued.length >= 2000 || (final && queued.length > 0)) {
      const group = queued;
      queued = [];
      writing = writing.then(() => fix(group));
      await writing;
    }
  };
}
