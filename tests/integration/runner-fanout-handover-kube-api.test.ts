// The desired set computed once per tick and handed over, against the Kubernetes API fake with
// a mixed cluster (containerd, CRI-O and Docker nodes): the fan-out lists the workloads once
// and reads each pull secret once; every node Job mounts its own node's runtime socket and owns
// a ConfigMap (its set) and a Secret (only the credentials its images need). Node passes then
// run on the files the kubelet would mount from those objects, and make no list call and no
// Secret read; a pass started by hand, without a handed set, still reads the cluster itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { Config } from '../../core/config/schema.ts';
import { silentLogger } from '../../core/logger.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import { fanoutSucceeded, runFanout } from '../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../runner/fanout/KubeJobScheduler.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { KubeApiFake, type KubeObject, type RequestRecord } from '../support/kube-api-fake.ts';
import { materializeVolume } from '../support/kube-api-fake-volumes.ts';
import { testNodePassPorts } from '../support/node-pass-ports.ts';
import { FakeRegistry, FakeRuntime } from '../unit/runner/fakes.ts';
import { node } from '../unit/runner/fanout/helpers.ts';

const NS = 'imagewarden';
const RUN = '202603011200';
const jobName = (n: string) => `imagewarden-node-${n}-${RUN}`;
const digest = (n: number) => `sha256:${String(n).repeat(64)}`;

const dockerConfig = (user: string) =>
  Buffer.from(
    JSON.stringify({ auths: { 'registry.corp': { auth: Buffer.from(`${user}:pw`).toString('base64') } } }),
  ).toString('base64');

function deployment(name: string, image: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: { replicas: 1, selector: {}, template: { spec: { containers: [{ name: 'c', image }], ...spec } } },
  };
}

/** The list calls among requests: a GET of a collection (cluster-wide or in a namespace), not of one object. */
const lists = (requests: RequestRecord[]) =>
  requests.filter(
    (r) =>
      r.method === 'GET' && /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/[^/]+)?\/[^/]+$/.test(r.path),
  );

