// The node runner's RBAC, checked against what real node passes ask of the Kubernetes API fake
// (production adapter, SELinux checks on): a pass handed its desired set by the fan-out needs
// only what the base grants the node ServiceAccount (no Secret, no list of any kind, no Node
// read: its SELinux step reads the pods and namespaces handed with the set), and uses all of
// it; a pass started by hand needs, and uses, the read-pull-secrets overlay.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Config } from '../../../core/config/schema.ts';
import { silentLogger } from '../../../core/logger.ts';
import { KubeClusterReader } from '../../../runner/cluster/KubeClusterReader.ts';
import { runFanout } from '../../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../../runner/fanout/KubeJobScheduler.ts';
import { runNodePass } from '../../../runner/node-pass.ts';
import { KubeApiFake, type KubeObject } from '../../support/kube-api-fake.ts';
import { materializeVolume } from '../../support/kube-api-fake-volumes.ts';
import { testNodePassPorts } from '../../support/node-pass-ports.ts';
import { FakeRegistry, FakeRuntime } from '../runner/fakes.ts';
import { node } from '../runner/fanout/helpers.ts';
import { kustomizeBuild } from './kustomize.ts';
import { checkAccess, grantedPairs, grantsFor } from './rbac-grants.ts';

const NS = 'imagewarden';

describe('node runner RBAC against the requests of real node passes', () => {
  let api: KubeApiFake;
  let dir: string;
  const clock = new ManualClock('2026-03-01T12:00:00Z');

  beforeEach(async () => {
    api = await KubeApiFake.start({ now: () => clock.now() });
    dir = await mkdtemp(join(tmpdir(), 'iw-rbac-node-'));
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    api.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'imagewarden.io/selinux-context': '593-693' } },
    });
    api.put(node('w1') as KubeObject);
    // one image with a workload pull secret, one whose service account names one
    const auth = Buffer.from('alice:pw').toString('base64');
    const config = Buffer.from(JSON.stringify({ auths: { 'a.corp': { auth } } })).toString('base64');
    for (const name of ['regcred', 'sa-cred']) {
      api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'shop' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': config },
      });
    }
    api.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'shop' },
      imagePullSecrets: [{ name: 'sa-cred' }],
    });
    const deployment = (name: string, image: string, spec: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop' },
      spec: { template: { spec: { containers: [{ name: 'c', image }], ...spec } } },
    });
    api.put(deployment('app', 'a.corp/app:1', { imagePullSecrets: [{ name: 'regcred' }] }));
    api.put(deployment('job', 'a.corp/job:1', { serviceAccountName: 'builder' }));
  });
  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    await rm(dir, { recursive: true, force: true });
    // every request of the pass was one the fake understands
    expect(unhandled).toEqual([]);
  });

  async function pass(desiredSet: string | undefined) {
    const podsRoot = join(dir, 'pods');
    await mkdir(podsRoot, { recursive: true });
    const registry = new FakeRegistry();
    for (const image of ['a.corp/app:1', 'a.corp/job:1', 'ghcr.io/imagewarden/runner:0.1.0'])
      registry.digests.set(image, `sha256:${'a'.repeat(64)}`);
    const from = api.requests.length;
    const report = await runNodePass(
      testNodePassPorts({
        cluster: new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
        runtime: new FakeRuntime(),
        registry,
        clock,
      }),
      {
        nodeName: 'w1',
        config: Config.parse({
          runner: {
            stateDir: join(dir, 'state'),
            minFreeBytes: 0,
            selinux: { enabled: true, podsRoot },
            ...(desiredSet ? { desiredSet } : {}),
          },
        }).runner,
        dryRun: false,
      },
    );
    return { report, requests: api.requests.slice(from) };
  }

  it('a pass handed its set needs exactly the base grants: no Secret, no list, no Node', async () => {
    // Prepare: the fan-out's tick hands w1 its set, as the pod would mount it
    await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster: new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
      runner: Config.parse({ runner: { fanout: { image: 'ghcr.io/imagewarden/runner:0.1.0' } } }).runner,
      clock,
      logger: silentLogger(),
    });
    const job = api.list('Job', NS)[0] as unknown as V1Job;
    const volume = job.spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set');
    if (!volume) throw new Error('the node Job has no desired-set volume');
    await materializeVolume(api, NS, volume, join(dir, 'handed'));
    const grants = grantsFor(kustomizeBuild(join('infra', 'base')), 'imagewarden-node');
    // Act
    const { report, requests } = await pass(join(dir, 'handed', 'desired-set.json.gz'));
    // Assess
    expect(report.secretProblems).toEqual([]);
    expect(report.seed?.counts).toMatchObject({ desired: 2, pulled: 2 });
    const { denied, used } = checkAccess(requests, grants);
    expect(denied).toEqual([]);
    expect(used).toEqual(grantedPairs(grants));
    expect([...used].sort()).toEqual(['create /events']);
    // the SELinux step ran on the handed namespaces and pods
    expect(report.sections.selinux).toMatchObject({ summary: { containersNewerThanHandedSet: 0 } });
  });

  it('a pass started by hand needs, and uses, what the read-pull-secrets overlay adds', async () => {
    // Prepare
    const grants = grantsFor(
      kustomizeBuild(join('infra', 'overlays', 'read-pull-secrets')),
      'imagewarden-node',
    );
    // Act
    const { report, requests } = await pass(undefined);
    // Assess
    expect(report.secretProblems).toEqual([]);
    expect(report.seed?.counts).toMatchObject({ desired: 2, pulled: 2 });
    const { denied, used } = checkAccess(requests, grants);
    expect(denied).toEqual([]);
    expect(used).toEqual(grantedPairs(grants));
    // the base alone refuses it
    const base = checkAccess(requests, grantsFor(kustomizeBuild(join('infra', 'base')), 'imagewarden-node'));
    expect(base.denied).toEqual(
      expect.arrayContaining([
        'get /secrets in shop',
        'get /nodes in (cluster)',
        'list /namespaces in (cluster)',
        'list /pods in (cluster)',
      ]),
    );
  });
});
