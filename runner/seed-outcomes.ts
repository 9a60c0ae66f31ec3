// The seed's per-image results put in the order of the desired set, counted and summed.
import { AuthError, NotFoundError } from '../core/errors.ts';
import type { DesiredImage } from './desired/desired-set.ts';
import type { SeedImageResult, SeedResult } from './seed-types.ts';

export function errorKindOf(error: unknown): string {
  if (error instanceof AuthError) return 'auth';
  if (error instanceof NotFoundError) return 'not-found';
  return error instanceof Error ? error.name : 'unknown';
}

export function orderedResults(
  images: readonly DesiredImage[],
  results: ReadonlyMap<string, SeedImageResult>,
): SeedImageResult[] {
  return images.map(
    (image): SeedImageResult => ({
      // every phase records a result; this guards the report against a bug leaving a hole
      ...(results.get(image.reference) ?? {
        reference: image.reference,
        outcome: 'failed',
        error: 'no result recorded (internal error)',
      }),
      wantedBy: image.reasons,
    }),
  );
}

export function countOutcomes(results: readonly SeedImageResult[]): SeedResult['counts'] {
  const counts: SeedResult['counts'] = {
    desired: results.length,
    present: 0,
    pulled: 0,
    planned: 0,
    failed: 0,
    skipped: { 'registry-unreachable': 0, 'low-disk': 0, aborted: 0 },
  };
  for (const result of results) {
    if (result.outcome === 'skipped' && result.skipReason) counts.skipped[result.skipReason] += 1;
    else if (result.outcome !== 'skipped') counts[result.outcome] += 1;
  }
  return counts;
}

export function totalBytes(results: readonly SeedImageResult[]): number {
  return results.reduce((total, result) => total + (result.bytes ?? 0), 0);
}
