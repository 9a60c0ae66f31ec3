// The node runner's seed pass through Podman's Docker-compatible API (podman system service
// with a private vfs root), the setup of a CRI-O node where the CRI socket is not used: the
// same scenarios as against dockerd. Real docker-registry instances (anonymous behind a
// counting proxy, and basic auth) and the Kubernetes API fake with a cri-o:// node. The tests
// run in order on one node: cold, warm, moved tag, private image with and without its secret.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { productionPorts } from '../../runner/production-ports.ts';
import type { RunReport } from '../../runner/report.ts';
import { type CountingProxy, startCountingProxy } from '../support/counting-proxy.ts';
import { pushImage } from '../support/images.ts';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { type Podman, podmanCli, startPodman } from '../support/podman.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const NODE = 'crio-node';

function deployment(name: string, image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image }], ...extra },
      },
    },
  };
}

describe('runner seed through the Podman API + docker-registry + Kubernetes API fake', () => {
  let podman: Podman;
  let open: TestRegistry;
  let locked: TestRegistry;
  let proxy: CountingProxy;
  let api: KubeApiFake;
  let dir: string;

  const config = () =>
    Config.parse({
      registry: { insecure: [proxy.host, locked.host], pingTimeout: 2000, retries: 1 },
      runner: {
        nodeName: NODE,
        kubeconfig: join(dir, 'kubeconfig.yaml'),
        runtime: 'docker',
        socket: podman.socket,
        stateDir: join(dir, 'state'),
        imageStorePath: podman.root,
        minFreeBytes: 0,
        pullRetries: 1,
        pullTimeout: '2m',
      },
    });

  async function pass(): Promise<RunReport> {
    const logger = createLogger({ level: 'silent' });
    const cfg = config();
    return runNodePass(productionPorts(cfg, logger, {}), {
      nodeName: NODE,
      config: cfg.runner,
      dryRun: false,
    });
  }

  const outcomes = (report: RunReport) =>
    Object.fromEntries((report.seed?.images ?? []).map((image) => [image.reference, image.outcome]));

  /** The digests Podman's store holds for `reference`, read with the podman CLI on the same root. */
  async function localDigests(reference: string): Promise<string[]> {
    const { stdout } = await podmanCli(podman, [
      'image',
      'inspect',
      '--format',
      '{{json .RepoDigests}}',
      reference,
    ]);
    return JSON.parse(stdout) as string[];
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-seed-podman-'));
    [open, locked, api] = await Promise.all([
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'basic' }),
      KubeApiFake.start(),
    ]);
    proxy = await startCountingProxy(open);
    podman = await startPodman({ insecureRegistries: [proxy.host, locked.host] });
    for (const repository of ['web', 'worker', 'cron']) {
      await pushImage(open, { repository, tag: '1', labels: { app: repository } });
    }
    await pushImage(locked, { repository: 'private/app', tag: '1' });
    await pushImage(locked, { repository: 'private/other', tag: '1' });
    await writeFile(join(dir, 'kubeconfig.yaml'), api.kubeconfigYaml());

    const r = proxy.host;
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'cri-o://1.30.4' } },
    });
    api.put(deployment('web', `${r}/web:1`));
    api.put(deployment('worker', `${r}/worker:1`));
    api.put({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'shop' },
      spec: {
        schedule: '0 1 * * *',
        jobTemplate: {
          spec: {
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: `${r}/cron:1` }] } },
          },
        },
      },
    });
    api.put(
      deployment('private', `${locked.host}/private/app:1`, { imagePullSecrets: [{ name: 'regcred' }] }),
    );
    const auth = Buffer.from(`${locked.username}:${locked.password}`).toString('base64');
    api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'shop' },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [locked.host]: { auth } } })).toString(
          'base64',
        ),
      },
    });
  });

  afterAll(async () => {
    const unhandled = api?.unhandled ?? [];
    await Promise.allSettled([podman?.stop(), open?.stop(), locked?.stop(), api?.stop(), proxy?.stop()]);
    await rm(dir, { recursive: true, force: true });
    expect(unhandled).toEqual([]);
  });

  it('gets a cold node every desired image, the private one with its pull secret', async () => {
    // Act
    const report = await pass();

    // Assess
    const r = proxy.host;
    expect(outcomes(report)).toEqual({
      [`${r}/web:1`]: 'pulled',
      [`${r}/worker:1`]: 'pulled',
      [`${r}/cron:1`]: 'pulled',
      [`${locked.host}/private/app:1`]: 'pulled',
    });
    expect(report.runtime).toMatchObject({ kind: 'podman', kubeletRuntime: 'cri-o://1.30.4' });
    expect(report.runtime?.warning).toBeUndefined();
    expect(report.exitCode).toBe(0);
    for (const image of report.seed?.images ?? []) {
      const name = image.reference.replace(/:[^/:]*$/, '');
      expect(await localDigests(image.reference)).toContain(`${name}@${image.digest}`);
    }
  });

  it('on a warm re-run pulls nothing and sends only pings and manifest HEADs', async () => {
    // Prepare
    proxy.reset();

    // Act
    const report = await pass();

    // Assess
    expect(report.seed?.counts).toMatchObject({ pulled: 0, present: 4, failed: 0 });
    expect(report.exitCode).toBe(0);
    const kinds = proxy.requests.map(
      (request) =>
        `${request.method} ${request.path.replace(/\/v2\/.+\/manifests\/.*/, '/v2/*/manifests/*')}`,
    );
    expect(new Set(kinds)).toEqual(new Set(['GET /v2/', 'HEAD /v2/*/manifests/*']));
    expect(kinds.filter((kind) => kind.startsWith('HEAD'))).toHaveLength(3);
  });

  it('re-pulls a tag that moved in the registry', async () => {
    // Prepare
    const moved = await pushImage(open, { repository: 'web', tag: '1', labels: { app: 'web', build: '2' } });

    // Act
    const report = await pass();

    // Assess
    const web = report.seed?.images.find((image) => image.reference === `${proxy.host}/web:1`);
    expect(web).toMatchObject({ outcome: 'pulled', digest: moved.digest });
    expect(web?.why).toMatch(/^tag moved/);
    expect(report.seed?.counts.pulled).toBe(1);
    expect(await localDigests(`${proxy.host}/web:1`)).toContain(`${proxy.host}/web@${moved.digest}`);
  });

  it('fails a private image clearly without its pull secret and still has the rest', async () => {
    // Prepare
    api.put(deployment('nosecret', `${locked.host}/private/other:1`));

    // Act
    const report = await pass();
    api.remove('Deployment', 'nosecret', 'shop');

    // Assess
    const other = report.seed?.images.find((image) => image.reference === `${locked.host}/private/other:1`);
    expect(other).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(other?.error).toMatch(/requires credentials|unauthori[sz]ed|authentication required/i);
    expect(outcomes(report)[`${locked.host}/private/app:1`]).toBe('present');
    expect(report.exitCode).toBe(1);
    await expect(podmanCli(podman, ['image', 'exists', `${locked.host}/private/other:1`])).rejects.toThrow();
  });
});
