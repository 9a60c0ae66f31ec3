// Runner seed bench on a containerd node, side by side against one private containerd (CRI
// plugin, native snapshotter) and one loopback registry, with a sequential
// `ctr -n k8s.io images pull --plain-http` loop as the baseline (crictl is not in Debian).
//  - warm: 60 small images already present and unchanged. Runner = one whole node pass
//    (Kubernetes API lists, CRI ListImages, one HEAD per tag, no pulls). Target >= 20x.
//  - cold: 20 images of ~15 MB each (incompressible). Runner = one node pass pulling 3 at a
//    time through the CRI. Targets: faster than the loop, and no slower than one `ctr` pull of
//    a single image holding the same bytes in one layer (ratio <= 1.0). Images are removed
//    (synchronously garbage-collected) between cold runs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../core/config/schema.ts';
import { type Containerd, ctr, startContainerd } from '../tests/support/containerd.ts';
import { pushImage, pushManyImages } from '../tests/support/images.ts';
import { KubeApiFake } from '../tests/support/kube-api-fake.ts';
import { startRegistry } from '../tests/support/registry.ts';
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

/** The baseline: what an operator would script, one `ctr images pull` after another. */
async function ctrPullAll(daemon: Containerd, references: string[]): Promise<void> {
  for (const reference of references) {
    await ctr(daemon, ['images', 'pull', '--plain-http', '--snapshotter', 'native', reference], {
      timeoutMs: 600_000,
    });
  }
}

/** Removes every image of the k8s.io namespace and waits for the garbage collection. */
async function clean(daemon: Containerd): Promise<void> {
  const refs = (await ctr(daemon, ['images', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
  if (refs.length > 0) await ctr(daemon, ['images', 'rm', '--sync', ...refs], { timeoutMs: 600_000 });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-bench-seed-cri-'));
  const [daemon, registry, api] = await Promise.all([
    startContainerd(),
    startRegistry({ auth: 'none' }),
    KubeApiFake.start(),
  ]);
  daemon.addPlainHttpRegistry(registry.host);
  try {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, api.kubeconfigYaml());
    putNode(api, 'containerd://1.6.20');
    const config = Config.parse({
      registry: { insecure: [registry.host] },
      runner: {
        nodeName: NODE,
        kubeconfig,
        runtime: 'auto',
        socket: daemon.socket,
        stateDir: join(dir, 'state'),
        minFreeBytes: 0,
        events: false,
      },
    });
    const pass = nodePass(config, 'cri');

    // ---- warm: 60 small images present and unchanged ----
    const warm = await measureWarm(registry, api, pass, (references) => ctrPullAll(daemon, references));
    await clean(daemon);

    // ---- cold: 20 images of ~15 MB ----
    const contents = Array.from({ length: COLD_IMAGES }, () => randomBytes(COLD_LAYER_BYTES));
    const cold = (
      await pushManyImages(registry, {
        repository: (i) => `cold/app${i}`,
        count: COLD_IMAGES,
        concurrency: 2,
        files: (i) => [{ name: `blob${i}.bin`, content: contents[i] as Buffer }],
      })
    ).map((image) => image.reference);
    // the practical limit: the same bytes as one image in one layer
    const single = (
      await pushImage(registry, {
        repository: 'cold/one-layer',
        tag: '1',
        files: contents.map((content, i) => ({ name: `blob${i}.bin`, content })),
      })
    ).reference;
    const coldBytes = COLD_IMAGES * COLD_LAYER_BYTES;

    await clean(daemon);
    const baselineCold = await timed(() => ctrPullAll(daemon, cold));
    await clean(daemon);
    for (const [i, reference] of cold.entries()) api.put(deployment(`cold-${i}`, reference));
    const runnerCold = await timed(pass);
    if (runnerCold.result.seed?.counts.pulled !== COLD_IMAGES)
      throw new Error('cold pass did not pull every image');
    const reportedBytes = runnerCold.result.seed?.bytes ?? 0;
    await clean(daemon);
    const singleCold = await timed(() => ctrPullAll(daemon, [single]));
    await clean(daemon);

    const { runnerMs: warmR, baselineMs: warmB } = warm;
    line('warm: runner pass, 60 present (median ms)', warmR);
    line('warm: sequential ctr pull x60 (median ms)', warmB);
    line('warm: speed-up (target >= 20x)', `${ratio(warmB, warmR).toFixed(1)}x`);
    line('cold: data pulled (MB)', coldBytes / 1024 ** 2);
    line('cold: bytes the runner reported (MB, from manifests)', reportedBytes / 1024 ** 2);
    line('cold: sequential ctr pull x20 (ms)', baselineCold.ms);
    line('cold: runner pass via the CRI, 3 in flight (ms)', runnerCold.ms);
    line('cold: one ctr pull, same bytes in 1 layer (ms)', singleCold.ms);
    line('cold: runner vs loop (target > 1x faster)', `${ratio(baselineCold.ms, runnerCold.ms).toFixed(2)}x`);
    line('cold: runner / single pull (target <= 1.0)', ratio(runnerCold.ms, singleCold.ms));
    emit('runner-seed-cri', {
      runtime: 'containerd',
      warmImages: WARM_IMAGES,
      warmRunnerMs: Math.round(warmR),
      warmBaselineMs: Math.round(warmB),
      warmSpeedup: Number(ratio(warmB, warmR).toFixed(2)),
      coldImages: COLD_IMAGES,
      coldMB: Number((coldBytes / 1024 ** 2).toFixed(1)),
      coldReportedMB: Number((reportedBytes / 1024 ** 2).toFixed(1)),
      coldBaselineMs: Math.round(baselineCold.ms),
      coldRunnerMs: Math.round(runnerCold.ms),
      coldSinglePullMs: Math.round(singleCold.ms),
      coldSpeedup: Number(ratio(baselineCold.ms, runnerCold.ms).toFixed(2)),
      coldVsSingle: Number(ratio(runnerCold.ms, singleCold.ms).toFixed(2)),
    });
  } finally {
    await Promise.allSettled([daemon.stop(), registry.stop(), api.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
