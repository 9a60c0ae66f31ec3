// The SELinux step of a node pass handed its set by the fan-out, against the Kubernetes API fake
// with real xattrs on a private tmpfs standing in for the kubelet's pods directory (the
// container runtime is a fake: this dockerd runs without --selinux-enabled). The fan-out hands
// each node Job the pods bound to its node and their namespaces' levels, so the pass makes no
// list call at all and still finds a drifted container and a drifted volume; a container of a
// pod created after the fan-out planned is counted, not flagged; a pass started by hand lists.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { Config } from '../../core/config/schema.ts';
import { silentLogger } from '../../core/logger.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import { readHandedSet } from '../../runner/desired/handed-set.ts';
import { fanoutSucceeded, runFanout } from '../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../runner/fanout/KubeJobScheduler.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import type { ContainerDetails, ContainerSummary } from '../../runner/runtime/ImageRuntime.ts';
import { KubeApiFake, type KubeObject, type RequestRecord } from '../support/kube-api-fake.ts';
import { materializeVolume } from '../support/kube-api-fake-volumes.ts';
import { testNodePassPorts } from '../support/node-pass-ports.ts';
import { requireBinary } from '../support/require.ts';
import { FakeRegistry, FakeRuntime } from '../unit/runner/fakes.ts';
import { node } from '../unit/runner/fanout/helpers.ts';

const NS = 'imagewarden';
const KEY = 'example.com/selinux-context';
const TENANT = 'system_u:object_r:container_file_t:s0:c593,c693';

/** The list calls among requests: a GET of a collection (cluster-wide or in a namespace). */
const lists = (requests: RequestRecord[]) =>
  requests.filter(
    (r) =>
      r.method === 'GET' && /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/[^/]+)?\/[^/]+$/.test(r.path),
  );

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
function setLabel(path: string, label: string): void {
  const value = `0x${Buffer.from(`${label}\0`).toString('hex')}`;
  sh('setfattr', ['-h', '-n', 'security.selinux', '-v', value, path]);
}

function pod(
  name: string,
  namespace: string,
  nodeName: string,
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { nodeName, containers: [{ name: 'app', image: `r.corp/${name}:1` }], ...spec },
    status: { phase: 'Running' },
  };
}

/** A running container of a pod, as the runtime reports it. */
function container(
  podName: string,
  namespace: string,
  level: string,
  mounts: ContainerDetails['mounts'] = [],
): ContainerDetails {
  return {
    id: `c-${podName}`,
    names: [`/k8s_app_${podName}`],
    image: `r.corp/${podName}:1`,
    imageId: 'sha256:x',
    state: 'running',
    labels: {
      'io.kubernetes.pod.namespace': namespace,
      'io.kubernetes.pod.name': podName,
      'io.kubernetes.pod.uid': `uid-${podName}`,
      'io.kubernetes.container.name': 'app',
    },
    pid: 10,
    processLabel: `system_u:system_r:container_t:${level}`,
    mountLabel: `system_u:object_r:container_file_t:${level}`,
    securityOpt: [],
    mounts,
  };
}

class NodeRuntime extends FakeRuntime {
  constructor(readonly containers: ContainerDetails[]) {
    super();
  }
  override async listContainers(): Promise<ContainerSummary[]> {
    return this.containers;
  }
  override async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    return this.containers.find((c) => c.id === id);
  }
}

