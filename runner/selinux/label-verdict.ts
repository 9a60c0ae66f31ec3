// How one file label compares with the expected level, and the single-context mount check
// (NFS without labels, `context=` mounts: one label for the whole mount, read at its root).

import type { LabelRead } from './LabelStore.ts';
import { formatLevel, isSharedLevel, levelsEqual, type MlsLevel, parseContext, withLevel } from './mcs.ts';
import type { VolumeCheckOptions, VolumeCheckResult } from './volume-check-types.ts';

export type Verdict =
  | { kind: 'match' }
  | { kind: 'shared' }
  | { kind: 'drift'; seen: string; relabelTo: string }
  | { kind: 'malformed'; seen: string; relabelTo: undefined };

export function judge(label: string, expected: MlsLevel): Verdict {
  let context: ReturnType<typeof parseContext>;
  try {
    context = parseContext(label);
  } catch {
    return { kind: 'malformed', seen: label, relabelTo: undefined };
  }
  if (context.level && levelsEqual(context.level, expected)) return { kind: 'match' };
  if (context.level && isSharedLevel(context.level)) return { kind: 'shared' };
  const seen = context.level ? formatLevel(context.level) : (context.rawLevel ?? '(no level)');
  return { kind: 'drift', seen, relabelTo: withLevel(context, expected) };
}

export async function checkSingleContext(
  result: VolumeCheckResult,
  single: string | true,
  options: VolumeCheckOptions,
  deadline?: AbortSignal,
): Promise<VolumeCheckResult> {
  const out: VolumeCheckResult = { ...result, mode: 'single-context', checked: 1 };
  let label: string;
  if (single === true) {
    let read: LabelRead | undefined;
    try {
      read = (await options.labels.read([result.root], deadline ? { signal: deadline } : {})).get(
        result.root,
      );
    } catch (error) {
      // Given up at the time budget (a hung mount): nothing was checked.
      if (!deadline?.aborted) throw error;
      return { ...result, mode: 'single-context', stoppedEarly: 'time-budget' };
    }
    if (read?.kind !== 'label') {
      return {
        ...out,
        unlabelled: read?.kind === 'absent' ? 1 : 0,
        errors: read?.kind === 'error' ? 1 : 0,
        note: 'mount root has no readable label',
      };
    }
    label = read.label;
  } else {
    label = single;
  }
  out.note = `single-context mount, context ${label}`;
  try {
    const context = parseContext(label, result.root);
    if (context.level && levelsEqual(context.level, options.expected)) out.matching = 1;
    else {
      const seen = context.level ? formatLevel(context.level) : (context.rawLevel ?? '(no level)');
      out.drifted = 1;
      out.wrongLevels[seen] = 1;
      out.samplePaths.push(result.root);
    }
  } catch {
    out.malformed = 1;
    out.wrongLevels[label] = 1;
  }
  return out;
}