describe('desired sets handed to node Jobs, against the Kubernetes API fake (mixed cluster)', () => {
  let api: KubeApiFake;
  let clock: ManualClock;
  let dir: string;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-01T12:00:00Z');
    api = await KubeApiFake.start({ now: () => clock.now() });
    dir = await mkdtemp(join(tmpdir(), 'iw-handover-'));
    for (const name of [NS, 'shop']) api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const runtimes = {
      'w-containerd': 'containerd://1.7.13',
      'w-crio': 'cri-o://1.30.1',
      'w-docker': 'docker://24.0.7',
    };
    for (const [name, version] of Object.entries(runtimes)) {
      const labels: Record<string, string> = name === 'w-docker' ? { legacy: 'true' } : {};
      const object = node(name, { labels }) as unknown as KubeObject;
      api.put({
        ...object,
        status: { ...(object.status as object), nodeInfo: { containerRuntimeVersion: version } },
      });
    }
    // web: every node, with its own pull secret; legacy: only the Docker node, through its
    // service account's pull secret; report: a suspended CronJob; unused: never read
    api.put(deployment('web', 'registry.corp/shop/web:1', { imagePullSecrets: [{ name: 'web-pull' }] }));
    api.put(
      deployment('legacy', 'registry.corp/shop/legacy:2', {
        nodeSelector: { legacy: 'true' },
        serviceAccountName: 'builder',
      }),
    );
    api.put({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'report', namespace: 'shop' },
      spec: {
        schedule: '0 1 * * *',
        suspend: true,
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: 'r', image: 'registry.corp/shop/report:3' }] } } },
        },
      },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'legacy-pull' }],
    });
    for (const [name, user] of [
      ['web-pull', 'web'],
      ['legacy-pull', 'legacy'],
      ['unused-pull', 'nobody'],
    ] as const) {
      api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'shop' },
        type: 'kubernetes.io/dockerconfigjson',
        data: {
          '.dockerconfigjson': dockerConfig(user),
          extra: Buffer.from('not for nodes').toString('base64'),
        },
      });
    }
  });

  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    await rm(dir, { recursive: true, force: true });
    expect(unhandled).toEqual([]);
  });

  const reader = () => new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} });
  const tick = () =>
    runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster: reader(),
      runner: Config.parse({ runner: { fanout: { image: 'ghcr.io/imagewarden/runner:0.1.0' } } }).runner,
      clock,
      logger: silentLogger(),
    });
  const storedJob = (n: string) => api.get('Job', jobName(n), NS) as unknown as V1Job & KubeObject;

  /** One node pass as the Job's pod runs it: on the files of its handed volume, with the Job's env. */
  async function passOnNode(n: string, handed: boolean) {
    const job = storedJob(n);
    const pod = job.spec?.template.spec;
    const env = Object.fromEntries(
      (pod?.containers[0]?.env ?? []).flatMap((e) => (e.value ? [[e.name, e.value]] : [])),
    );
    const mount = join(dir, n);
    const volume = pod?.volumes?.find((v) => v.name === 'desired-set');
    if (handed && volume) await materializeVolume(api, NS, volume, mount);
    const runtime = new FakeRuntime();
    // the runtime the Job was pointed at answers as that runtime (a mismatch stops the pass)
    if (env.IMAGEWARDEN_RUNNER__RUNTIME === 'cri') {
      const name = n === 'w-crio' ? 'cri-o' : 'containerd';
      runtime.info = async () => ({ kind: 'cri', name, version: '1.7.0', rootDir: undefined });
    }
    const registry = new FakeRegistry();
    for (const [i, ref] of ['shop/web:1', 'shop/legacy:2', 'shop/report:3'].entries())
      registry.digests.set(`registry.corp/${ref}`, digest(i + 1));
    registry.digests.set('ghcr.io/imagewarden/runner:0.1.0', digest(9));
    const config = Config.parse({
      runner: {
        stateDir: join(dir, `${n}-state`),
        minFreeBytes: 0,
        selinux: { enabled: false },
        ...(handed ? { desiredSet: join(mount, 'desired-set.json.gz') } : {}),
      },
    }).runner;
    const from = api.requests.length;
    const report = await runNodePass(testNodePassPorts({ cluster: reader(), runtime, registry, clock }), {
      nodeName: n,
      config,
      dryRun: false,
    });
    return { report, runtime, env, requests: api.requests.slice(from) };
  }

  it('lists once, mounts each node its own runtime socket and hands each Job an owned set and Secret', async () => {
    // Act
    const result = await tick();
    // Assess: one list per workload kind, one read per pull secret, for the whole tick
    expect(fanoutSucceeded(result)).toBe(true);
    expect(result.createdJobs.sort()).toEqual(['w-containerd', 'w-crio', 'w-docker'].map(jobName));
    const deploymentLists = api.requests.filter((r) => r.path === '/apis/apps/v1/deployments');
    expect(deploymentLists).toHaveLength(1);
    const secretReads = api.requests.filter((r) => r.method === 'GET' && r.path.includes('/secrets/'));
    expect(secretReads.map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/shop/secrets/legacy-pull',
      '/api/v1/namespaces/shop/secrets/web-pull',
    ]);
    const sockets = Object.fromEntries(
      ['w-containerd', 'w-crio', 'w-docker'].map((n) => {
        const pod = storedJob(n).spec?.template.spec;
        const socket = pod?.volumes?.find((v) => v.name === 'runtime-socket')?.hostPath?.path;
        const env = pod?.containers[0]?.env?.find((e) => e.name === 'IMAGEWARDEN_RUNNER__RUNTIME')?.value;
        const imageStore = pod?.volumes?.some((v) => v.name === 'image-store');
        return [n, { socket, env, imageStore }];
      }),
    );
    expect(sockets).toEqual({
      'w-containerd': { socket: '/run/containerd/containerd.sock', env: 'cri', imageStore: false },
      'w-crio': { socket: '/var/run/crio/crio.sock', env: 'cri', imageStore: false },
      'w-docker': { socket: '/var/run/docker.sock', env: 'docker', imageStore: true },
    });
    for (const n of ['w-containerd', 'w-docker']) {
      const job = storedJob(n);
      for (const kind of ['ConfigMap', 'Secret']) {
        const object = api.get(kind, jobName(n), NS);
        expect(object?.metadata.ownerReferences, `${kind} of ${n}`).toEqual([
          { apiVersion: 'batch/v1', kind: 'Job', name: jobName(n), uid: job.metadata.uid },
        ]);
      }
    }
    // each Secret holds only what its node's images name, and only the pull-secret keys
    const handedSecrets = (n: string) =>
      JSON.parse(
        Buffer.from(
          (api.get('Secret', jobName(n), NS) as unknown as { data: Record<string, string> }).data[
            'pull-secrets.json'
          ] ?? '',
          'base64',
        ).toString('utf8'),
      ) as { secrets: Record<string, { data: Record<string, string> }> };
    expect(Object.keys(handedSecrets('w-containerd').secrets)).toEqual(['shop/web-pull']);
    expect(Object.keys(handedSecrets('w-docker').secrets).sort()).toEqual([
      'shop/legacy-pull',
      'shop/web-pull',
    ]);
    expect(Object.keys(handedSecrets('w-docker').secrets['shop/web-pull']?.data ?? {})).toEqual([
      '.dockerconfigjson',
    ]);
  });

  it('runs node passes on their handed sets with no list call and no Secret read', async () => {
    // Prepare
    await tick();
    // Act
    const passes = [];
    for (const n of ['w-containerd', 'w-crio', 'w-docker']) passes.push(await passOnNode(n, true));
    // Assess
    const [containerd, , docker] = passes;
    for (const pass of passes) {
      expect(pass.report.exitCode).toBe(0);
      expect(lists(pass.requests)).toEqual([]);
      expect(
        pass.requests.filter((r) => r.path.includes('/secrets') || r.path.includes('/serviceaccounts')),
      ).toEqual([]);
      // what is left is the Event on the Node
      expect(pass.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /api/v1/namespaces/default/events',
      ]);
    }
    // the suspended CronJob counts, like an app scaled to zero
    expect(containerd?.report.seed?.images.map((i) => i.reference).sort()).toEqual([
      'registry.corp/shop/report:3',
      'registry.corp/shop/web:1',
    ]);
    // credentials came with the set: each image pulled with its own secret
    expect(
      Object.fromEntries((docker?.runtime.pulls ?? []).map((p) => [p.reference, p.credentials?.username])),
    ).toEqual({
      'registry.corp/shop/web:1': 'web',
      'registry.corp/shop/legacy:2': 'legacy',
      'registry.corp/shop/report:3': undefined,
    });
    expect(docker?.report.runtime?.kubeletRuntime).toBeDefined();
    expect(containerd?.env.IMAGEWARDEN_RUNNER__SOCKET).toBe('/run/containerd/containerd.sock');
  });

  it('still runs a node pass started by hand without a handed set, reading the cluster itself', async () => {
    // Prepare
    await tick();
    // Act
    const handed = await passOnNode('w-docker', true);
    const byHand = await passOnNode('w-docker', false);
    // Assess: the same images and credentials, but read from the API
    expect(byHand.report.exitCode).toBe(0);
    // (by hand it also sees the runner image of the node Jobs, created after the fan-out listed)
    const runnerImage = (reference: string) => reference.startsWith('ghcr.io/imagewarden/runner');
    expect(
      byHand.report.seed?.images
        .map((i) => i.reference)
        .filter((r) => !runnerImage(r))
        .sort(),
    ).toEqual(handed.report.seed?.images.map((i) => i.reference).sort());
    expect(
      byHand.runtime.pulls
        .filter((p) => !runnerImage(p.reference))
        .map((p) => [p.reference, p.credentials?.username])
        .sort(),
    ).toEqual(handed.runtime.pulls.map((p) => [p.reference, p.credentials?.username]).sort());
    expect(lists(byHand.requests).length).toBeGreaterThanOrEqual(7);
    expect(byHand.requests.some((r) => r.path === '/api/v1/namespaces/shop/secrets/legacy-pull')).toBe(true);
  });

  it('refuses a set handed to another node', async () => {
    // Prepare: w-crio's pod somehow given w-docker's set
    await tick();
    const volume = storedJob('w-docker').spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set');
    if (!volume) throw new Error('no desired-set volume');
    await materializeVolume(api, NS, volume, join(dir, 'wrong'));
    const config = Config.parse({
      runner: {
        stateDir: join(dir, 's'),
        selinux: { enabled: false },
        desiredSet: join(dir, 'wrong', 'desired-set.json.gz'),
      },
    }).runner;
    const runtime = new FakeRuntime();
    // Act
    const report = await runNodePass(
      testNodePassPorts({ cluster: reader(), runtime, registry: new FakeRegistry(), clock }),
      { nodeName: 'w-crio', config, dryRun: false },
    );
    // Assess
    expect(report.exitCode).toBe(1);
    expect(report.fatal).toMatch(/is for node w-docker, not w-crio/);
    expect(runtime.pulls).toEqual([]);
  });

  it('lets the handed ConfigMap and Secret go with their Job', async () => {
    // Prepare
    await tick();
    // Act: what the TTL controller or the fan-out's cleanup does
    await new KubeJobScheduler(api.kubeConfig()).deleteJob(NS, jobName('w-docker'));
    // Assess
    expect(api.get('ConfigMap', jobName('w-docker'), NS)).toBeUndefined();
    expect(api.get('Secret', jobName('w-docker'), NS)).toBeUndefined();
    expect(api.get('ConfigMap', jobName('w-crio'), NS)).toBeDefined();
  });

  it('deletes a Job whose handover could not be created, so its pod never waits for a missing volume', async () => {
    // Prepare
    api.fault({ method: 'POST', path: `/api/v1/namespaces/${NS}/secrets` }, { kind: 'forbidden' });
    // Act
    const result = await tick();
    // Assess: every node's set needs a secret here; no Job is left without its handover
    expect(result.jobs).toMatchObject({ created: 0, failed: 3 });
    expect(result.failures[0]?.error).toMatch(/forbidden/);
    expect(api.list('Job', NS)).toEqual([]);
    expect(api.list('ConfigMap', NS)).toEqual([]);
  });
});
