// What the runner-seed benches on dockerd and on containerd share: the shapes (60 warm images,
// 20 cold ones of 15 MB), the simulated node and its Deployments in the Kubernetes API fake,
// one timed node pass, and the warm phase (the runner's pass beside the baseline's loop).
import type { Config } from '../core/config/schema.ts';
import { silentLogger } from '../core/logger.ts';
import { runNodePass } from '../runner/node-pass.ts';
import { productionPorts } from '../runner/production-ports.ts';
import type { RunReport } from '../runner/report.ts';
import { pushManyImages } from '../tests/support/images.ts';
import type { KubeApiFake, KubeObject } from '../tests/support/kube-api-fake.ts';
import type { TestRegistry } from '../tests/support/registry.ts';
import { median, timed } from './lib.ts';

export const WARM_IMAGES = 60;
export const COLD_IMAGES = 20;
export const COLD_LAYER_BYTES = 15 * 1024 * 1024;
const WARM_ROUNDS = 3;
export const NODE = 'bench-node';

export function deployment(name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { replicas: 1, selector: {}, template: { spec: { containers: [{ name: 'c', image }] } } },
  };
}

/** The node the passes run as, reporting `runtimeVersion` (e.g. `containerd://1.6.20`). */
export function putNode(api: KubeApiFake, runtimeVersion: string): void {
  api.put({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE },
    spec: {},
    status: { nodeInfo: { containerRuntimeVersion: runtimeVersion } },
  });
}

/** One whole node pass with production ports; throws unless it succeeds through `kind`. */
export function nodePass(config: Config, kind: 'docker' | 'cri'): () => Promise<RunReport> {
  return async () => {
    const report = await runNodePass(productionPorts(config, silentLogger(), {}), {
      nodeName: NODE,
      config: config.runner,
      dryRun: false,
    });
    if (report.exitCode !== 0)
      throw new Error(`runner pass failed: ${JSON.stringify(report.seed?.counts ?? report.fatal)}`);
    if (report.runtime?.kind !== kind) throw new Error(`the pass did not go through ${kind}`);
    return report;
  };
}

/**
 * The warm phase: 60 small images desired and present (after a first pass pulls them), then
 * rounds of the runner's pass beside the baseline loop over the same references; the
 * Deployments are removed afterwards. Median milliseconds of each.
 */
export async function measureWarm(
  registry: TestRegistry,
  api: KubeApiFake,
  pass: () => Promise<RunReport>,
  baseline: (references: string[]) => Promise<void>,
): Promise<{ runnerMs: number; baselineMs: number; references: string[] }> {
  const references = (
    await pushManyImages(registry, { repository: (i) => `warm/app${i}`, count: WARM_IMAGES })
  ).map((image) => image.reference);
  for (const [i, reference] of references.entries()) api.put(deployment(`warm-${i}`, reference));
  const first = await pass();
  if (first.seed?.counts.pulled !== WARM_IMAGES) throw new Error('warm setup did not pull every image');
  const runner: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < WARM_ROUNDS; round += 1) {
    const timedPass = await timed(pass);
    if (timedPass.result.seed?.counts.present !== WARM_IMAGES)
      throw new Error('warm pass did not find every image present');
    runner.push(timedPass.ms);
    base.push((await timed(() => baseline(references))).ms);
  }
  for (let i = 0; i < WARM_IMAGES; i += 1) api.remove('Deployment', `warm-${i}`, 'default');
  return { runnerMs: median(runner), baselineMs: median(base), references };
}
