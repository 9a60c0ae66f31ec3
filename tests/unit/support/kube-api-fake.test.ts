// The Kubernetes API fake is only useful if @kubernetes/client-node accepts it as a cluster:
// these tests drive it through the real client, including paging, selectors and faults.
import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiFake } from '../../support/kube-api-fake.ts';

function pod(name: string, namespace: string, nodeName: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { nodeName, containers: [{ name: 'app', image: `registry.test/${name}:1` }] },
  };
}

describe('KubeApiFake', () => {
  let api: KubeApiFake;
  beforeEach(async () => {
    api = await KubeApiFake.start();
  });
  afterEach(async () => {
    const unhandled = [...api.unhandled];
    await api.stop();
    // the real client asked only for what the fake understands
    expect(unhandled).toEqual([]);
  });

  it('pages a cluster-wide list with limit and continue', async () => {
    // Prepare
    for (let i = 0; i < 7; i += 1) api.put(pod(`p${i}`, i % 2 ? 'default' : 'kube-system', 'n1'));
    const core = api.kubeConfig().makeApiClient(CoreV1Api);

    // Act
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 3, _continue: token });
      names.push(...page.items.map((item) => item.metadata?.name ?? ''));
      token = page.metadata?._continue;
      pages += 1;
    } while (token);

    // Assess
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(api.requests.map((r) => r.query.limit)).toEqual(['3', '3', '3']);
    expect(api.unhandled).toEqual([]);
  });

  it('answers 410 Expired for a continue token older than a compaction', async () => {
    // Prepare
    for (let i = 0; i < 4; i += 1) api.put(pod(`p${i}`, 'default', 'n1'));
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    const first = await core.listNamespacedPod({ namespace: 'default', limit: 2 });
    api.expireContinueTokens();

    // Act
    const second = core.listNamespacedPod({
      namespace: 'default',
      limit: 2,
      _continue: first.metadata?._continue,
    });

    // Assess
    await expect(second).rejects.toMatchObject({ code: 410 });
    expect(JSON.parse((await second.catch((error: { body: string }) => error.body)) as string)).toMatchObject(
      {
        kind: 'Status',
        reason: 'Expired',
      },
    );
  });

  it('filters by label and field selectors', async () => {
    // Prepare
    api.put(pod('a', 'default', 'n1', { app: 'web', tier: 'front' }));
    api.put(pod('b', 'default', 'n2', { app: 'web' }));
    api.put(pod('c', 'default', 'n1', { app: 'db' }));
    const core = api.kubeConfig().makeApiClient(CoreV1Api);

    // Act
    const onN1 = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n1' });
    const web = await core.listPodForAllNamespaces({ labelSelector: 'app in (web),!tier' });
    const bad = core.listPodForAllNamespaces({ fieldSelector: 'spec.bogus=x' });

    // Assess
    expect(onN1.items.map((p) => p.metadata?.name)).toEqual(['a', 'c']);
    expect(web.items.map((p) => p.metadata?.name)).toEqual(['b']);
    await expect(bad).rejects.toMatchObject({ code: 400 });
  });

  it('creates with generateName and answers 409 AlreadyExists as a Status', async () => {
    // Prepare
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    const event = {
      metadata: { generateName: 'n1.' },
      involvedObject: { kind: 'Node', name: 'n1' },
      reason: 'ImagesSeeded',
      message: 'ok',
      type: 'Normal',
    };

    // Act
    const created = await core.createNamespacedEvent({ namespace: 'default', body: event });
    const again = core.createNamespacedEvent({
      namespace: 'default',
      body: { ...event, metadata: { name: created.metadata?.name } },
    });
    const missingNamespace = core.createNamespacedEvent({ namespace: 'nope', body: event });

    // Assess
    expect(created.metadata?.name).toMatch(/^n1\.[a-z0-9]{5}$/);
    expect(created.metadata?.uid).toBeTruthy();
    expect(api.list('Event', 'default')).toHaveLength(1);
    await expect(again).rejects.toMatchObject({ code: 409 });
    await expect(missingNamespace).rejects.toMatchObject({ code: 404 });
  });

  it('cascades deletes over owner references, and Jobs orphan their pods by default', async () => {
    // Prepare
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    const apps = api.kubeConfig().makeApiClient(AppsV1Api);
    const job = api.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'default' },
    });
    const deployment = api.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default' },
    });
    const owned = (name: string, owner: typeof job) => ({
      ...pod(name, 'default', 'n1'),
      metadata: {
        name,
        namespace: 'default',
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: owner.kind ?? '',
            name: owner.metadata.name ?? '',
            uid: owner.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
    });
    api.put(owned('job-pod', job));
    api.put(owned('deploy-pod', deployment));

    // Act
    await batch.deleteNamespacedJob({ name: 'j', namespace: 'default' });
    await apps.deleteNamespacedDeployment({
      name: 'd',
      namespace: 'default',
      propagationPolicy: 'Background',
    });

    // Assess
    expect(api.get('Pod', 'job-pod', 'default')?.metadata.ownerReferences).toEqual([]);
    expect(api.get('Pod', 'deploy-pod', 'default')).toBeUndefined();
  });

  it('injects 500, 403, 429 with Retry-After and truncated bodies, and records unhandled routes', async () => {
    // Prepare
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    api.put(pod('a', 'default', 'n1'));
    api.fault({ path: '/api/v1/pods', times: 1 }, { kind: 'status', code: 500 });
    api.fault({ path: '/api/v1/pods', times: 1 }, { kind: 'forbidden' });
    api.fault({ path: '/api/v1/pods', times: 1 }, { kind: 'throttle', retryAfterSeconds: 2 });
    api.fault({ path: '/api/v1/pods', times: 1 }, { kind: 'truncated' });

    // Act
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(
        await core.listPodForAllNamespaces().then(
          (list) => list.items.length,
          (error: { code?: number; headers?: Record<string, string> }) => error.code ?? 'parse error',
        ),
      );
    }
    await core.readNamespacedPodLog({ name: 'a', namespace: 'default' }).catch(() => undefined);

    // Assess
    expect(outcomes).toEqual([500, 403, 429, 'parse error', 1]);
    expect(api.requests.slice(0, 4).map((r) => r.fault)).toEqual([
      'status',
      'forbidden',
      'throttle',
      'truncated',
    ]);
    expect(api.unhandled).toEqual(['GET /api/v1/namespaces/default/pods/a/log']);
    api.unhandled.length = 0; // expected here; the afterEach check is for the other tests
  });

  it('rejects a request without the bearer token with 401', async () => {
    // Prepare
    const response = await fetch(`${api.url}/api/v1/nodes`);

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });
});
