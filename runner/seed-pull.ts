// Seed phase: the pulls, in the priority order of the desired set with bounded concurrency.
// A free-space floor (the image store's space as the runtime reports it) and the run's signal
// stop new pulls; the manifest's layer sizes give the bytes each pull downloaded.
import { mapBounded } from '../core/concurrency.ts';
import { errorMessage } from '../core/errors.ts';
import { pullWithRetry } from './pull-image.ts';
import type { ManifestLayer } from './runtime/ImageRuntime.ts';
import type { PullStep } from './seed-check.ts';
import { errorKindOf } from './seed-outcomes.ts';
import type { RecordResult, SeedOptions, SeedPorts, SeedResult } from './seed-types.ts';

/** Watches the floor: the first reading under it stops every later pull. */
class SpaceFloor {
  lowDisk: SeedResult['lowDisk'];
  #unavailable = false;

  constructor(
    private readonly ports: Pick<SeedPorts, 'runtime' | 'logger'>,
    private readonly minFreeBytes: number,
  ) {}

  async allowsPull(): Promise<boolean> {
    if (this.lowDisk) return false;
    if (this.#unavailable) return true;
    const space = await this.ports.runtime.imageStoreSpace().catch((error: unknown) => {
      // the floor cannot be enforced; say so once and keep pulling
      if (!this.#unavailable) {
        this.ports.logger.warn({ err: errorMessage(error) }, 'cannot read free space; floor not enforced');
      }
      this.#unavailable = true;
      return undefined;
    });
    if (space && space.freeBytes < this.minFreeBytes) {
      this.lowDisk = { freeBytes: space.freeBytes, minFreeBytes: this.minFreeBytes };
      this.ports.logger.warn(this.lowDisk, 'free space below the floor; starting no more pulls');
    }
    return !this.lowDisk;
  }
}

/** The layers of the platform manifest about to be pulled, or undefined when unknown. */
async function layersOf(step: PullStep, ports: SeedPorts): Promise<readonly ManifestLayer[] | undefined> {
  const resolver = ports.resolverFor(step.image);
  if (!resolver.resolvePlatformManifest || !step.plan.digest) return undefined;
  try {
    const { manifest } = await resolver.resolvePlatformManifest({
      ...step.image.ref,
      tag: undefined,
      digest: step.plan.digest,
    });
    return manifest.layers;
  } catch (error) {
    ports.logger.debug(
      { image: step.image.reference, err: errorMessage(error) },
      'no layer sizes for the pull',
    );
    return undefined;
  }
}

export async function pullAll(
  steps: readonly PullStep[],
  ports: SeedPorts,
  options: SeedOptions,
  record: RecordResult,
): Promise<SeedResult['lowDisk']> {
  const { runtime, logger } = ports;
  const now = ports.now ?? Date.now;
  const floor = new SpaceFloor(ports, options.minFreeBytes);
  await mapBounded(steps, options.concurrency, async (step) => {
    const { image, plan } = step;
    const base = {
      reference: image.reference,
      why: plan.why,
      ...(plan.digest ? { digest: plan.digest } : {}),
    };
    if (options.dryRun) return record({ ...base, outcome: 'planned', presence: 'absent' });
    if (options.signal?.aborted) return record({ ...base, outcome: 'skipped', skipReason: 'aborted' });
    if (!(await floor.allowsPull())) return record({ ...base, outcome: 'skipped', skipReason: 'low-disk' });
    const started = now();
    try {
      const layers = await layersOf(step, ports);
      const outcome = await pullWithRetry(runtime, plan.pullReference, {
        credentials: ports.credentialsFor(image),
        timeoutMs: options.pullTimeoutMs,
        retries: options.retries,
        logger,
        ...(layers ? { layers } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(ports.sleep ? { sleep: ports.sleep } : {}),
        ...(ports.random ? { random: ports.random } : {}),
      });
      logger.info({ image: image.reference, bytes: outcome.bytes, why: plan.why }, 'pulled');
      record({
        ...base,
        outcome: 'pulled',
        bytes: outcome.bytes,
        attempts: outcome.attempts,
        durationMs: now() - started,
      });
    } catch (error) {
      if (options.signal?.aborted) return record({ ...base, outcome: 'skipped', skipReason: 'aborted' });
      logger.error({ image: image.reference, err: errorMessage(error) }, 'pull failed');
      record({
        ...base,
        outcome: 'failed',
        error: errorMessage(error),
        errorKind: errorKindOf(error),
        durationMs: now() - started,
      });
    }
  });
  return floor.lowDisk;
}
