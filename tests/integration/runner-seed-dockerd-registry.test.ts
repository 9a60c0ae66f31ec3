// The node runner's seed pass end to end against a real dockerd (vfs, private socket), real
// docker-registry instances (anonymous behind a counting proxy, and basic auth) and the
// Kubernetes API fake holding real-shaped workloads. The tests run in order on one node:
// cold, warm, moved tag, private images, bad input, and the CLI's dry run.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Config } from '../../core/config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { productionPorts } from '../../runner/production-ports.ts';
import type { RunReport } from '../../runner/report.ts';
import { runImagewarden } from '../support/cli.ts';
import { type CountingProxy, startCountingProxy } from '../support/counting-proxy.ts';
import { type Dockerd, docker, startDockerd } from '../support/dockerd.ts';
import { pushImage, pushIndex } from '../support/images.ts';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { freePort } from '../support/ports.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

const NODE = 'node-a';

function deployment(
  name: string,
  images: string[],
  extra: Record<string, unknown> = {},
  replicas = 1,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })), ...extra },
      },
    },
  };
}

function dockerConfigSecret(name: string, json: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'shop' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(json).toString('base64') },
  };
}

describe('runner seed against dockerd + docker-registry + Kubernetes API fake', () => {
  let daemon: Dockerd;
  let open: TestRegistry;
  let locked: TestRegistry;
  let tokened: TestRegistry;
  let proxy: CountingProxy;
  let api: KubeApiFake;
  let dir: string;
  let deadHost: string;
  let pinned: string;
  const logLines: string[] = [];

  const config = () =>
    Config.parse({
      registry: {
        insecure: [proxy.host, locked.host, tokened.host, deadHost],
        pingTimeout: 2000,
        retries: 1,
      },
      runner: {
        nodeName: NODE,
        kubeconfig: join(dir, 'kubeconfig.yaml'),
        socket: daemon.socket,
        stateDir: join(dir, 'state'),
        imageStorePath: daemon.dataRoot,
        minFreeBytes: 0,
        pullRetries: 1,
        pullTimeout: '2m',
      },
    });

  async function pass(): Promise<RunReport> {
    logLines.length = 0;
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    const cfg = config();
    return runNodePass(productionPorts(cfg, logger, {}), {
      nodeName: NODE,
      config: cfg.runner,
      dryRun: false,
    });
  }

  const outcomes = (report: RunReport) =>
    Object.fromEntries((report.seed?.images ?? []).map((image) => [image.reference, image.outcome]));

  async function localDigests(reference: string): Promise<string[]> {
    const { stdout } = await docker(daemon, [
      'image',
      'inspect',
      '--format',
      '{{json .RepoDigests}}',
      reference,
    ]);
    return JSON.parse(stdout) as string[];
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iw-seed-'));
    [daemon, open, locked, tokened, api] = await Promise.all([
      startDockerd(),
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'basic' }),
      startRegistry({ auth: 'token' }),
      KubeApiFake.start(),
    ]);
    proxy = await startCountingProxy(open);
    deadHost = `127.0.0.1:${await freePort()}`;
    for (const repository of ['web', 'init', 'notebook', 'cron', 'agent', 'gpu-only']) {
      await pushImage(open, { repository, tag: '1', labels: { app: repository } });
    }
    await pushIndex(open, {
      repository: 'multiarch',
      tag: '1',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    pinned = `${proxy.host}/pinned@${(await pushImage(open, { repository: 'pinned', tag: 'v' })).digest}`;
    await pushImage(locked, { repository: 'private/app', tag: '1' });
    await pushImage(locked, { repository: 'private/other', tag: '1' });
    await pushImage(tokened, { repository: 'team/tokened', tag: '1', labels: { auth: 'token' } });
    await writeFile(join(dir, 'kubeconfig.yaml'), api.kubeconfigYaml());

    const r = proxy.host;
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { pool: 'apps', 'kubernetes.io/hostname': NODE } },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.24' } },
    });
    api.put({
      ...deployment('web', [`${r}/web:1`]),
      spec: {
        ...(deployment('web', [`${r}/web:1`]).spec as object),
        template: {
          spec: {
            initContainers: [{ name: 'init', image: `${r}/init:1` }],
            containers: [{ name: 'web', image: `${r}/web:1` }],
          },
        },
      },
    });
    api.put(deployment('notebook', [`${r}/notebook:1`], {}, 0));
    api.put(deployment('multiarch', [`${r}/multiarch:1`]));
    api.put(deployment('gpu', [`${r}/gpu-only:1`], { nodeSelector: { pool: 'gpu' } }));
    api.put(deployment('legacy', [`${deadHost}/legacy:1`]));
    api.put(
      deployment('private', [`${locked.host}/private/app:1`], { imagePullSecrets: [{ name: 'regcred' }] }),
    );
    api.put(
      dockerConfigSecret(
        'regcred',
        JSON.stringify({
          auths: {
            [locked.host]: { auth: Buffer.from(`${locked.username}:${locked.password}`).toString('base64') },
          },
        }),
      ),
    );
    api.put({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'pinned', namespace: 'shop' },
      spec: {
        replicas: 1,
        serviceName: 'p',
        selector: {},
        template: { spec: { containers: [{ name: 'p', image: pinned }] } },
      },
    });
    api.put({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'shop' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'a', image: `${r}/agent:1` }] } } },
    });
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
    await Promise.allSettled([
      daemon?.stop(),
      open?.stop(),
      locked?.stop(),
      tokened?.stop(),
      api?.stop(),
      proxy?.stop(),
    ]);
    await rm(dir, { recursive: true, force: true });
    // no request of any run hit a route the fake lacks
    expect(unhandled).toEqual([]);
  });

  it('gets a cold node every image it may need, skipping an unreachable registry and unschedulable pods', async () => {
    // Act
    const report = await pass();

    // Assess
    const r = proxy.host;
    expect(outcomes(report)).toEqual({
      [`${r}/notebook:1`]: 'pulled',
      [`${r}/agent:1`]: 'pulled',
      [`${r}/cron:1`]: 'pulled',
      [`${r}/init:1`]: 'pulled',
      [`${r}/multiarch:1`]: 'pulled',
      [`${r}/web:1`]: 'pulled',
      [`${locked.host}/private/app:1`]: 'pulled',
      [pinned]: 'pulled',
      [`${deadHost}/legacy:1`]: 'skipped',
    });
    expect(report.seed?.images[0]?.reference).toBe(`${r}/notebook:1`); // scaled to zero goes first
    expect(report.exitCode).toBe(0);
    expect(report.desired?.notSchedulable).toBe(1);
    await expect(docker(daemon, ['image', 'inspect', `${r}/gpu-only:1`])).rejects.toThrow();
    for (const image of report.seed?.images.filter((i) => i.outcome === 'pulled') ?? []) {
      const name = image.reference.replace(/[:@][^/]*$/, '');
      expect(await localDigests(image.reference)).toContain(`${name}@${image.digest}`);
    }
    const unreachableLines = logLines.filter((line) => line.includes('registry unreachable'));
    expect(unreachableLines).toHaveLength(1);
    expect(unreachableLines[0]).toContain(deadHost);
    const [event] = api.list('Event', 'default');
    expect(event).toMatchObject({
      reason: 'ImagesSeeded',
      type: 'Normal',
      involvedObject: { kind: 'Node', name: NODE },
    });
    const state = JSON.parse(await readFile(join(dir, 'state', 'node-state.json'), 'utf8'));
    expect(state.images[`${r}/web:1`]).toMatchObject({ managed: true, lastPull: { result: 'pulled' } });
    const reportFile = JSON.parse(await readFile(join(dir, 'state', 'last-run.json'), 'utf8'));
    expect(reportFile.seed.counts).toMatchObject({ desired: 9, pulled: 8 });
    expect(api.unhandled).toEqual([]);
  });

  it('on a warm re-run pulls nothing and sends only pings and manifest HEADs', async () => {
    // Prepare
    proxy.reset();

    // Act
    const report = await pass();

    // Assess
    expect(report.seed?.counts).toMatchObject({ pulled: 0, present: 8, failed: 0 });
    expect(report.exitCode).toBe(0);
    const kinds = proxy.requests.map(
      (request) =>
        `${request.method} ${request.path.replace(/\/v2\/.+\/manifests\/.*/, '/v2/*/manifests/*')}`,
    );
    expect(new Set(kinds)).toEqual(new Set(['GET /v2/', 'HEAD /v2/*/manifests/*']));
    // six tags through the proxy (one a multi-arch index), one HEAD each; the pinned image costs nothing
    expect(kinds.filter((kind) => kind.startsWith('HEAD'))).toHaveLength(6);
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
    expect(await localDigests(`${proxy.host}/web:1`)).toEqual([`${proxy.host}/web@${moved.digest}`]);
  });

  it('fails a private image clearly without its pull secret and still pulls the rest', async () => {
    // Prepare
    api.put(deployment('nosecret', [`${locked.host}/private/other:1`]));

    // Act
    const report = await pass();
    api.remove('Deployment', 'nosecret', 'shop');

    // Assess
    const other = report.seed?.images.find((image) => image.reference === `${locked.host}/private/other:1`);
    expect(other).toMatchObject({ outcome: 'failed', errorKind: 'auth' });
    expect(other?.error).toMatch(/requires credentials|unauthori[sz]ed|authentication required/i);
    expect(outcomes(report)[`${locked.host}/private/app:1`]).toBe('present');
    expect(report.exitCode).toBe(1);
    expect(api.list('Event', 'default').some((event) => event.reason === 'ImageSeedFailed')).toBe(true);
  });

  it('counts malformed images, a broken pull secret and failing lists, and proceeds with the rest', async () => {
    // Prepare
    api.put(deployment('broken', ['Not//A:Ref', `${proxy.host}/web:1`]));
    api.put(
      deployment('badsecret', [`${locked.host}/private/app:1`], { imagePullSecrets: [{ name: 'broken' }] }),
    );
    api.put(dockerConfigSecret('broken', '{"auths": {'));
    api.fault({ path: '/apis/apps/v1/statefulsets' }, { kind: 'status', code: 500 });
    api.fault({ path: '/apis/batch/v1/cronjobs' }, { kind: 'truncated' });

    // Act
    const report = await pass();
    api.clearFaults();
    api.remove('Deployment', 'broken', 'shop');
    api.remove('Deployment', 'badsecret', 'shop');

    // Assess
    expect(report.desired?.malformed).toEqual([
      expect.objectContaining({ workload: 'Deployment shop/broken', image: 'Not//A:Ref' }),
    ]);
    expect(report.secretProblems).toEqual([
      expect.objectContaining({ secret: 'shop/broken', message: expect.stringContaining('not valid JSON') }),
    ]);
    expect(report.desired?.listFailures.map((failure) => failure.kind)).toEqual(['StatefulSet', 'CronJob']);
    expect(report.seed?.counts.failed).toBe(0);
    expect(outcomes(report)[`${proxy.host}/web:1`]).toBe('present');
    // the private image is still pulled with the other workload's working secret
    expect(outcomes(report)[`${locked.host}/private/app:1`]).toBe('present');
    expect(report.exitCode).toBe(1);
  });

  it('pulls from a token-auth registry with the pull secret of its service account', async () => {
    // Prepare
    const auth = Buffer.from(`${tokened.username}:${tokened.password}`).toString('base64');
    api.put(dockerConfigSecret('tokcred', JSON.stringify({ auths: { [tokened.host]: { auth } } })));
    api.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'tokcred' }],
    });
    api.put(deployment('tokened', [`${tokened.host}/team/tokened:1`], { serviceAccountName: 'builder' }));

    // Act
    const report = await pass();

    // Assess
    expect(outcomes(report)[`${tokened.host}/team/tokened:1`]).toBe('pulled');
    expect(report.exitCode).toBe(0);
    expect(await localDigests(`${tokened.host}/team/tokened:1`)).toHaveLength(1);
    // both the runner's HEAD and dockerd's pull authenticated as the secret's user
    expect(
      tokened.issuer?.requests.filter((r) => r.account === tokened.username && r.status === 200).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('prints the plan in a CLI dry run with --check-registry and changes nothing', async () => {
    // Prepare
    await docker(daemon, ['image', 'rm', `${proxy.host}/cron:1`]);
    const configFile = join(dir, 'imagewarden.yaml');
    const cfg = config();
    await writeFile(
      configFile,
      stringify({
        registry: { insecure: cfg.registry.insecure },
        runner: {
          ...cfg.runner,
          prune: undefined,
          selinux: undefined,
          fanout: undefined,
          pullTimeout: 120_000,
        },
      }),
    );
    const eventsBefore = api.list('Event', 'default').length;

    // Act
    const run = await runImagewarden([
      'runner',
      'node',
      '--once',
      '--dry-run',
      '--check-registry',
      '--config',
      configFile,
    ]);

    // Assess
    expect(run.stdout).toContain(
      `PULL   ${proxy.host}/cron:1  (not present locally; wanted by CronJob shop/nightly)`,
    );
    expect(run.stdout).toContain(`OK     ${proxy.host}/web:1`);
    expect(run.stdout).toContain(`SKIP   ${deadHost}/legacy:1`);
    expect(run.code).toBe(0);
    await expect(docker(daemon, ['image', 'inspect', `${proxy.host}/cron:1`])).rejects.toThrow();
    expect(api.list('Event', 'default')).toHaveLength(eventsBefore);
  });
});
