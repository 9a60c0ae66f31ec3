import { describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../../../core/clock.ts';
import { UpstreamError } from '../../../../core/errors.ts';
import { silentLogger } from '../../../../core/logger.ts';
import { type PruneOptions, pruneImages } from '../../../../runner/prune/prune.ts';
import { ImageInUseError } from '../../../../runner/runtime/errors.ts';
import type { ContainerSummary, ImageRuntime, LocalImage } from '../../../../runner/runtime/ImageRuntime.ts';
import { pruneOptions } from '../../../support/prune-options.ts';

const GB = 1024 ** 3;
const D = (c: string) => `sha256:${c.repeat(64)}`;

/** An image store that behaves like dockerd for removal: 409 when in use or multiply tagged. */
class FakeStore
  implements
    Pick<ImageRuntime, 'listImages' | 'listContainers' | 'removeImage' | 'inspectImage' | 'imageStoreSpace'>
{
  removedRefs: string[] = [];
  constructor(
    public images: LocalImage[],
    public containers: ContainerSummary[],
    public usedBytes: number,
    public totalBytes = 100 * GB,
    public failing = new Set<string>(),
  ) {}
  async listImages() {
    return this.images.map((i) => ({ ...i }));
  }
  async listContainers() {
    return this.containers;
  }
  async inspectImage(ref: string) {
    return this.images.find((i) => i.id === ref || i.repoTags.includes(ref));
  }
  async imageStoreSpace() {
    return { freeBytes: this.totalBytes - this.usedBytes, totalBytes: this.totalBytes };
  }
  async removeImage(ref: string) {
    const img = this.images.find(
      (i) => i.id === ref || i.repoTags.includes(ref) || i.repoDigests.includes(ref),
    );
    if (!img) throw new Error(`no such image ${ref}`);
    if (this.failing.has(img.id)) throw new UpstreamError('docker', 'socket hang up');
    if (this.containers.some((c) => c.imageId === img.id))
      throw new ImageInUseError(ref, 'conflict: image is being used by stopped container');
    if (ref === img.id && img.repoTags.length > 1)
      throw new ImageInUseError(
        ref,
        'conflict: unable to delete (must be forced) - image is referenced in multiple repositories',
      );
    this.removedRefs.push(ref);
    if (ref !== img.id && img.repoTags.length > 1) {
      img.repoTags = img.repoTags.filter((t) => t !== ref);
      return;
    }
    this.images = this.images.filter((i) => i !== img);
    this.usedBytes -= img.size;
  }
}

const clock = new ManualClock('2026-03-10T12:00:00Z');
const ago = (h: number) => new Date(clock.now().getTime() - h * HOUR_MS).toISOString();
const img = (c: string, tag: string, size = 10 * GB): LocalImage => ({
  id: D(c),
  repoTags: [tag],
  repoDigests: [],
  labels: {},
  size,
  created: ago(1000),
});

function options(overrides: Partial<PruneOptions> = {}): PruneOptions {
  return pruneOptions({}, { lastPrune: { at: ago(30), removed: 0, reclaimedBytes: 0 }, ...overrides });
}

describe('pruneImages', () => {
  it('removes expired managed images when the schedule is due and records lastPrune', async () => {
    // Prepare
    const store = new FakeStore([img('a', 'r.io/a:1'), img('b', 'r.io/b:1')], [], 40 * GB);
    const stateImages = {
      'r.io/a:1': { managed: true, lastDesired: ago(100) },
      'r.io/b:1': { managed: true, lastDesired: ago(10) },
    };
    // Act
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({ stateImages }),
    );
    // Assess
    expect(result.removed.map((r) => r.references[0])).toEqual(['r.io/a:1']);
    expect(result.reclaimedBytes).toBe(10 * GB);
    expect(result.freedBytes).toBe(10 * GB);
    expect(result.kept['within-retention']).toBe(1);
    expect(result.lastPrune).toEqual({ at: clock.now().toISOString(), removed: 1, reclaimedBytes: 10 * GB });
  });

  it('does nothing for retention when the schedule is not due', async () => {
    const store = new FakeStore([img('a', 'r.io/a:1')], [], 40 * GB);
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({
        stateImages: { 'r.io/a:1': { managed: true, lastDesired: ago(100) } },
        lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 },
      }),
    );
    expect(result.retentionRan).toBe(false);
    expect(result.removed).toEqual([]);
    expect(result.lastPrune).toBeUndefined();
  });

  it('above the high watermark removes unused managed images, oldest desired first, until below low', async () => {
    // Prepare: 90 % used; four 5 GB managed images inside retention, one desired now, one in use
    const images = [
      img('a', 'r.io/a:1', 5 * GB),
      img('b', 'r.io/b:1', 5 * GB),
      img('c', 'r.io/c:1', 5 * GB),
      img('d', 'r.io/d:1', 5 * GB),
      img('e', 'r.io/e:1', 5 * GB),
    ];
    const stateImages = {
      'r.io/a:1': { managed: true, lastDesired: ago(3) },
      'r.io/b:1': { managed: true, lastDesired: ago(20) },
      'r.io/c:1': { managed: true, lastDesired: ago(10) },
      'r.io/d:1': { managed: true, lastDesired: ago(50) },
      'r.io/e:1': { managed: true, lastDesired: ago(60) },
    };
    const store = new FakeStore(
      images,
      [{ id: 'c1', names: [], image: 'r.io/e:1', imageId: D('e'), state: 'created', labels: {} }],
      90 * GB,
    );
    // Act
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({
        stateImages,
        desiredNow: ['r.io/a:1'],
        lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 },
      }),
    );
    // Assess: d (50 h) then b (20 h) then c (10 h): 90 -> 85 -> 80 -> 75 -> still not < 75
    expect(result.watermarkRan).toBe(true);
    expect(result.removed.map((r) => [r.references[0], r.reason])).toEqual([
      ['r.io/d:1', 'disk-pressure'],
      ['r.io/b:1', 'disk-pressure'],
      ['r.io/c:1', 'disk-pressure'],
    ]);
    expect(result.diskAfter).toBe(75);
    expect(result.watermarkUnreached).toMatch(/75\.0 % used/);
    expect(store.images.map((i) => i.repoTags[0])).toEqual(['r.io/a:1', 'r.io/e:1']);
  });

  it('stops removing as soon as it is below the low watermark', async () => {
    const images = [img('a', 'r.io/a:1', 12 * GB), img('b', 'r.io/b:1', 12 * GB)];
    const stateImages = {
      'r.io/a:1': { managed: true, lastDesired: ago(30) },
      'r.io/b:1': { managed: true, lastDesired: ago(20) },
    };
    const store = new FakeStore(images, [], 86 * GB);
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({ stateImages }),
    );
    expect(result.removed.map((r) => r.references[0])).toEqual(['r.io/a:1']);
    expect(result.diskAfter).toBe(74);
    expect(result.watermarkUnreached).toBeUndefined();
  });

  it('dry-run lists what would go and why, and removes nothing', async () => {
    const store = new FakeStore([img('a', 'r.io/a:1'), img('b', 'r.io/b:1')], [], 90 * GB);
    const stateImages = {
      'r.io/a:1': { managed: true, lastDesired: ago(100) },
      'r.io/b:1': { managed: true, lastDesired: ago(5) },
    };
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({ stateImages, dryRun: true }),
    );
    expect(result.wouldRemove.map((r) => [r.references[0], r.reason])).toEqual([
      ['r.io/a:1', 'retention-expired'],
      ['r.io/b:1', 'disk-pressure'],
    ]);
    expect(result.wouldRemove[0]?.detail).toMatch(/100 h/);
    expect(store.removedRefs).toEqual([]);
    expect(result.lastPrune).toBeUndefined();
  });

  it('counts a daemon refusal (container created meanwhile) and a daemon error, and carries on', async () => {
    // Prepare: the list the planner sees has no containers; the daemon knows one for a
    const store = new FakeStore(
      [img('a', 'r.io/a:1'), img('b', 'r.io/b:1'), img('c', 'r.io/c:1')],
      [],
      40 * GB,
      100 * GB,
      new Set([D('b')]),
    );
    const listContainers = store.listContainers.bind(store);
    store.listContainers = async () => {
      const seen = await listContainers();
      store.containers = [
        { id: 'late', names: [], image: 'r.io/a:1', imageId: D('a'), state: 'created', labels: {} },
      ];
      return seen;
    };
    const stateImages = Object.fromEntries(
      ['a', 'b', 'c'].map((c) => [`r.io/${c}:1`, { managed: true, lastDesired: ago(100) }]),
    );
    // Act
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({ stateImages }),
    );
    // Assess
    expect(result.refused.map((r) => r.id)).toEqual([D('a')]);
    expect(result.failed.map((r) => r.id)).toEqual([D('b')]);
    expect(result.removed.map((r) => r.id)).toEqual([D('c')]);
  });

  it('untags a multiply tagged image reference by reference, never forcing', async () => {
    const multi: LocalImage = { ...img('m', 'r.io/m:1'), repoTags: ['r.io/m:1', 'r.io/m:latest'] };
    const store = new FakeStore([multi], [], 40 * GB);
    const result = await pruneImages(
      { runtime: store, logger: silentLogger(), clock },
      options({ stateImages: { 'r.io/m:1': { managed: true, lastDesired: ago(100) } } }),
    );
    expect(result.removed).toHaveLength(1);
    expect(store.removedRefs).toEqual(['r.io/m:1', 'r.io/m:latest']);
    expect(store.images).toEqual([]);
  });
});
