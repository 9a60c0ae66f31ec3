// The prune step against a real dockerd (vfs, private socket): images made with `docker import`,
// a created-but-never-started container, an unmanaged image, retention with an injected clock,
// watermarks with an injected disk-usage reader, and the cron schedule deciding when.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { type PruneOptions, pruneImages } from '../../runner/prune/prune.ts';
import { DockerImageRuntime } from '../../runner/runtime/DockerImageRuntime.ts';
import type { ImageState } from '../../runner/state.ts';
import { GB, withDisk } from '../support/disk-pressure.ts';
import { type Dockerd, docker, startDockerd } from '../support/dockerd.ts';
import { importImage } from '../support/images.ts';
import { pruneOptions } from '../support/prune-options.ts';

let daemon: Dockerd;
let runtime: DockerImageRuntime;
// `docker import` stamps images with the real time: the test clock runs ~5 days ahead of it.
const day = (offsetDays: number, hour: number) => {
  const d = new Date(Date.now() + offsetDays * 24 * HOUR_MS);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};
const clock = new ManualClock(day(5, 12));
const ago = (h: number) => new Date(clock.now().getTime() - h * HOUR_MS).toISOString();

function options(
  stateImages: Record<string, ImageState>,
  overrides: Partial<PruneOptions> = {},
): PruneOptions {
  return pruneOptions(stateImages, {
    labelSelector: 'maintainer=cedar',
    lastPrune: { at: day(4, 3).toISOString(), removed: 0, reclaimedBytes: 0 },
    ...overrides,
  });
}

async function tags(): Promise<string[]> {
  return (await runtime.listImages()).flatMap((i) => i.repoTags).sort();
}

beforeAll(async () => {
  daemon = await startDockerd();
  runtime = new DockerImageRuntime({ socketPath: daemon.socket });
});

afterAll(async () => {
  await daemon?.stop();
});

beforeEach(async () => {
  const { stdout } = await docker(daemon, ['ps', '-aq']);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker(daemon, ['rm', ...ids]);
  const images = (await docker(daemon, ['images', '-q'])).stdout.split('\n').filter(Boolean);
  if (images.length > 0) await docker(daemon, ['rmi', '-f', ...new Set(images)]);
  await importImage(daemon, 'registry.test:5000/team/old:1', { files: [{ name: 'a', content: 'old' }] });
  await importImage(daemon, 'registry.test:5000/team/used:1', { files: [{ name: 'a', content: 'used' }] });
  await importImage(daemon, 'registry.test:5000/team/recent:1', {
    files: [{ name: 'a', content: 'recent' }],
  });
  await importImage(daemon, 'registry.test:5000/someone/else:1', { files: [{ name: 'a', content: 'else' }] });
  await importImage(daemon, 'registry.test:5000/legacy/tool:1', {
    files: [{ name: 'a', content: 'legacy' }],
    labels: { maintainer: 'cedar' },
  });
  // Created, never started: still uses its image.
  await docker(daemon, [
    'create',
    '--network',
    'none',
    '--name',
    'sleeper',
    'registry.test:5000/team/used:1',
    '/nonexistent',
  ]);
});

const state = (): Record<string, ImageState> => ({
  'registry.test:5000/team/old:1': { managed: true, lastDesired: ago(100) },
  'registry.test:5000/team/used:1': { managed: true, lastDesired: ago(200) },
  'registry.test:5000/team/recent:1': { managed: true, lastDesired: ago(10) },
});

describe('prune with a real dockerd', () => {
  it('removes expired managed and labelled images; keeps the one a created container uses and the unmanaged one', async () => {
    // Act
    const result = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock },
      options(state()),
    );
    // Assess
    expect(result.retentionRan).toBe(true);
    expect(result.removed.map((r) => r.references[0]).sort()).toEqual([
      'registry.test:5000/legacy/tool:1',
      'registry.test:5000/team/old:1',
    ]);
    expect(result.kept).toMatchObject({ 'in-use': 1, unmanaged: 1, 'within-retention': 1 });
    expect(result.failed).toEqual([]);
    expect(await tags()).toEqual([
      'registry.test:5000/someone/else:1',
      'registry.test:5000/team/recent:1',
      'registry.test:5000/team/used:1',
    ]);
  });

  it('respects the retention as the clock moves on', async () => {
    // Act: 70 h after `recent` was last desired... nothing of it goes; then 80 h
    const early = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock },
      options({ 'registry.test:5000/team/recent:1': { managed: true, lastDesired: ago(70) } }),
    );
    const late = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock },
      options({ 'registry.test:5000/team/recent:1': { managed: true, lastDesired: ago(80) } }),
    );
    // Assess
    expect(early.removed.map((r) => r.references[0])).not.toContain('registry.test:5000/team/recent:1');
    expect(late.removed.map((r) => r.references[0])).toContain('registry.test:5000/team/recent:1');
  });

  it('lets the cron schedule decide: no retention prune before 03:00 after one at 03:00 yesterday', async () => {
    // Prepare
    const when = new ManualClock(day(5, 3).getTime() - 60_000);
    // Act
    const before = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock: when },
      options(state()),
    );
    when.set(day(5, 3).getTime() + 60_000);
    const after = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock: when },
      options(state()),
    );
    // Assess
    expect(before.retentionRan).toBe(false);
    expect(before.removed).toEqual([]);
    expect(after.retentionRan).toBe(true);
    expect(after.removed.length).toBe(2);
  });

  it('above the high watermark removes managed unused images inside the retention too, never the used one', async () => {
    // Prepare: schedule not due; 90 % used; each removal frees 6 GB
    const opts = options(state(), { lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 } });
    // Act
    const result = await pruneImages(
      { runtime: withDisk(runtime, 90 * GB, 6 * GB), logger: silentLogger(), clock },
      opts,
    );
    // Assess: old (100 h) then legacy (never desired: creation time) or recent (10 h)... until below 75 %
    expect(result.retentionRan).toBe(false);
    expect(result.watermarkRan).toBe(true);
    expect(result.removed.every((r) => r.reason === 'disk-pressure')).toBe(true);
    expect(result.removed).toHaveLength(3);
    expect(result.diskAfter).toBe(72);
    expect(await tags()).toEqual(['registry.test:5000/someone/else:1', 'registry.test:5000/team/used:1']);
  });

  it('reports when it cannot get below the low watermark', async () => {
    const result = await pruneImages(
      { runtime: withDisk(runtime, 99 * GB, GB), logger: silentLogger(), clock },
      options(state(), { lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 } }),
    );
    expect(result.watermarkUnreached).toMatch(/96\.0 % used/);
    expect(await tags()).toContain('registry.test:5000/team/used:1');
  });

  it('dry-run lists what would go and removes nothing', async () => {
    const result = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock },
      options(state(), { dryRun: true }),
    );
    expect(result.wouldRemove.map((r) => `${r.references[0]} ${r.reason}`).sort()).toEqual([
      'registry.test:5000/legacy/tool:1 retention-expired',
      'registry.test:5000/team/old:1 retention-expired',
    ]);
    expect(await tags()).toHaveLength(5);
  });
});
