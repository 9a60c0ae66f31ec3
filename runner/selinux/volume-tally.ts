// Counting what a volume walk read: each label judged against the expected level (each
// distinct label once: a volume holds few), drift sampled and queued for relabelling.

import type { LabelRead } from './LabelStore.ts';
import { judge, type Verdict } from './label-verdict.ts';
import type { MlsLevel } from './mcs.ts';
import type { DriftQueue } from './relabel-drift.ts';
import type { VolumeCheckResult } from './volume-check-types.ts';

/** Judges a batch of (path, label read) into the result; resolves once its drift is queued. */
export type Tally = (entries: readonly [string, LabelRead | undefined][]) => Promise<void>;

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
  return async (entries) => {
    const drifted: string[] = [];
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
        if (result.samplePaths.length < sampleSize) result.samplePaths.push(path);
        // Only a reason to look: the relabel reads the file's own label again through a pin.
        if (verdict.relabelTo !== undefined) drifted.push(path);
      }
    }
    await queueDrift(drifted);
  };
}
