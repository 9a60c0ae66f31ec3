// Runner seed bench, side by side against one private dockerd and one loopback registry,
// with the seed system's method as the baseline: a sequential `docker pull` (docker CLI) of
// every image.
//  - warm: 60 small images already present and unchanged. Runner = one whole node pass
//    (Kubernetes API lists, local image list, one HEAD per tag, no pulls). Target >= 20x
//    (issue 12, on both runtimes; runner-seed-cri is the containerd side).
//  - cold: 20 images of ~15 MB each (incompressible). Runner = one node pass pulling 3 at a
//    time. Targets: faster than the baseline, and no slower than one `docker pull` of a single
//    image holding the same bytes in one layer (ratio <= 1.0; the same 20 layers in one image
//    are also timed, for information: vfs copies a whole rootfs per layer, which makes
//    many-layer images slow here). Images are removed between cold runs.
//    For the record, the one design that would bypass dockerd's per-image pull work: the same
//    20 images `docker load`ed from one archive already on disk (no network at all), and
//    whether the loaded images keep their registry digests (they do not: a pod that names its
//    image by digest would pull it again, so pre-pulling by load defeats itself).
// The daemon's storage driver is vfs (works anywhere) unless IW_BENCH_DOCKER_STORAGE=overlay2,
// what nodes run: dockerd's own cost per image differs between the two.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../core/config/schema.ts';
import { docker, startDockerd } from '../tests/support/dockerd.ts';
import { type Layer, makeLayer, sha256 } from '../tests/support/images.ts';
import { KubeApiFake } from '../tests/support/kube-api-fake.ts';
import { startRegistry, type TestRegistry } from '../tests/support/registry.ts';
import { emit, line, ratio, timed } from './lib.ts';
import {
  COLD_IMAGES,
  COLD_LAYER_BYTES,
  deployment,
  measureWarm,
  NODE,
  nodePass,
  putNode,
  WARM_IMAGES,
} from './lib-seed.ts';

