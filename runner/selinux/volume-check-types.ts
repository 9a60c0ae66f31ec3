// The options and result of one volume check (checkVolume), shared by the walk, the tally,
// the relabel and the single-context check.
import type { Timer } from '../../core/abortable.ts';
import type { Clock } from '../../core/clock.ts';
import type { LabelStore } from './LabelStore.ts';
import type { MlsLevel } from './mcs.ts';
import type { MountEntry } from './mountinfo.ts';

export interface VolumeCheckOptions {
  root: string;
  expected: MlsLevel;
  labels: LabelStore;
  clock: Clock;
  fileBudget: number;
  /**
   * Wall time for the volume, enforced by a timer as well as between batches: a walk stuck on
   * a hung mount is abandoned (its getfattr killed) and reported as stopped at the time budget.
   */
  timeBudgetMs: number;
  /** The timer behind timeBudgetMs (default: setTimeout); tests fire it by hand. */
  timer?: Timer;
  /** The node's mounts, to spot single-context mounts; omit to treat every volume per file. */
  mounts?: readonly MountEntry[];
  /** Set only when relabelling is enabled: the roots writes must stay inside. */
  relabel?: { roots: readonly string[] };
  /** Names per getfattr process (default 20,000; fewer when the names are long). */
  batchSize?: number;
  sampleSize?: number;
}

export interface VolumeCheckResult {
  root: string;
  /** refused: the root is a symlink or unreadable; skipped: not a directory (a file mount). */
  mode: 'per-file' | 'single-context' | 'refused' | 'skipped';
  checked: number;
  matching: number;
  /** Plain `s0`: the shared level container_t may also write (`:z` volumes). */
  shared: number;
  unlabelled: number;
  drifted: number;
  /** Labels that do not parse as user:role:type:level. */
  malformed: number;
  errors: number;
  /** Symlinks not followed, including directories swapped for a symlink during the walk. */
  symlinksSkipped: number;
  /** Directories on another file system, not entered. */
  mountsSkipped: string[];
  /** Wrong level (or raw label) -> number of files. */
  wrongLevels: Record<string, number>;
  samplePaths: string[];
  /** Why the walk did not finish: a budget. */
  stoppedEarly?: 'file-budget' | 'time-budget';
  relabelled: number;
  relabelFailed: number;
  /** Not written: outside the roots, a symlink now, on another file system, or no longer drifted. */
  relabelRefused: number;
  /**
   * Time spent fixing (re-checking each drifted path, then writing its label), in ms of the
   * injected clock: the cost `--relabel` adds to the check. 0 when relabelling is off.
   */
  relabelMs: number;
  /** For single-context mounts: the context found; for refused roots: why. */
  note?: string;
}

export function emptyResult(root: string): VolumeCheckResult {
  return {
    root,
    mode: 'per-file',
    checked: 0,
    matching: 0,
    shared: 0,
    unlabelled: 0,
    drifted: 0,
    malformed: 0,
    errors: 0,
    symlinksSkipped: 0,
    mountsSkipped: [],
    wrongLevels: {},
    samplePaths: [],
    relabelled: 0,
    relabelFailed: 0,
    relabelRefused: 0,
    relabelMs: 0,
  };
}
