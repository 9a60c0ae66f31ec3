// The node runner's seed pass end to end on a containerd node: a real private containerd
// (CRI plugin, native snapshotter, private socket) chosen by `runner.runtime: auto` from the
// node's containerRuntimeVersion, real docker-registry instances (anonymous behind a
// counting proxy, basic auth, token auth) and the Kubernetes API fake. The tests run in order
// on one node: cold, warm, moved tag, private images.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config/schema.ts';
import { AuthError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { productionPorts } from '../../runner/production-ports.ts';
import type { RunReport } from '../../runner/report.ts';
import { CriImageRuntime } from '../../runner/runtime/CriImageRuntime.ts';
import { type Containerd, ctr, startContainerd } from '../support/containerd.ts';
import { type CountingProxy, startCountingProxy } from '../support/counting-proxy.ts';
import { pushImage, pushIndex, randomFile } from '../support/images.ts';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const NODE = 'node-c';

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

function dockerConfigSecret(name: string, registry: TestRegistry): KubeObject {
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'shop' },
    type: 'kubernetes.io/dockerconfigjson',
    data: {
      '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [registry.host]: { auth } } })).toString(
        'base64',
      ),
    },
  };
}

describe('runner seed against containerd (CRI) + docker-registry + Kubernetes API fake', () => {
  let daemon: Containerd;
  let open: TestRegistry;
  let locked: TestRegistry;
  let tokened: TestRegistry;
  let proxy: CountingProxy;
  let api: KubeApiFake;
  let cri: CriImageRuntime;
  let dir: string;
  let imagesBefore: number;

  const config = () =>
    Config.parse({
      registry: { insecure: [proxy.host, locked.host, tokened.host], pingTimeout: 2000, retries: 1 },
      runner: {
        nodeName: NODE,
        kubeconfig: join(dir, 'kubeconfig.yaml'),
        runtime: 'auto',
        socket: daemon.socket,
        stateDir: join(dir, 'state'),
        minFreeBytes: 0,
        pullRetries: 1,
        pullTimeout: '2m',
        events: false,
      },
    });

  async function pass(): Promise<RunReport> {
    const cfg = config();
    return runNodePass(productionPorts(cfg, silentLogger(), {}), {
      nodeName: NODE,
      config: cfg.runner,
      dryRun: false,
    });
  }

  const outcomes = (report: RunReport) =>
    Object.fromEntries((report.seed?.images ?? []).map((image) => [image.reference, image.outcome]));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-seed-cri-'));
    [daemon, open, locked, tokened, api] = await Promise.all([
      startContainerd(),
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'basic' }),
      startRegistry({ auth: 'token' }),
      KubeApiFake.start(),
    ]);
    proxy = await startCountingProxy(open);
    for (const host of [proxy.host, locked.host, tokened.host]) daemon.addPlainHttpRegistry(host);
    cri = new CriImageRuntime({ socket: daemon.socket });
    for (const repository of ['web', 'cron']) await pushImage(open, { repository, tag: '1' });
    await pushImage(open, {
      repository: 'big',
      tag: '1',
      files: [randomFile('big.bin', 2 * 1024 * 1024)],
    });
    imagesBefore = (await cri.listImages()).length;
    await pushIndex(open, {
      repository: 'multiarch',
      tag: '1',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    await pushImage(locked, { repository: 'private/app', tag: '1' });
    await pushImage(locked, { repository: 'private/other', tag: '1' });
    await pushImage(tokened, { repository: 'team/tokened', tag: '1' });
    await writeFile(join(dir, 'kubeconfig.yaml'), api.kubeconfigYaml());

    const r = proxy.host;
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'containerd://1.6.20' } },
    });
    api.put(deployment('web', `${r}/web:1`));
    api.put(deployment('big', `${r}/big:1`));
    api.put(deployment('multiarch', `${r}/multiarch:1`));
    api.put(
      deployment('private', `${locked.host}/private/app:1`, { imagePullSecrets: [{ name: 'regcred' }] }),
    );
    api.put(
      deployment('tokened', `${tokened.host}/team/tokened:1`, { imagePullSecrets: [{ name: 'tokcred' }] }),
    );
    api.put(dockerConfigSecret('regcred', locked));
    api.put(dockerConfigSecret('tokcred', tokened));
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
  });

  afterAll(async () => {
    const unhandled = api?.unhandled ?? [];
    cri?.close();
    await Promise.allSettled([
      daemon?.stop(),
      open?.stop(),
      locked?.stop(),
      tokened?.stop(),
      api?.stop(),
      proxy?.stop(),
    ]);
    await rm(dir, { recursive: true, force: true });
    expect(unhandled).toEqual([]);
  });

  it('gets a cold containerd node every desired image, through the CRI, into the k8s.io namespace', async () => {
    // Act
    const report = await pass();

    // Assess
    const r = proxy.host;
    expect(imagesBefore).toBe(0);
    expect(report.runtime).toMatchObject({
      kind: 'cri',
      name: 'containerd',
      socket: daemon.socket,
      kubeletRuntime: 'containerd://1.6.20',
    });
    expect(report.seed?.images.filter((i) => i.outcome === 'failed')).toEqual([]);
    expect(outcomes(report)).toEqual({
      [`${r}/web:1`]: 'pulled',
      [`${r}/big:1`]: 'pulled',
      [`${r}/multiarch:1`]: 'pulled',
      [`${r}/cron:1`]: 'pulled',
      [`${locked.host}/private/app:1`]: 'pulled',
      [`${tokened.host}/team/tokened:1`]: 'pulled',
    });
    expect(report.exitCode).toBe(0);
    // what the kubelet sees: the CRI's own image list, managed by the CRI plugin
    const listed = (await ctr(daemon, ['images', 'ls'])).stdout;
    for (const image of report.seed?.images ?? []) {
      expect(listed).toContain(image.reference);
      const name = image.reference.replace(/:[^/:]*$/, '');
      const local = await cri.inspectImage(image.reference);
      expect(local?.repoDigests).toContain(`${name}@${image.digest}`);
    }
    expect(listed).toContain('io.cri-containerd.image=managed');
    // bytes from the manifest: the 2 MiB random layer is (incompressibly) at least 2 MiB
    const big = report.seed?.images.find((image) => image.reference === `${r}/big:1`);
    expect(big?.bytes).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('on a warm re-run pulls nothing and makes no manifest GET', async () => {
    // Prepare
    proxy.reset();

    // Act
    const report = await pass();

    // Assess
    expect(report.seed?.counts).toMatchObject({ pulled: 0, present: 6, failed: 0 });
    const kinds = proxy.requests.map(
      (request) =>
        `${request.method} ${request.path.replace(/\/v2\/.+\/manifests\/.*/, '/v2/*/manifests/*')}`,
    );
    expect(new Set(kinds)).toEqual(new Set(['GET /v2/', 'HEAD /v2/*/manifests/*']));
    expect(kinds.filter((kind) => kind.startsWith('HEAD'))).toHaveLength(4);
  });

  it('re-pulls a tag that moved in the registry', async () => {
    // Prepare
    const moved = await pushImage(open, { repository: 'web', tag: '1', labels: { build: '2' } });

    // Act
    const report = await pass();

    // Assess
    const web = report.seed?.images.find((image) => image.reference === `${proxy.host}/web:1`);
    expect(web).toMatchObject({ outcome: 'pulled', digest: moved.digest });
    expect(web?.why).toMatch(/^tag moved/);
    expect(report.seed?.counts.pulled).toBe(1);
    expect((await cri.inspectImage(`${proxy.host}/web:1`))?.repoDigests).toContain(
      `${proxy.host}/web@${moved.digest}`,
    );
  });

  it('fails a private image clearly without its pull secret and still serves the rest', async () => {
    // Prepare
    api.put(deployment('nosecret', `${locked.host}/private/other:1`));

    // Act
    const report = await pass();
    api.remove('Deployment', 'nosecret', 'shop');

    // Assess
    const other = report.seed?.images.find((image) => image.reference === `${locked.host}/private/other:1`);
    expect(other).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(outcomes(report)[`${locked.host}/private/app:1`]).toBe('present');
    expect(report.exitCode).toBe(1);
    expect(await cri.inspectImage(`${locked.host}/private/other:1`)).toBeUndefined();
  });

  it('the CRI itself refuses a private pull without credentials as an auth error naming the socket', async () => {
    // Act
    const pull = cri.pullImage(`${locked.host}/private/other:1`);

    // Assess
    await expect(pull).rejects.toBeInstanceOf(AuthError);
    await expect(pull).rejects.toThrow(daemon.socket);
    await expect(
      cri.pullImage(`${locked.host}/private/other:1`, {
        credentials: { username: locked.username ?? '', password: locked.password ?? '' },
      }),
    ).resolves.toEqual({ bytes: 0 });
  });
});
