// Step: make every desired image present in the node's image store, pulling only what is
// missing or stale. Per registry one /v2/ ping (an unreachable registry skips only its own
// images); a digest-pinned image already present needs no network; a tag costs one HEAD and
// is pulled only when the local RepoDigests lack the registry's digest. Pulls run in priority
// order with bounded concurrency; a free-space floor and the run's signal stop new pulls.

import { mapBounded } from '../core/concurrency.ts';
import { AuthError, errorMessage, NotFoundError, type UpstreamError } from '../core/errors.ts';
import type { ImageReference } from '../core/image-reference.ts';
import type { Logger } from '../core/logger.ts';
import type { RegistryCredentials } from '../core/registry/credentials.ts';
import type { DesiredImage } from './desired/desired-set.ts';
import { pullWithRetry } from './pull-image.ts';
import type { ImageRuntime } from './runtime/ImageRuntime.ts';
import { indexLocalImages, type PlanStep, planPinned, planTag } from './seed-plan.ts';

/** The part of core/registry's RegistryClient the seed needs. */
export interface DigestResolver {
  ping(domain: string): Promise<{ ok: true } | { ok: false; error: UpstreamError }>;
  resolveDigest(ref: ImageReference): Promise<string>;
}

export interface SeedPorts {
  runtime: ImageRuntime;
  /** The registry client holding the credentials that may authenticate this image. */
  resolverFor(image: DesiredImage): DigestResolver;
  credentialsFor(image: DesiredImage): RegistryCredentials | undefined;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Milliseconds for durations; injected by tests. */
  now?: () => number;
}

