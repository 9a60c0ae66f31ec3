// The client-node adapter against the Kubernetes API fake: paging, workload reduction,
// retries of 500/429, truncated bodies, 403 and 410, and Events on a Node.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, UpstreamError } from '../../../../core/errors.ts';
import { KubeClusterReader } from '../../../../runner/cluster/KubeClusterReader.ts';
import { KubeApiFake } from '../../../support/kube-api-fake.ts';

function deployment(name: string, image: unknown, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ name: 'app', image }] } } },
  };
}

describe('KubeClusterReader', () => {
  let api: KubeApiFake;
  let reader: KubeClusterReader;
  beforeEach(async () => {
    api = await KubeApiFake.start();
    reader = new KubeClusterReader({ kubeConfig: api.kubeConfig(), pageSize: 2, sleep: async () => {} });
  });
  afterEach(async () => {
    expect(api.unhandled).toEqual([]);
    await api.stop();
  });

  it('pages through every workload with limit/continue and reduces it to its pod template', async () => {
    // Prepare
    for (let i = 0; i < 5; i += 1) api.put(deployment(`d${i}`, `app/d${i}:1`, i === 0 ? 0 : 2));

    // Act
    const listed = await reader.listWorkloads('Deployment');

    // Assess
    expect(listed.items.map((w) => [w.name, w.replicas, w.podSpec.containers[0]?.image])).toEqual([
      ['d0', 0, 'app/d0:1'],
      ['d1', 2, 'app/d1:1'],
      ['d2', 2, 'app/d2:1'],
      ['d3', 2, 'app/d3:1'],
      ['d4', 2, 'app/d4:1'],
    ]);
    expect(api.requests.map((r) => [r.path, r.query.limit, Boolean(r.query.continue)])).toEqual([
      ['/apis/apps/v1/deployments', '2', false],
      ['/apis/apps/v1/deployments', '2', true],
      ['/apis/apps/v1/deployments', '2', true],
    ]);
  });

  it('marks finished Jobs inactive, suspended CronJobs and unfinished Jobs suspended, and reads CronJob job templates', async () => {
    // Prepare
    const template = (image: string) => ({
      spec: { containers: [{ name: 'c', image }], restartPolicy: 'Never' },
    });
    api.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'done', namespace: 'default' },
      spec: { template: template('a:1') },
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
    });
    api.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'running', namespace: 'default' },
      spec: { template: template('b:1') },
      status: { active: 1 },
    });
    api.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'held', namespace: 'default' },
      spec: { suspend: true, template: template('d:1') },
    });
    api.put({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'default' },
      spec: { schedule: '0 1 * * *', suspend: true, jobTemplate: { spec: { template: template('c:1') } } },
    });

    // Act
    const jobs = await reader.listWorkloads('Job');
    const crons = await reader.listWorkloads('CronJob');

    // Assess
    expect(jobs.items.map((w) => [w.name, w.inactive, w.suspended])).toEqual([
      ['done', true, false],
      ['held', false, true],
      ['running', false, false],
    ]);
    expect(crons.items.map((w) => [w.name, w.inactive, w.suspended, w.podSpec.containers[0]?.image])).toEqual(
      [['nightly', false, true, 'c:1']],
    );
  });

  it('retries a 500 and a 429, then succeeds', async () => {
    // Prepare
    api.put(deployment('d', 'app/d:1'));
    api.fault({ path: '/apis/apps/v1/deployments', times: 1 }, { kind: 'status', code: 500 });
    api.fault({ path: '/apis/apps/v1/deployments', times: 1 }, { kind: 'throttle', retryAfterSeconds: 1 });

    // Act
    const listed = await reader.listWorkloads('Deployment');

    // Assess
    expect(listed.items).toHaveLength(1);
    expect(api.requests.map((r) => r.status)).toEqual([500, 429, 200]);
  });

  it("waits at least a 429's Retry-After before retrying", async () => {
    // Prepare
    const slept: number[] = [];
    const patient = new KubeClusterReader({
      kubeConfig: api.kubeConfig(),
      sleep: async (ms) => void slept.push(ms),
    });
    api.fault({ path: '/apis/apps/v1/deployments', times: 1 }, { kind: 'throttle', retryAfterSeconds: 7 });

    // Act
    await patient.listWorkloads('Deployment');

    // Assess
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(7000);
  });

  it('gives up with an UpstreamError after the attempts on a persistent 500 or truncated body', async () => {
    api.fault({ path: '/apis/apps/v1/deployments' }, { kind: 'truncated' });
    await expect(reader.listWorkloads('Deployment')).rejects.toBeInstanceOf(UpstreamError);
    expect(api.requests).toHaveLength(3);
  });

  it('times out a hanging request and retries it', async () => {
    // Prepare
    api.put(deployment('d', 'app/d:1'));
    api.fault({ path: '/apis/apps/v1/deployments', times: 1 }, { kind: 'hang' });
    // the hang never ends, so the timeout always fires; it is long enough that the healthy
    // retry never hits it on a loaded machine
    const impatient = new KubeClusterReader({
      kubeConfig: api.kubeConfig(),
      timeoutMs: 1500,
      sleep: async () => {},
    });

    // Act
    const listed = await impatient.listWorkloads('Deployment');

    // Assess
    expect(listed.items).toHaveLength(1);
    expect(api.requests.map((r) => r.fault ?? r.status)).toEqual(['hang', 200]);
  });

  it('turns a 403 into an AuthError naming the missing permission, without retrying', async () => {
    api.fault({ path: '/api/v1/pods' }, { kind: 'forbidden' });
    const error = await reader.listWorkloads('Pod').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toContain('cannot list resource "pods"');
    expect(api.requests).toHaveLength(1);
  });

  it('restarts a list whose continue token expired', async () => {
    // Prepare
    for (let i = 0; i < 3; i += 1) api.put(deployment(`d${i}`, 'x:1'));
    api.fault(
      { path: '/apis/apps/v1/deployments', times: 1, when: (q) => q.has('continue') },
      { kind: 'expired' },
    );

    // Act
    const listed = await reader.listWorkloads('Deployment');

    // Assess
    expect(listed.items.map((w) => w.name)).toEqual(['d0', 'd1', 'd2']);
    expect(api.requests.map((r) => r.status)).toEqual([200, 410, 200, 200]);
  });

  it('returns objects failing their schema as invalid, keeping the rest', async () => {
    api.put(deployment('ok', 'x:1'));
    api.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad', namespace: 'default' },
      spec: { replicas: 1 },
    });
    const listed = await reader.listWorkloads('Deployment');
    expect(listed.items.map((w) => w.name)).toEqual(['ok']);
    expect(listed.invalid).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'bad',
        namespace: 'default',
        message: expect.stringContaining('spec.template'),
      }),
    ]);
  });

  it('reads nodes, namespaces with labels, pods on a node, secrets, and records an Event on a Node', async () => {
    // Prepare
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels: { pool: 'a' } },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.24' } },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'tenant', labels: { 'imagewarden.io/selinux-context': '593-693' } },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'tenant' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p2', namespace: 'tenant' },
      spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'x' }] },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'tenant' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': 'e30=' },
    });

    // Act
    const node = await reader.getNode('n1');
    const missing = await reader.getNode('nope');
    const namespaces = await reader.listNamespaces({ labelSelector: 'imagewarden.io/selinux-context' });
    const pods = await reader.listPods({ nodeName: 'n1' });
    const secret = await reader.getSecret('tenant', 'regcred');
    await reader.createEvent({
      involvedObject: { kind: 'Node', name: 'n1', apiVersion: 'v1' },
      reason: 'ImagesSeeded',
      message: '3 desired',
      type: 'Normal',
      component: 'imagewarden-runner',
      host: 'n1',
    });

    // Assess
    expect(node?.status?.nodeInfo?.containerRuntimeVersion).toBe('docker://20.10.24');
    expect(missing).toBeUndefined();
    expect(namespaces.items.map((ns) => ns.metadata.name)).toEqual(['tenant']);
    expect(pods.items.map((p) => p.metadata.name)).toEqual(['p1']);
    expect(secret?.data?.['.dockerconfigjson']).toBe('e30=');
    const [event] = api.list('Event', 'default');
    expect(event).toMatchObject({
      involvedObject: { kind: 'Node', name: 'n1' },
      reason: 'ImagesSeeded',
      type: 'Normal',
      source: { component: 'imagewarden-runner', host: 'n1' },
    });
  });
});