/** Minimal anonymous push through the registry API: blobs (POST + PUT) and a manifest. */
async function uploadBlob(
  registry: TestRegistry,
  repository: string,
  blob: Uint8Array,
  digest: string,
): Promise<void> {
  const head = await fetch(`${registry.url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: new Uint8Array(blob),
    headers: { 'content-type': 'application/octet-stream' },
  });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`blob upload to ${repository} answered ${put.status}`);
}

async function pushLayers(
  registry: TestRegistry,
  repository: string,
  tag: string,
  layers: Layer[],
): Promise<string> {
  for (const layer of layers) await uploadBlob(registry, repository, layer.gz, layer.digest);
  const config = Buffer.from(
    JSON.stringify({
      created: '2026-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { bench: repository } },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    }),
  );
  const configDigest = sha256(config);
  await uploadBlob(registry, repository, config, configDigest);
  const media = 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: media,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: config.length,
      digest: configDigest,
    },
    layers: layers.map((layer) => ({
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      size: layer.gz.length,
      digest: layer.digest,
    })),
  });
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': media },
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`manifest PUT ${repository}:${tag} answered ${res.status}`);
  return `${registry.host}/${repository}:${tag}`;
}

const storageDriver = process.env.IW_BENCH_DOCKER_STORAGE === 'overlay2' ? 'overlay2' : 'vfs';

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-bench-seed-'));
  const [daemon, registry, api] = await Promise.all([
    startDockerd({ storageDriver }),
    startRegistry({ auth: 'none' }),
    KubeApiFake.start(),
  ]);
  try {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, api.kubeconfigYaml());
    putNode(api, 'docker://20.10.24');
    const config = Config.parse({
      registry: { insecure: [registry.host] },
      runner: {
        nodeName: NODE,
        kubeconfig,
        socket: daemon.socket,
        stateDir: join(dir, 'state'),
        imageStorePath: daemon.dataRoot,
        minFreeBytes: 0,
        events: false,
      },
    });
    const pass = nodePass(config, 'docker');
    const dockerPullAll = async (references: string[], inFlight = 1) => {
      const queue = [...references];
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          for (let next = queue.shift(); next; next = queue.shift())
            await docker(daemon, ['pull', '--quiet', next]);
        }),
      );
    };

    // ---- warm: 60 small images present and unchanged ----
    const warm = await measureWarm(registry, api, pass, (references) => dockerPullAll(references));
    await docker(daemon, ['image', 'rm', ...warm.references]);

    // ---- cold: 20 images of ~15 MB ----
    const contents = Array.from({ length: COLD_IMAGES }, () => randomBytes(COLD_LAYER_BYTES));
    const layers = contents.map((content, i) => makeLayer([{ name: `blob${i}.bin`, content }]));
    const cold: string[] = [];
    for (let i = 0; i < COLD_IMAGES; i += 1)
      cold.push(await pushLayers(registry, `cold/app${i}`, '1', [layers[i] as Layer]));
    // the practical limit: the same bytes as one image. One layer (vfs copies a whole rootfs
    // per layer, so a 20-layer image costs far more than the bytes) and, for the record, the
    // same 20 layers in one image
    const oneLayer = makeLayer(
      Array.from({ length: COLD_IMAGES }, (_, i) => ({
        name: `blob${i}.bin`,
        content: contents[i] as Buffer,
      })),
    );
    const single = await pushLayers(registry, 'cold/one-layer', '1', [oneLayer]);
    const multi = await pushLayers(registry, 'cold/twenty-layers', '1', layers);
    const coldBytes = layers.reduce((sum, layer) => sum + layer.gz.length, 0);
    const clean = async () => {
      const { stdout } = await docker(daemon, ['image', 'ls', '--quiet']);
      const ids = [...new Set(stdout.split('\n').filter(Boolean))];
      if (ids.length > 0) await docker(daemon, ['image', 'rm', '--force', ...ids]);
    };

    await clean();
    const baselineCold = await timed(() => dockerPullAll(cold));
    await clean();
    // the same loop 3 at a time, as the runner pulls: what parallel clients get from dockerd
    const parallelCold = await timed(() => dockerPullAll(cold, 3));
    await clean();
    for (const [i, reference] of cold.entries()) api.put(deployment(`cold-${i}`, reference));
    const runnerCold = await timed(pass);
    if (runnerCold.result.seed?.counts.pulled !== COLD_IMAGES)
      throw new Error('cold pass did not pull every image');
    const archive = join(dir, 'cold-images.tar');
    await docker(daemon, ['save', '--output', archive, ...cold], { timeoutMs: 600_000 });
    await clean();
    const loadCold = await timed(() => docker(daemon, ['load', '--input', archive], { timeoutMs: 600_000 }));
    const { stdout: loadedDigests } = await docker(daemon, [
      'image',
      'inspect',
      '--format',
      '{{len .RepoDigests}}',
      ...cold,
    ]);
    const loadKeepsDigests = loadedDigests
      .split('\n')
      .filter(Boolean)
      .every((n) => n !== '0');
    await rm(archive, { force: true });
    await clean();
    const singleCold = await timed(() => docker(daemon, ['pull', '--quiet', single]));
    await clean();
    const multiCold = await timed(() => docker(daemon, ['pull', '--quiet', multi]));
    await clean();

    const { runnerMs: warmR, baselineMs: warmB } = warm;
    line('warm: runner pass, 60 present (median ms)', warmR);
    line('warm: sequential docker pull x60 (median ms)', warmB);
    line('warm: speed-up (target >= 20x)', `${ratio(warmB, warmR).toFixed(1)}x`);
    line('cold: data pulled (MB)', coldBytes / 1024 ** 2);
    line('cold: sequential docker pull x20 (ms)', baselineCold.ms);
    line('cold: docker pull x20, 3 at a time (ms, info)', parallelCold.ms);
    line('cold: runner pass, 3 in flight (ms)', runnerCold.ms);
    line('cold: one docker pull, same bytes in 1 layer (ms)', singleCold.ms);
    line('cold: one docker pull, same 20 layers (ms, info)', multiCold.ms);
    line('cold: docker load of the 20 from a local archive (ms, info)', loadCold.ms);
    line('cold: loaded images keep their registry digests', String(loadKeepsDigests));
    line(
      'cold: runner vs baseline (target > 1x faster)',
      `${ratio(baselineCold.ms, runnerCold.ms).toFixed(2)}x`,
    );
    line('cold: runner / single pull (target <= 1.0)', ratio(runnerCold.ms, singleCold.ms));
    emit('runner-seed', {
      runtime: 'docker',
      storageDriver,
      warmImages: WARM_IMAGES,
      warmRunnerMs: Math.round(warmR),
      warmBaselineMs: Math.round(warmB),
      warmSpeedup: Number(ratio(warmB, warmR).toFixed(2)),
      coldImages: COLD_IMAGES,
      coldMB: Number((coldBytes / 1024 ** 2).toFixed(1)),
      coldBaselineMs: Math.round(baselineCold.ms),
      coldParallelCliMs: Math.round(parallelCold.ms),
      coldRunnerMs: Math.round(runnerCold.ms),
      coldSinglePullMs: Math.round(singleCold.ms),
      coldTwentyLayerPullMs: Math.round(multiCold.ms),
      coldLoadArchiveMs: Math.round(loadCold.ms),
      loadKeepsRepoDigests: loadKeepsDigests,
      coldSpeedup: Number(ratio(baselineCold.ms, runnerCold.ms).toFixed(2)),
      coldVsSingle: Number(ratio(runnerCold.ms, singleCold.ms).toFixed(2)),
    });
  } finally {
    await Promise.allSettled([daemon.stop(), registry.stop(), api.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
