// The prune step against a real private containerd through the CRI: images pulled by the CRI
// from a real registry, node state saying which the runner manages, retention with an
// injected clock, and the watermarks driven by ImageFsInfo's used bytes measured against the
// node's capacity (what the runner sees on a CRI node, where the image filesystem is not
// mounted into its pod).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../core/clock.ts';
import { NotFoundError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { type PruneOptions, pruneImages } from '../../runner/prune/prune.ts';
import { CriImageRuntime } from '../../runner/runtime/CriImageRuntime.ts';
import type { ImageState } from '../../runner/state.ts';
import { type Containerd, ctr, startContainerd } from '../support/containerd.ts';
import { pushImage, randomFile } from '../support/images.ts';
import { waitUntil } from '../support/ports.ts';
import { pruneOptions } from '../support/prune-options.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const MB = 1024 * 1024;
const clock = new ManualClock('2026-03-10T12:00:00Z');
const ago = (h: number) => new Date(clock.now().getTime() - h * HOUR_MS).toISOString();

let daemon: Containerd;
let registry: TestRegistry;
let cri: CriImageRuntime;
/** Each test pulls its own images (a new tag with new content): see beforeEach. */
let generation = 0;
const ref = (name: string) => `${registry.host}/team/${name}:${generation}`;
const NAMES = ['old', 'older', 'recent', 'unmanaged'];

function options(
  stateImages: Record<string, ImageState>,
  overrides: Partial<PruneOptions> = {},
): PruneOptions {
  return pruneOptions(stateImages, {
    lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 },
    ...overrides,
  });
}

async function tags(): Promise<string[]> {
  return (await cri.listImages()).flatMap((image) => image.repoTags).sort();
}

/**
 * ImageFsInfo's used bytes once containerd's stats collector has counted the four pulled
 * images and no longer counts the snapshots beforeEach removed (collected asynchronously).
 */
async function settledUse(runtime: CriImageRuntime, atLeast: number, below = atLeast + MB): Promise<number> {
  let used = 0;
  await waitUntil(
    () => `ImageFsInfo to count the pulled images (${atLeast} <= used < ${below}; last read ${used})`,
    async () => {
      used = (await runtime.imageStoreSpace()).imageBytes ?? 0;
      return used >= atLeast && used < below;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  return used;
}

beforeAll(async () => {
  [daemon, registry] = await Promise.all([startContainerd(), startRegistry({ auth: 'none' })]);
  daemon.addPlainHttpRegistry(registry.host);
  cri = new CriImageRuntime({ socket: daemon.socket });
});

afterAll(async () => {
  cri?.close();
  await Promise.allSettled([daemon?.stop(), registry?.stop()]);
});

beforeEach(async () => {
  // a synchronous delete runs containerd's garbage collection now, so no snapshot of an
  // earlier test's images is left for ImageFsInfo to count (the CRI's RemoveImage leaves
  // that to the GC scheduler)
  const refs = (await ctr(daemon, ['images', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
  if (refs.length > 0) await ctr(daemon, ['images', 'rm', '--sync', ...refs]);
  // New content for every test: containerd 1.6's ImageFsInfo (its snapshot stats collector)
  // can stop counting a layer that was removed and pulled again under the same chain ID, and
  // then undercounts for as long as we watched (a minute); fresh layers are always counted.
  generation += 1;
  for (const name of NAMES) {
    await pushImage(registry, {
      repository: `team/${name}`,
      tag: String(generation),
      files: [randomFile(`${name}-${generation}.bin`, MB)],
    });
    await cri.pullImage(ref(name));
  }
});

const state = (): Record<string, ImageState> => ({
  [ref('older')]: { managed: true, lastDesired: ago(200) },
  [ref('old')]: { managed: true, lastDesired: ago(100) },
  [ref('recent')]: { managed: true, lastDesired: ago(10) },
});

describe('prune with a real containerd (CRI)', () => {
  it('removes managed images past the retention when the schedule is due; keeps the recent and the unmanaged one', async () => {
    // Act
    const result = await pruneImages(
      { runtime: cri, logger: silentLogger(), clock },
      options(state(), { lastPrune: { at: ago(48), removed: 0, reclaimedBytes: 0 } }),
    );

    // Assess
    expect(result.retentionRan).toBe(true);
    expect(result.removed.map((r) => r.reason)).toEqual(['retention-expired', 'retention-expired']);
    expect(result.failed).toEqual([]);
    expect(result.kept).toMatchObject({ unmanaged: 1, 'within-retention': 1 });
    expect(await tags()).toEqual([ref('recent'), ref('unmanaged')]);
  });

  it('above the high watermark by ImageFsInfo removes managed unused images, oldest desired first, until under the low one', async () => {
    // Prepare: a node whose capacity puts the image store at 90 %
    const used = await settledUse(cri, 4 * MB);
    const node = new CriImageRuntime({ socket: daemon.socket, capacityBytes: Math.round(used / 0.9) });

    // Act
    const result = await pruneImages({ runtime: node, logger: silentLogger(), clock }, options(state()));
    node.close();

    // Assess: one 1 MiB image takes the store from 90 % to about 69 %
    expect(result.retentionRan).toBe(false);
    expect(result.watermarkRan).toBe(true);
    expect(result.diskBefore).toBeCloseTo(90, 0);
    expect(result.removed.map((r) => [r.references[0], r.reason])).toEqual([[ref('older'), 'disk-pressure']]);
    expect(result.diskAfter).toBeLessThan(75);
    expect(result.watermarkUnreached).toBeUndefined();
    expect(await tags()).toEqual([ref('old'), ref('recent'), ref('unmanaged')]);
  });

  it('under the high watermark by ImageFsInfo removes nothing outside the schedule', async () => {
    // Prepare: the same images on a node four times as large
    const used = await settledUse(cri, 4 * MB);
    const node = new CriImageRuntime({ socket: daemon.socket, capacityBytes: used * 4 });

    // Act
    const result = await pruneImages({ runtime: node, logger: silentLogger(), clock }, options(state()));
    node.close();

    // Assess
    expect(result.diskBefore).toBeCloseTo(25, 0);
    expect(result.watermarkRan).toBe(false);
    expect(result.removed).toEqual([]);
    expect(await tags()).toHaveLength(4);
  });

  it('a removal of an image the store lacks is a not-found error naming the socket', async () => {
    const removal = cri.removeImage(`${registry.host}/team/never:1`);
    await expect(removal).rejects.toBeInstanceOf(NotFoundError);
    await expect(removal).rejects.toThrow(daemon.socket);
  });
});
