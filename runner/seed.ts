// Step: make every desired image present in the node's image store, pulling only what is
// missing or stale. Per registry one /v2/ ping (an unreachable registry skips only its own
// images); a digest-pinned image already present needs no network; a tag costs one HEAD and
// is pulled only when the local RepoDigests lack the registry's digest. Pulls run in priority
// order with bounded concurrency; a free-space floor and the run's signal stop new pulls.
// A dry run plans the same way, or, unless asked to check the registry, from the local store
// alone (and without a runtime, with presence unknown).
import type { DesiredImage } from './desired/desired-set.ts';
import { checkDigests, planOffline, presentPinned } from './seed-check.ts';
import { countOutcomes, orderedResults, totalBytes } from './seed-outcomes.ts';
import { indexLocalImages } from './seed-plan.ts';
import { pullAll } from './seed-pull.ts';
import { pingRegistries } from './seed-registries.ts';
import type { SeedImageResult, SeedOptions, SeedPorts, SeedResult } from './seed-types.ts';

export type {
  DigestResolver,
  SeedImageResult,
  SeedOptions,
  SeedOutcome,
  SeedPorts,
  SeedResult,
  SkipReason,
} from './seed-types.ts';

export async function seedImages(
  images: readonly DesiredImage[],
  ports: SeedPorts,
  options: SeedOptions,
): Promise<SeedResult> {
  const results = new Map<string, SeedImageResult>();
  const record = (result: SeedImageResult) => results.set(result.reference, result);
  const finish = (
    unreachableRegistries: SeedResult['unreachableRegistries'],
    lowDisk: SeedResult['lowDisk'],
  ) => {
    const ordered = orderedResults(images, results);
    return {
      images: ordered,
      counts: countOutcomes(ordered),
      bytes: totalBytes(ordered),
      unreachableRegistries,
      lowDisk,
    };
  };

  const offline = options.dryRun === true && options.checkRegistry === false;
  if (options.dryRun && options.runtimeUnavailable !== undefined) {
    planOffline(images, undefined, options.runtimeUnavailable, record);
    return finish([], undefined);
  }
  const index = indexLocalImages(await ports.runtime.listImages());
  if (offline) {
    planOffline(images, index, undefined, record);
    return finish([], undefined);
  }

  const checkConcurrency = options.checkConcurrency ?? 8;
  const needsNetwork = presentPinned(images, index, record);
  const { reachable, unreachable } = await pingRegistries(needsNetwork, ports, checkConcurrency, record);
  const toPull = await checkDigests(reachable, index, ports, checkConcurrency, record);
  const lowDisk = await pullAll(toPull, ports, options, record);
  return finish(unreachable, lowDisk);
}
