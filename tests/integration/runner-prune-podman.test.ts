// The prune step through Podman's Docker-compatible API (podman system service, private vfs
// root): images pulled from a real docker-registry with the podman CLI on the same root, a
// container that ran and exited (its image carries the host's /bin/true and the libraries it
// needs; nofile/nproc limits are given explicitly because this sandbox refuses Podman's
// defaults), an unmanaged image, retention with an injected clock.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { type PruneOptions, pruneImages } from '../../runner/prune/prune.ts';
import { DockerImageRuntime } from '../../runner/runtime/DockerImageRuntime.ts';
import { ImageInUseError } from '../../runner/runtime/errors.ts';
import type { ImageState } from '../../runner/state.ts';
import { GB, withDisk } from '../support/disk-pressure.ts';
import { pushImage } from '../support/images.ts';
import { type Podman, podmanCli, startPodman } from '../support/podman.ts';
import { pruneOptions } from '../support/prune-options.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

let registry: TestRegistry;
let podman: Podman;
let runtime: DockerImageRuntime;
let ref: (name: string) => string;
const clock = new ManualClock(Date.now());
const ago = (h: number) => new Date(clock.now().getTime() - h * HOUR_MS).toISOString();

function options(
  stateImages: Record<string, ImageState>,
  overrides: Partial<PruneOptions> = {},
): PruneOptions {
  return pruneOptions(stateImages, overrides);
}

async function tags(): Promise<string[]> {
  return (await runtime.listImages()).flatMap((i) => i.repoTags).sort();
}

const state = (): Record<string, ImageState> => ({
  [ref('team/old')]: { managed: true, lastDesired: ago(100) },
  [ref('team/used')]: { managed: true, lastDesired: ago(200) },
  [ref('team/recent')]: { managed: true, lastDesired: ago(10) },
});

beforeAll(async () => {
  registry = await startRegistry({ auth: 'none' });
  ref = (name) => `${registry.host}/${name}:1`;
  podman = await startPodman({ insecureRegistries: [registry.host] });
  runtime = new DockerImageRuntime({ socketPath: podman.socket, imageStorePath: podman.root });
  for (const name of ['team/old', 'team/recent', 'someone/else']) {
    await pushImage(registry, { repository: name, tag: '1', files: [{ name: 'a', content: name }] });
  }
  const hostFile = (path: string) => ({ name: path.slice(1), content: readFileSync(path), mode: 0o755 });
  await pushImage(registry, {
    repository: 'team/used',
    tag: '1',
    files: ['/bin/true', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'].map(hostFile),
  });
});

afterAll(async () => {
  await Promise.allSettled([podman?.stop(), registry?.stop()]);
});

beforeEach(async () => {
  await podmanCli(podman, ['rm', '--all', '--force']);
  await podmanCli(podman, ['rmi', '--all', '--force']);
  for (const name of ['team/old', 'team/used', 'team/recent', 'someone/else']) {
    await podmanCli(podman, ['pull', '--quiet', ref(name)]);
  }
  // Ran and exited: a stopped container still holds its image.
  await podmanCli(podman, [
    'run',
    '--name',
    'sleeper',
    '--network',
    'none',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    ref('team/used'),
    '/bin/true',
  ]);
});

describe('prune through the Podman API', () => {
  it('removes the expired managed image; keeps the one an exited container uses, the recent and the unmanaged one', async () => {
    // Act
    const result = await pruneImages(
      { runtime: withDisk(runtime, 40 * GB, GB), logger: silentLogger(), clock },
      options(state()),
    );

    // Assess
    expect(result.retentionRan).toBe(true);
    expect(result.removed.map((r) => r.references[0])).toEqual([ref('team/old')]);
    expect(result.kept).toMatchObject({ 'in-use': 1, unmanaged: 1, 'within-retention': 1 });
    expect(result.failed).toEqual([]);
    expect(await tags()).toEqual([ref('someone/else'), ref('team/recent'), ref('team/used')]);
    // the podman CLI on the same root agrees: the store itself lost the image
    await expect(podmanCli(podman, ['image', 'exists', ref('team/old')])).rejects.toThrow();
  });

  it('under disk pressure removes managed unused images inside the retention too, never the used one', async () => {
    // Act: 90 % used; each removal frees 10 GB
    const result = await pruneImages(
      { runtime: withDisk(runtime, 90 * GB, 10 * GB), logger: silentLogger(), clock },
      options(state(), { lastPrune: { at: ago(1), removed: 0, reclaimedBytes: 0 } }),
    );

    // Assess
    expect(result.watermarkRan).toBe(true);
    expect(result.removed.map((r) => `${r.references[0]} ${r.reason}`)).toEqual([
      `${ref('team/old')} disk-pressure`,
      `${ref('team/recent')} disk-pressure`,
    ]);
    expect(result.diskAfter).toBe(70);
    expect(await tags()).toEqual([ref('someone/else'), ref('team/used')]);
  });

  it("refuses to remove an image a container uses, with Podman's 409 as ImageInUseError", async () => {
    // Act
    const attempt = runtime.removeImage(ref('team/used'));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ImageInUseError);
    await expect(attempt).rejects.toThrow(/in use/);
    expect(await tags()).toContain(ref('team/used'));
    const containers = await runtime.listContainers();
    expect(containers.map((c) => [c.names, c.image, c.state])).toEqual([
      [['/sleeper'], ref('team/used'), 'exited'],
    ]);
  });
});