export interface SeedOptions {
  concurrency: number;
  /** HEAD requests in flight at once. */
  checkConcurrency?: number;
  pullTimeoutMs: number;
  retries: number;
  minFreeBytes: number;
  imageStorePath: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type SkipReason = 'registry-unreachable' | 'low-disk' | 'aborted';
export type SeedOutcome = 'present' | 'pulled' | 'planned' | 'skipped' | 'failed';

export interface SeedImageResult {
  reference: string;
  /** Why the image is desired: `warm list`, `Deployment shop/web`, ... */
  wantedBy?: string[];
  outcome: SeedOutcome;
  why?: string;
  skipReason?: SkipReason;
  digest?: string;
  bytes?: number;
  attempts?: number;
  error?: string;
  errorKind?: string;
  durationMs?: number;
}

export interface SeedResult {
  images: SeedImageResult[];
  counts: {
    desired: number;
    present: number;
    pulled: number;
    planned: number;
    failed: number;
    skipped: Record<SkipReason, number>;
  };
  bytes: number;
  unreachableRegistries: { registry: string; error: string }[];
  lowDisk: { freeBytes: number; minFreeBytes: number } | undefined;
}

export async function seedImages(
  images: readonly DesiredImage[],
  ports: SeedPorts,
  options: SeedOptions,
): Promise<SeedResult> {
  const { runtime, logger } = ports;
  const now = ports.now ?? Date.now;
  const results = new Map<string, SeedImageResult>();
  const set = (result: SeedImageResult) => results.set(result.reference, result);
  const index = indexLocalImages(await runtime.listImages());

  const needsNetwork: DesiredImage[] = [];
  for (const image of images) {
    if (image.ref.digest !== undefined && planPinned(image.ref, index).action === 'present') {
      set({
        reference: image.reference,
        outcome: 'present',
        digest: image.ref.digest,
        why: 'digest-pinned and present locally',
      });
    } else {
      needsNetwork.push(image);
    }
  }

  // one ping per registry, with the client of the first image from it
  const byDomain = new Map<string, DesiredImage[]>();
  for (const image of needsNetwork)
    byDomain.set(image.ref.domain, [...(byDomain.get(image.ref.domain) ?? []), image]);
  const domains = [...byDomain.keys()];
  const pings = await mapBounded(domains, options.checkConcurrency ?? 8, (domain) =>
    ports.resolverFor((byDomain.get(domain) ?? [])[0] as DesiredImage).ping(domain),
  );
  const unreachableRegistries: SeedResult['unreachableRegistries'] = [];
  const reachable: DesiredImage[] = [];
  domains.forEach((domain, i) => {
    const ping = pings[i];
    const domainImages = byDomain.get(domain) ?? [];
    const failure = !ping?.ok
      ? errorMessage(ping?.error)
      : !ping.value.ok
        ? ping.value.error.message
        : undefined;
    if (failure === undefined) {
      reachable.push(...domainImages);
      return;
    }
    unreachableRegistries.push({ registry: domain, error: failure });
    logger.warn(
      { registry: domain, images: domainImages.length, err: failure },
      'registry unreachable; skipping its images',
    );
    for (const image of domainImages) {
      set({
        reference: image.reference,
        outcome: 'skipped',
        skipReason: 'registry-unreachable',
        why: failure,
      });
    }
  });

  // tags: one HEAD each; digest-pinned ones need none
  const plans = await mapBounded(
    reachable,
    options.checkConcurrency ?? 8,
    async (image): Promise<PlanStep> => {
      if (image.ref.digest !== undefined) return planPinned(image.ref, index);
      const digest = await ports.resolverFor(image).resolveDigest(image.ref);
      return planTag(image.ref, digest, index);
    },
  );
  const toPull: { image: DesiredImage; plan: Extract<PlanStep, { action: 'pull' }> }[] = [];
  reachable.forEach((image, i) => {
    const settled = plans[i];
    if (!settled?.ok) {
      const error = settled?.error;
      logger.warn({ image: image.reference, err: errorMessage(error) }, 'could not resolve the image digest');
      set({
        reference: image.reference,
        outcome: 'failed',
        error: errorMessage(error),
        errorKind: kindOf(error),
        why: 'digest check failed',
      });
    } else if (settled.value.action === 'present') {
      set({
        reference: image.reference,
        outcome: 'present',
        digest: settled.value.digest,
        why: settled.value.why,
      });
    } else {
      toPull.push({ image, plan: settled.value });
    }
  });

  // pulls, in the priority order of `images`
  let lowDisk: SeedResult['lowDisk'];
  let spaceCheck: 'ok' | 'unavailable' = 'ok';
  await mapBounded(toPull, options.concurrency, async ({ image, plan }) => {
    const base = {
      reference: image.reference,
      why: plan.why,
      ...(plan.digest ? { digest: plan.digest } : {}),
    };
    if (options.dryRun) return set({ ...base, outcome: 'planned' });
    if (options.signal?.aborted) return set({ ...base, outcome: 'skipped', skipReason: 'aborted' });
    if (!lowDisk && spaceCheck !== 'unavailable') {
      const space = await runtime.fileSystemSpace(options.imageStorePath).catch((error: unknown) => {
        // the floor cannot be enforced; say so once and keep pulling
        if (spaceCheck !== 'unavailable') {
          logger.warn(
            { path: options.imageStorePath, err: errorMessage(error) },
            'cannot read free space; floor not enforced',
          );
        }
        spaceCheck = 'unavailable';
        return undefined;
      });
      if (space && space.freeBytes < options.minFreeBytes) {
        lowDisk = { freeBytes: space.freeBytes, minFreeBytes: options.minFreeBytes };
        logger.warn(
          { ...lowDisk, path: options.imageStorePath },
          'free space below the floor; starting no more pulls',
        );
      }
    }
    if (lowDisk) return set({ ...base, outcome: 'skipped', skipReason: 'low-disk' });
    const started = now();
    try {
      const outcome = await pullWithRetry(runtime, plan.pullReference, {
        credentials: ports.credentialsFor(image),
        timeoutMs: options.pullTimeoutMs,
        retries: options.retries,
        logger,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(ports.sleep ? { sleep: ports.sleep } : {}),
        ...(ports.random ? { random: ports.random } : {}),
      });
      logger.info({ image: image.reference, bytes: outcome.bytes, why: plan.why }, 'pulled');
      set({
        ...base,
        outcome: 'pulled',
        bytes: outcome.bytes,
        attempts: outcome.attempts,
        durationMs: now() - started,
      });
    } catch (error) {
      if (options.signal?.aborted) return set({ ...base, outcome: 'skipped', skipReason: 'aborted' });
      logger.error({ image: image.reference, err: errorMessage(error) }, 'pull failed');
      set({
        ...base,
        outcome: 'failed',
        error: errorMessage(error),
        errorKind: kindOf(error),
        durationMs: now() - started,
      });
    }
  });

  const ordered = images.map(
    (image): SeedImageResult => ({
      // every path above records a result; this guards the report against a bug leaving a hole
      ...(results.get(image.reference) ?? {
        reference: image.reference,
        outcome: 'failed',
        error: 'no result recorded (internal error)',
      }),
      wantedBy: image.reasons,
    }),
  );
  return {
    images: ordered,
    counts: countOutcomes(ordered),
    bytes: sum(ordered.map((r) => r.bytes ?? 0)),
    unreachableRegistries,
    lowDisk,
  };
}

function kindOf(error: unknown): string {
  if (error instanceof AuthError) return 'auth';
  if (error instanceof NotFoundError) return 'not-found';
  return error instanceof Error ? error.name : 'unknown';
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function countOutcomes(results: readonly SeedImageResult[]): SeedResult['counts'] {
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
