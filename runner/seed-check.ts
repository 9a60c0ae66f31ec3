// Seed phase: what each image needs. A digest-pinned image is answered from the local store
// alone; a tag costs one HEAD and is pulled only when the local RepoDigests lack the
// registry's digest. Without a registry (a dry run not asked to check) a local tag counts as
// present and its freshness is unknown.
import { mapBounded } from '../core/concurrency.ts';
import { errorMessage } from '../core/errors.ts';
import type { DesiredImage } from './desired/desired-set.ts';
import { errorKindOf } from './seed-outcomes.ts';
import { type LocalIndex, type PlanStep, planPinned, planTag } from './seed-plan.ts';
import type { RecordResult, SeedPorts } from './seed-types.ts';

export type PullStep = { image: DesiredImage; plan: Extract<PlanStep, { action: 'pull' }> };

/** Digest-pinned images present locally are recorded; the rest need the network. */
export function presentPinned(
  images: readonly DesiredImage[],
  index: LocalIndex,
  record: RecordResult,
): DesiredImage[] {
  const needsNetwork: DesiredImage[] = [];
  for (const image of images) {
    if (image.ref.digest !== undefined && planPinned(image.ref, index).action === 'present') {
      record({
        reference: image.reference,
        outcome: 'present',
        digest: image.ref.digest,
        why: 'digest-pinned and present locally',
      });
    } else {
      needsNetwork.push(image);
    }
  }
  return needsNetwork;
}

/** One HEAD per tag; records present and failed images and returns the pulls to make. */
export async function checkDigests(
  images: readonly DesiredImage[],
  index: LocalIndex,
  ports: Pick<SeedPorts, 'resolverFor' | 'logger'>,
  checkConcurrency: number,
  record: RecordResult,
): Promise<PullStep[]> {
  const plans = await mapBounded(images, checkConcurrency, async (image): Promise<PlanStep> => {
    if (image.ref.digest !== undefined) return planPinned(image.ref, index);
    const digest = await ports.resolverFor(image).resolveDigest(image.ref);
    return planTag(image.ref, digest, index);
  });
  const toPull: PullStep[] = [];
  images.forEach((image, i) => {
    const settled = plans[i];
    if (!settled?.ok) {
      const error = settled?.error;
      ports.logger.warn(
        { image: image.reference, err: errorMessage(error) },
        'could not resolve the image digest',
      );
      record({
        reference: image.reference,
        outcome: 'failed',
        error: errorMessage(error),
        errorKind: errorKindOf(error),
        why: 'digest check failed',
      });
    } else if (settled.value.action === 'present') {
      record({
        reference: image.reference,
        outcome: 'present',
        digest: settled.value.digest,
        why: settled.value.why,
      });
    } else {
      toPull.push({ image, plan: settled.value });
    }
  });
  return toPull;
}

/**
 * A dry run's plan without a registry: from the local store when the runtime answered
 * (`index`), else every image's presence is unknown.
 */
export function planOffline(
  images: readonly DesiredImage[],
  index: LocalIndex | undefined,
  runtimeProblem: string | undefined,
  record: RecordResult,
): void {
  for (const image of images) {
    const base = { reference: image.reference, ...(image.ref.digest ? { digest: image.ref.digest } : {}) };
    if (!index) {
      record({
        ...base,
        outcome: 'planned',
        presence: 'unknown',
        why: `presence unknown: ${runtimeProblem ?? 'the runtime did not answer'}`,
      });
      continue;
    }
    const present =
      image.ref.digest !== undefined
        ? planPinned(image.ref, index).action === 'present'
        : index.tags.has(`${image.ref.name}:${image.ref.tag ?? 'latest'}`);
    record(
      present
        ? {
            ...base,
            outcome: 'present',
            presence: 'present',
            why:
              image.ref.digest !== undefined
                ? 'digest-pinned and present locally'
                : 'tag present locally (registry not checked)',
          }
        : { ...base, outcome: 'planned', presence: 'absent', why: 'not present locally' },
    );
  }
}
