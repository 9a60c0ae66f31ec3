// The runner image's entry point, for real: `npm run build` (scripts/build.mjs, what the
// Dockerfile's build stage runs) bundles the CLI, and `node` runs the bundle from a directory
// with no node_modules (as in the image's runtime stage) for one fan-out tick against the
// Kubernetes API fake.
import { execFile } from 'node:child_process';
import { copyFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { fanoutPod, node } from '../unit/runner/fanout/helpers.ts';

const run = promisify(execFile);

describe('runner image entry point (esbuild bundle) against the Kubernetes API fake', () => {
  let dir: string;
  let api: KubeApiFake;
  let bundle: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-bundle-'));
    // Build in a mirror of the repository (symlinks) so the shared dist/ is left alone.
    const mirror = join(dir, 'src');
    await mkdir(mirror);
    for (const entry of readdirSync('.').filter((e) => e !== 'dist' && e !== '.git'))
      symlinkSync(resolve(entry), join(mirror, entry));
    await run(process.execPath, ['scripts/build.mjs'], { cwd: mirror, timeout: 120_000 });
    const runtime = join(dir, 'app');
    await mkdir(runtime);
    bundle = join(runtime, 'imagewarden.mjs');
    copyFileSync(join(mirror, 'dist', 'imagewarden.mjs'), bundle);
    api = await KubeApiFake.start();
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'imagewarden' } });
  });

  afterAll(async () => {
    const unhandled = api?.unhandled ?? [];
    try {
      await api?.stop();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    // no request of the bundle hit a route the fake lacks
    expect(unhandled).toEqual([]);
  });

  it('creates the node Jobs from a bundle that needs no node_modules', async () => {
    // Prepare
    for (const name of ['w1', 'w2']) api.put(node(name) as KubeObject);
    // the CronJob's pod the bundle runs in, as the downward API names it
    const digest = `sha256:${'a'.repeat(64)}`;
    api.put(
      fanoutPod('imagewarden-fanout-29000000-b0000', {
        image: 'ghcr.io/imagewarden/runner:0.1.0',
        imageID: `ghcr.io/imagewarden/runner@${digest}`,
      }) as KubeObject,
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeconfigYaml());
    const config = join(dir, 'runner.yaml');
    writeFileSync(config, stringify({ runner: { fanout: { kubeconfig } } }));
    // Act
    const { stdout } = await run(process.execPath, [bundle, 'runner', 'fanout', '--config', config], {
      cwd: join(dir, 'app'),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        POD_NAME: 'imagewarden-fanout-29000000-b0000',
        POD_NAMESPACE: 'imagewarden',
      },
      timeout: 60_000,
    });
    // Assess
    expect(stdout).toMatch(/2 nodes \(2 eligible;.*Jobs: 2 created/);
    const jobs = api.list('Job', 'imagewarden');
    expect(jobs.map((j) => j.metadata.name)).toHaveLength(2);
    for (const job of jobs)
      expect(
        (job.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]
          ?.image,
      ).toBe(`ghcr.io/imagewarden/runner@${digest}`);
  });
});