describe('node SELinux step on a handed set, against the Kubernetes API fake with real xattrs', () => {
  let api: KubeApiFake;
  let dir: string;
  let podsRoot: string;
  let volume: string;
  const clock = new ManualClock('2026-03-01T12:00:00Z');

  beforeEach(async () => {
    requireBinary('setfattr', 'attr');
    api = await KubeApiFake.start({ now: () => clock.now() });
    dir = mkdtempSync(join(tmpdir(), 'iw-selinux-handed-'));
    sh('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
    // a volume of pod `web` with 3 of its 6 files at another tenant's level
    podsRoot = join(dir, 'pods');
    volume = join(podsRoot, 'uid-web/volumes/kubernetes.io~empty-dir/data');
    mkdirSync(volume, { recursive: true });
    setLabel(volume, TENANT);
    for (let i = 0; i < 6; i++) {
      writeFileSync(join(volume, `f${i}`), 'x');
      setLabel(join(volume, `f${i}`), i < 3 ? 'system_u:object_r:container_file_t:s0:c1,c2' : TENANT);
    }
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    api.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { [KEY]: '593-693', team: 'web' }, annotations: { note: 'x' } },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bank', annotations: { 'openshift.io/sa.scc.mcs': 's0:c20,c10' } },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'elsewhere', labels: { [KEY]: '7-8' } },
    });
    for (const name of ['n1', 'n2']) api.put(node(name) as KubeObject);
    api.put(pod('web', 'shop', 'n1'));
    api.put(pod('api', 'shop', 'n1'));
    // the pod asks for its own level: admission copied it, the container runs at it
    api.put(pod('vault', 'bank', 'n1', { securityContext: { seLinuxOptions: { level: 's0:c1,c2' } } }));
    api.put(pod('other', 'elsewhere', 'n2'));
  });

  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
    expect(unhandled).toEqual([]);
  });

  const reader = () => new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} });
  const runnerConfig = (extra: Record<string, unknown> = {}) =>
    Config.parse({
      runner: {
        stateDir: join(dir, 'state'),
        minFreeBytes: 0,
        prune: { enabled: false },
        selinux: { labelKey: KEY, podsRoot, relabel: false },
        // the fan-out runs outside a pod here, so it is told the node Jobs' image
        fanout: { image: 'ghcr.io/imagewarden/runner:0.1.0' },
        ...extra,
      },
    }).runner;

  /** The fan-out's tick, then n1's handed volume as the kubelet would mount it. */
  async function tickAndMount(): Promise<string> {
    const result = await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster: reader(),
      runner: runnerConfig(),
      clock,
      logger: silentLogger(),
    });
    expect(fanoutSucceeded(result)).toBe(true);
    const job = (api.list('Job', NS) as unknown as V1Job[]).find(
      (j) => j.spec?.template.spec?.nodeName === 'n1',
    );
    const source = job?.spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set');
    if (!source) throw new Error('the node Job of n1 has no desired-set volume');
    const mount = join(dir, 'handed');
    await materializeVolume(api, NS, source, mount);
    return join(mount, 'desired-set.json.gz');
  }

  async function passOnN1(desiredSet: string | undefined) {
    // `late` was created after the fan-out planned: its pod is in no handed set yet
    api.put(pod('late', 'shop', 'n1'));
    const runtime = new NodeRuntime([
      container('web', 'shop', 's0:c593,c693', [{ type: 'bind', source: volume, destination: '/data' }]),
      container('api', 'shop', 's0:c1,c2'),
      container('vault', 'bank', 's0:c1,c2'),
      container('late', 'shop', 's0:c1,c2'),
    ]);
    const registry = new FakeRegistry();
    for (const name of ['web', 'api', 'vault', 'late', 'other'])
      registry.digests.set(`r.corp/${name}:1`, `sha256:${'a'.repeat(64)}`);
    registry.digests.set('ghcr.io/imagewarden/runner:0.1.0', `sha256:${'b'.repeat(64)}`);
    const from = api.requests.length;
    const report = await runNodePass(testNodePassPorts({ cluster: reader(), runtime, registry, clock }), {
      nodeName: 'n1',
      config: runnerConfig(desiredSet ? { desiredSet } : {}),
      dryRun: false,
    });
    return { report, requests: api.requests.slice(from), selinux: report.sections.selinux };
  }

  it('makes no list call, finds the drifted container and volume, and counts the newer pod', async () => {
    // Prepare
    const desiredSet = await tickAndMount();
    // Act
    const { report, requests, selinux } = await passOnN1(desiredSet);
    // Assess: nothing listed; what is left is Events (the Node's and the findings')
    expect(report.fatal).toBeUndefined();
    expect(lists(requests)).toEqual([]);
    expect(
      new Set(requests.map((r) => `${r.method} ${r.path.replace(/namespaces\/[^/]+/, 'namespaces/*')}`)),
    ).toEqual(new Set(['POST /api/v1/namespaces/*/events']));
    expect(selinux?.summary).toMatchObject({
      containers: 3,
      containersDrifted: 1,
      containersNewerThanHandedSet: 1,
      volumes: 1,
      volumesDrifted: 1,
      filesDrifted: 3,
    });
    const details = selinux?.details as { issues: { check: string; subject?: string; detail: string }[] };
    // `api` is drifted; `vault` runs at its pod's own level (handed over), so it is not
    expect(details.issues.filter((i) => i.check === 'container-drift').map((i) => i.subject)).toEqual([
      'api/app',
    ]);
    expect(details.issues.filter((i) => i.check === 'volume-drift').map((i) => i.subject)).toEqual([volume]);
    expect(details.issues.some((i) => i.detail.includes('late'))).toBe(false);
    expect(
      api
        .list('Event', 'shop')
        .map((e) => e.reason)
        .sort(),
    ).toEqual(['SelinuxContainerDrift', 'SelinuxVolumeDrift']);
  });

  it('hands only the level keys of the namespaces with pods on the node, and only level fields of pods', async () => {
    // Prepare + Act
    const desiredSet = await tickAndMount();
    const handed = await readHandedSet(desiredSet, 'n1');
    // Assess
    expect(handed.selinux?.namespaces).toEqual([
      { name: 'bank', labels: {}, annotations: { 'openshift.io/sa.scc.mcs': 's0:c20,c10' } },
      { name: 'shop', labels: { [KEY]: '593-693' }, annotations: {} },
    ]);
    expect(handed.selinux?.pods.map((p) => p.metadata.name).sort()).toEqual(['api', 'vault', 'web']);
    expect(handed.selinux?.pods.find((p) => p.metadata.name === 'vault')).toEqual({
      metadata: { name: 'vault', namespace: 'bank', uid: 'uid-vault' },
      spec: { securityContext: { seLinuxOptions: { level: 's0:c1,c2' } }, containers: [] },
    });
  });

  it('lists namespaces and pods when started by hand, and then checks the newer pod too', async () => {
    // Act
    const { report, requests, selinux } = await passOnN1(undefined);
    // Assess
    expect(report.fatal).toBeUndefined();
    const paths = lists(requests).map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/namespaces', '/api/v1/pods']));
    expect(
      requests.some((r) => r.path === '/api/v1/pods' && r.query.fieldSelector === 'spec.nodeName=n1'),
    ).toBe(true);
    expect(selinux?.summary).toMatchObject({ containers: 4, containersDrifted: 2, volumesDrifted: 1 });
    expect(selinux?.summary).not.toHaveProperty('containersNewerThanHandedSet');
  });

  it('reports, not lists, when the fan-out handed no SELinux data', async () => {
    // Prepare: a fan-out with the checks off hands a set without the section
    const result = await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster: reader(),
      runner: runnerConfig({ selinux: { enabled: false } }),
      clock,
      logger: silentLogger(),
    });
    expect(result.jobs.created).toBe(2);
    const job = (api.list('Job', NS) as unknown as V1Job[]).find(
      (j) => j.spec?.template.spec?.nodeName === 'n1',
    );
    const source = job?.spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set');
    if (!source) throw new Error('no desired-set volume');
    await materializeVolume(api, NS, source, join(dir, 'plain'));
    // Act
    const { report, requests, selinux } = await passOnN1(join(dir, 'plain', 'desired-set.json.gz'));
    // Assess
    expect(lists(requests)).toEqual([]);
    expect(report.exitCode).toBe(1);
    expect(selinux).toMatchObject({ ok: false });
    expect(String(selinux?.summary.error)).toMatch(/carries no namespaces and pods for the SELinux checks/);
  });
});
