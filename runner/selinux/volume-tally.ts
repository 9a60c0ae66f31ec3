// Counting what a volume walk read: each label judged against the expected level (each
// distinct label once: a volume holds few), drift sampled and queued for relabelling.

import type { LabelRead } from './LabelStore.ts';
import { judge, type Verdict } from './label-verdict.ts';
import type { MlsLevel } from './mcs.ts';
import type { DriftQueue } from './relabel-drift.ts';
import type { VolumeCheckResult } from './volume-check-types.ts';

/** Labels read for names inside one directory (`.` is the directory itself). */
export interface ReadGroup {
  dir: string;
  names: readonly string[];
  reads: readonly (LabelRead | undefined)[];
}

/** Judges a batch into the result; resolves once its drift is queued. */
export type Tally = (groups: readonly ReadGroup[]) => Promise<void>;

/** The path of `name` in `dir` (built only for what is reported: a batch holds thousands). */
export function pathOf(dir: string, name: string): string {
  if (name === '.') return dir;
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

export function volumeTally(
  result: VolumeCheckResult,
  expected: MlsLevel,
  sampleSize: number,
  queueDrift: DriftQueue,
): Tally {
  const verdicts = new Map<string, Verdict>();
  const classify = (label: string): Verdict => {
    let verdict = verdicts.get(label);
    if (verdict === undefined) {
      verdict = judge(label, expected);
      if (verdicts.size < 10_000) verdicts.set(label, verdict);
    }
    return verdict;
  };
  /** Counts one entry; its verdict when it is wrong (drifted or malformed). */
  const count = (entry: LabelRead | undefined): Verdict | undefined => {
    if (!entry || entry.kind === 'error') {
      result.errors++;
      return undefined;
    }
    if (entry.kind === 'absent') {
      result.unlabelled++;
      return undefined;
    }
    const verdict = classify(entry.label);
    if (verdict.kind === 'match') result.matching++;
    else if (verdict.kind === 'shared') result.shared++;
    else {
      if (verdict.kind === 'malformed') result.malformed++;
      else result.drifted++;
      result.wrongLevels[verdict.seen] = (result.wrongLevels[verdict.seen] ?? 0) + 1;
      return verdict;
    }
    return undefined;
  };
  return async (groups) => {
    const drifted: string[] = [];
    for (const group of groups) {
      for (let i = 0; i < group.names.length; i++) {
        const wrong = count(group.reads[i]);
        if (!wrong) continue;
        const path = pathOf(group.dir, group.names[i] as string);
        if (result.samplePaths.length < sampleSize) result.samplePaths.push(path);
        // Only a reason to look: the relabel reads the file's own label again through a pin.
        if (wrong.kind === 'drift') drifted.push(path);
      }
    }
    await queueDrift(drifted);
  };
}
