// The fan-out against the Kubernetes API fake (tests/support/kube-api-fake.ts), driven
// through the production adapter (@kubernetes/client-node): Jobs land in the fake's store,
// so each tick sees what the previous one created, as against a real API server.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import { fanoutSucceeded, runFanout } from '../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../runner/fanout/KubeJobScheduler.ts';
import { runImagewarden } from '../support/cli.ts';
import { KubeApiFake, type KubeObject } from '../support/kube-api-fake.ts';
import { fanoutPod, node, nodeJob, runnerConfig } from '../unit/runner/fanout/helpers.ts';

const NS = 'imagewarden';
const JOBS_PATH = `/apis/batch/v1/namespaces/${NS}/jobs`;

describe('runner fanout against the Kubernetes API fake', () => {
  let api: KubeApiFake;
  let clock: ManualClock;
  let scheduler: KubeJobScheduler;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-01T12:00:00Z');
    api = await KubeApiFake.start({ now: () => clock.now() });
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS }, status: { phase: 'Active' } });
    // Small pages so every list goes through limit/continue; no real waiting between retries.
    scheduler = new KubeJobScheduler(api.kubeConfig(), { pageSize: 2, sleep: async () => {} });
  });

  afterEach(async () => {
    const unhandled = api.unhandled;
    await api.stop();
    // no request hit a route the fake lacks
    expect(unhandled).toEqual([]);
  });

  const putNodes = (...nodes: Record<string, unknown>[]) => {
    for (const n of nodes) api.put(n as KubeObject);
  };
  const jobsInFake = () => api.list('Job', NS);
  const cluster = () => new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} });
  const tick = (runner = runnerConfig()) =>
    runFanout({ scheduler, cluster: cluster(), runner, clock, logger: silentLogger() });
  /** What the Job controller would do when a pod ends: mark the Job finished. */
  const finish = (name: string, at: string) => {
    const job = api.get('Job', name, NS);
    if (!job) throw new Error(`no Job ${name}`);
    api.put({
      ...job,
      status: {
        startTime: job.metadata.creationTimestamp,
        completionTime: at,
        succeeded: 1,
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
  };

  it('creates exactly one Job per eligible node, none for cordoned, NotReady or unmatched nodes', async () => {
    // Prepare
    putNodes(
      node('w1', { labels: { pool: 'tenant' } }),
      node('w2', { labels: { pool: 'tenant' } }),
      node('w3', { labels: { pool: 'tenant' }, unschedulable: true }),
      node('w4', { labels: { pool: 'tenant' }, ready: false }),
      node('sys1', { labels: { pool: 'system' } }),
    );
    // Act
    const result = await tick(runnerConfig({ fanout: { nodeSelector: { pool: 'tenant' } } }));
    // Assess
    const jobs = jobsInFake();
    expect(
      jobs.map((j) => (j.spec as { template: { spec: { nodeName: string } } }).template.spec.nodeName).sort(),
    ).toEqual(['w1', 'w2']);
    expect(result.nodes).toMatchObject({ listed: 5, eligible: 2, cordoned: 1, 'not-ready': 1, unmatched: 1 });
    expect(fanoutSucceeded(result)).toBe(true);
    // the node list was paged (5 nodes, pages of 2)
    expect(api.requests.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(3);
    expect(api.unhandled).toEqual([]);
  });

  it('stores Job specs that pin the node and carry the mounts and ServiceAccount', async () => {
    // Prepare
    putNodes(node('w1'));
    // Act
    await tick();
    // Assess
    const jobs = jobsInFake();
    expect(jobs).toHaveLength(1);
    const job = jobs[0] as KubeObject;
    const pod = (job.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod.nodeName).toBe('w1');
    expect(pod.serviceAccountName).toBe('imagewarden-node');
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'config', configMap: { name: 'imagewarden-runner' } },
        // the node reports no runtime: most likely containerd, reached through the CRI
        { name: 'runtime-socket', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } },
      ]),
    );
    expect(job.metadata.labels).toMatchObject({
      'imagewarden.io/node': 'w1',
      'imagewarden.io/run': '202603011200',
    });
    expect(job.spec).toMatchObject({
      activeDeadlineSeconds: 3000,
      ttlSecondsAfterFinished: 3600,
      backoffLimit: 1,
    });
  });

  it('gives no new Job to a node whose Job is still active, and seeds a new node at the next tick', async () => {
    // Prepare
    putNodes(node('w1'), node('w2'));
    await tick();
    finish('imagewarden-node-w2-202603011200', '2026-03-01T12:05:00Z');
    putNodes(node('w3'));
    clock.set('2026-03-01T12:15:00Z');
    // Act
    const result = await tick();
    // Assess
    expect(result.jobs).toMatchObject({ created: 2, skippedActive: 1, active: 1 });
    expect(result.createdJobs.sort()).toEqual([
      'imagewarden-node-w2-202603011215',
      'imagewarden-node-w3-202603011215',
    ]);
    expect(jobsInFake().filter((j) => j.metadata.labels?.['imagewarden.io/node'] === 'w1')).toHaveLength(1);
  });

  it('keeps active node Jobs within the cluster-wide limit across ticks', async () => {
    // Prepare
    putNodes(...['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n)));
    const runner = runnerConfig({ fanout: { maxConcurrentJobs: 2 } });
    // Act
    const first = await tick(runner);
    clock.set('2026-03-01T12:15:00Z');
    const second = await tick(runner);
    for (const name of first.createdJobs) finish(name, '2026-03-01T12:20:00Z');
    clock.set('2026-03-01T12:30:00Z');
    const third = await tick(runner);
    // Assess
    expect(first.createdJobs).toEqual([
      'imagewarden-node-n1-202603011200',
      'imagewarden-node-n2-202603011200',
    ]);
    expect(first.deferredNodes).toEqual(['n3', 'n4', 'n5']);
    expect(second.jobs).toMatchObject({ created: 0, skippedActive: 2, deferred: 3 });
    // never-run nodes go before those that just ran
    expect(third.createdJobs).toEqual([
      'imagewarden-node-n3-202603011230',
      'imagewarden-node-n4-202603011230',
    ]);
    // four Jobs, each with its handed ConfigMap (no Secret: no pull secrets in this cluster)
    expect(api.requests.filter((r) => r.method === 'POST' && r.path === JOBS_PATH)).toHaveLength(4);
    expect(
      api.requests.filter((r) => r.method === 'POST' && r.path === `/api/v1/namespaces/${NS}/configmaps`),
    ).toHaveLength(4);
  });

  it('deletes stale Jobs: finished past retention, and active past deadline on a vanished node', async () => {
    // Prepare
    putNodes(node('w1'));
    api.put(
      nodeJob('old-done', 'w1', {
        created: '2026-03-01T02:00:00Z',
        finished: { at: '2026-03-01T02:10:00Z', as: 'Complete' },
      }) as KubeObject,
    );
    api.put(
      nodeJob('recent-done', 'w1', {
        created: '2026-03-01T11:00:00Z',
        finished: { at: '2026-03-01T11:10:00Z', as: 'Complete' },
      }) as KubeObject,
    );
    api.put(nodeJob('ghost', 'scaled-away', { created: '2026-03-01T10:00:00Z' }) as KubeObject);
    // Act
    const result = await tick();
    // Assess
    expect(result.deletedJobs).toEqual([
      { name: 'ghost', reason: 'node-gone-past-deadline' },
      { name: 'old-done', reason: 'finished-expired' },
    ]);
    expect(
      jobsInFake()
        .map((j) => j.metadata.name)
        .sort(),
    ).toEqual(['imagewarden-node-w1-202603011200', 'recent-done']);
    expect(
      api.requests.filter((r) => r.method === 'DELETE').map((r) => [r.path, r.query.propagationPolicy]),
    ).toEqual([
      [`${JOBS_PATH}/ghost`, 'Background'],
      [`${JOBS_PATH}/old-done`, 'Background'],
    ]);
  });

  it('counts malformed node objects and serves the good nodes', async () => {
    // Prepare: stored without admission, as a broken webhook or proxy might hand them over
    putNodes(node('good'));
    api.put({ kind: 'Node', metadata: { name: 'no-status' }, status: { conditions: 'Ready' } } as KubeObject);
    api.put({
      kind: 'Node',
      metadata: { name: 'bad-taints' },
      spec: { taints: [{ effect: 7 }] },
    } as KubeObject);
    // Act
    const result = await tick();
    // Assess
    expect(result.createdJobs).toEqual(['imagewarden-node-good-202603011200']);
    expect(result.nodes.malformed).toBe(2);
    expect(result.failures.map((f) => f.node).sort()).toEqual(['bad-taints', 'no-status']);
    expect(fanoutSucceeded(result)).toBe(false);
  });

  it('meets 409 on a Job that already exists and creates no duplicate', async () => {
    // Prepare: a Job by that name exists but carries none of our labels, so it is not seen as active
    putNodes(node('w1'));
    api.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'imagewarden-node-w1-202603011200', namespace: NS },
    });
    // Act
    const result = await tick();
    // Assess
    expect(result.jobs).toMatchObject({ created: 0, alreadyExisted: 1, failed: 0 });
    expect(jobsInFake()).toHaveLength(1);
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([409]);
  });

  it('reports 403 on Job create per node with the RBAC hint, without crashing', async () => {
    // Prepare
    putNodes(node('w1'), node('w2'));
    api.fault({ method: 'POST', path: JOBS_PATH }, { kind: 'forbidden' });
    // Act
    const result = await tick();
    // Assess
    expect(result.jobs).toMatchObject({ created: 0, failed: 2 });
    expect(result.failures[0]?.error).toMatch(/forbidden.*infra\/base\/rbac\.yaml/);
    expect(jobsInFake()).toEqual([]);
    // 403 is not retried, and not asked again for the next node
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(result.failures[1]?.error).toMatch(/^not attempted: .*forbidden/);
  });

  it('stops with a clear report when listing nodes is forbidden', async () => {
    // Prepare
    putNodes(node('w1'));
    api.fault({ method: 'GET', path: '/api/v1/nodes' }, { kind: 'forbidden' });
    // Act
    const result = await tick();
    // Assess
    expect(result.fatal).toMatch(/^cannot list nodes: .*forbidden/);
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('retries a throttled (429) and a failing (500) list and carries on', async () => {
    // Prepare
    putNodes(node('w1'));
    api.fault({ method: 'GET', path: '/api/v1/nodes', times: 1 }, { kind: 'throttle', retryAfterSeconds: 1 });
    api.fault({ method: 'GET', path: JOBS_PATH, times: 1 }, { kind: 'status', code: 500 });
    // Act
    const result = await tick();
    // Assess
    expect(result.fatal).toBeUndefined();
    expect(result.createdJobs).toEqual(['imagewarden-node-w1-202603011200']);
    expect(api.requests.filter((r) => r.fault).map((r) => r.status)).toEqual([429, 500]);
  });

  it('gives up on a hung API server after the per-request timeout, creating nothing', async () => {
    // Prepare
    putNodes(node('w1'));
    api.fault({ method: 'GET', path: '/api/v1/nodes' }, { kind: 'hang' });
    const impatient = new KubeJobScheduler(api.kubeConfig(), {
      timeoutMs: 200,
      attempts: 2,
      sleep: async () => {},
    });
    // Act
    const result = await runFanout({
      scheduler: impatient,
      cluster: cluster(),
      runner: runnerConfig(),
      clock,
      logger: silentLogger(),
    });
    // Assess
    expect(result.fatal).toMatch(/^cannot list nodes: /);
    expect(api.requests.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(2);
    expect(jobsInFake()).toEqual([]);
  });

  it('counts a stale Job that vanished before its delete (404) as gone, not failed', async () => {
    // Prepare
    putNodes(node('w1'));
    api.put(
      nodeJob('old-done', 'w1', {
        created: '2026-03-01T02:00:00Z',
        finished: { at: '2026-03-01T02:10:00Z', as: 'Complete' },
      }) as KubeObject,
    );
    api.fault({ method: 'DELETE', path: `${JOBS_PATH}/old-done` }, { kind: 'status', code: 404 });
    // Act
    const result = await tick();
    // Assess
    expect(result.jobs).toMatchObject({ deleted: 1, deleteFailed: 0, created: 1 });
    expect(fanoutSucceeded(result)).toBe(true);
    // the delete really was answered 404 (not a normal delete counted as deleted)
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => [r.path, r.status])).toEqual([
      [`${JOBS_PATH}/old-done`, 404],
    ]);
  });

  it('starts a node list over when its continue token expires (410) and sees every node once', async () => {
    // Prepare: 5 nodes in pages of 2; the second page's token has outlived a compaction
    putNodes(...['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n)));
    api.fault(
      { method: 'GET', path: '/api/v1/nodes', when: (q) => q.has('continue'), times: 1 },
      { kind: 'expired' },
    );
    // Act
    const result = await tick();
    // Assess
    expect(result.fatal).toBeUndefined();
    expect(result.nodes.listed).toBe(5);
    expect(result.jobs.created).toBe(5);
    expect(api.requests.filter((r) => r.path === '/api/v1/nodes').map((r) => r.status)).toEqual([
      200, 410, 200, 200, 200,
    ]);
  });

  describe("the node Jobs' image", () => {
    const DIGEST = `sha256:${'d'.repeat(64)}`;
    const SELF = { namespace: NS, name: 'imagewarden-fanout-29000000-x1y2z' };
    const POD_PATH = `/api/v1/namespaces/${NS}/pods/${SELF.name}`;
    const noImage = () => runnerConfig({ fanout: { image: undefined } });
    /** The fan-out's own pod, running the 1.2 tag at DIGEST (a tag that has moved since). */
    const putSelfPod = (
      status: { imageID?: string } = { imageID: `registry.corp/imagewarden/runner@${DIGEST}` },
    ) =>
      api.put(
        fanoutPod(SELF.name, { image: 'registry.corp/imagewarden/runner:1.2', ...status }) as KubeObject,
      );
    /** One tick as the fan-out pod SELF. */
    const tick = (runner: ReturnType<typeof runnerConfig>) =>
      runFanout({ scheduler, cluster: cluster(), runner, clock, logger: silentLogger(), self: SELF });
    const jobImages = () =>
      jobsInFake().map(
        (j) =>
          (j.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]
            ?.image,
      );

    it("run the fan-out pod's own image at the digest it runs, read once per tick", async () => {
      // Prepare: the tag has moved since the fan-out's pod pulled it; the node Jobs must not follow
      putNodes(node('w1'), node('w2'));
      putSelfPod();
      // Act
      const result = await tick(noImage());
      // Assess
      expect(fanoutSucceeded(result)).toBe(true);
      expect(result.runnerImage).toEqual({
        image: `registry.corp/imagewarden/runner@${DIGEST}`,
        source: 'pod-digest',
      });
      expect(jobImages()).toEqual([
        `registry.corp/imagewarden/runner@${DIGEST}`,
        `registry.corp/imagewarden/runner@${DIGEST}`,
      ]);
      expect(api.requests.filter((r) => r.path === POD_PATH).map((r) => [r.method, r.status])).toEqual([
        ['GET', 200],
      ]);
    });

    it('run runner.fanout.image when it is set, without reading the pod', async () => {
      // Prepare
      putNodes(node('w1'));
      putSelfPod();
      // Act
      const result = await tick(
        runnerConfig({ fanout: { image: 'registry.corp/imagewarden/runner:override' } }),
      );
      // Assess
      expect(result.runnerImage).toEqual({
        image: 'registry.corp/imagewarden/runner:override',
        source: 'config',
      });
      expect(jobImages()).toEqual(['registry.corp/imagewarden/runner:override']);
      expect(api.requests.filter((r) => r.path.includes('/pods/'))).toEqual([]);
    });

    it('stop the tick before any list, naming the pod, when RBAC forbids reading it', async () => {
      // Prepare
      putNodes(node('w1'));
      putSelfPod({});
      api.fault({ method: 'GET', path: POD_PATH }, { kind: 'forbidden' });
      // Act
      const result = await tick(noImage());
      // Assess
      expect(fanoutSucceeded(result)).toBe(false);
      expect(result.fatal).toMatch(
        new RegExp(
          `^the fan-out's own pod ${NS}/${SELF.name}: cannot be read for the node Jobs' image \\(.*forbidden.*\\); grant get on pods in ${NS} or set runner.fanout.image$`,
        ),
      );
      expect(jobsInFake()).toEqual([]);
      expect(api.requests.map((r) => r.path)).toEqual([POD_PATH]);
    });
  });

  describe('imagewarden runner fanout (CLI)', () => {
    // What infra/base and Terraform set from the downward API, and the pod they name.
    const POD = 'imagewarden-fanout-29000000-cli00';
    const inPod = { env: { POD_NAME: POD, POD_NAMESPACE: NS } };
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'iw-fanout-'));
      // the pod the downward API names (see inPod)
      api.put(
        fanoutPod(POD, {
          image: 'ghcr.io/imagewarden/runner:0.1.0',
          imageID: `docker-pullable://ghcr.io/imagewarden/runner@sha256:${'e'.repeat(64)}`,
        }) as KubeObject,
      );
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    function writeConfig(): string {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, api.kubeconfigYaml());
      const config = join(dir, 'runner.yaml');
      writeFileSync(config, stringify({ log: { level: 'warn' }, runner: { fanout: { kubeconfig } } }));
      return config;
    }

    it("gives the node Jobs the pod's running digest, and exits 2 naming what is missing outside a pod", async () => {
      // Prepare
      putNodes(node('w1'));
      // Act
      const outside = await runImagewarden(['runner', 'fanout', '--config', writeConfig()]);
      const inside = await runImagewarden(['runner', 'fanout', '--config', writeConfig()], inPod);
      // Assess
      expect(outside.code).toBe(2);
      expect(outside.stderr).toContain(
        'imagewarden: the node Jobs have no image:\n  runner.fanout.image: not set, and the fan-out cannot read its own pod (POD_NAME and POD_NAMESPACE',
      );
      expect(inside.code).toBe(0);
      const job = jobsInFake()[0] as KubeObject;
      const container = (job.spec as { template: { spec: { containers: { image: string }[] } } }).template
        .spec.containers[0];
      expect(container?.image).toBe(`ghcr.io/imagewarden/runner@sha256:${'e'.repeat(64)}`);
    });

    it('creates nothing with --dry-run and prints what it would do', async () => {
      // Prepare
      putNodes(node('w1'), node('w2', { unschedulable: true }));
      // Act
      const run = await runImagewarden(['runner', 'fanout', '--dry-run', '--config', writeConfig()], inPod);
      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /\(dry run\): 2 nodes \(1 eligible; 0 not ready, 1 cordoned.*Jobs: 1 to create/,
      );
      expect(jobsInFake()).toEqual([]);
    });

    it('creates the Jobs and exits 1 with the failures on stderr when RBAC is too tight', async () => {
      // Prepare
      putNodes(node('w1'));
      api.fault({ method: 'POST', path: JOBS_PATH }, { kind: 'forbidden' });
      // Act
      const run = await runImagewarden(['runner', 'fanout', '--config', writeConfig()], inPod);
      // Assess
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Jobs: 0 created.*1 failed/);
      expect(run.stderr).toMatch(/imagewarden-node-w1-\d{12}: .*forbidden/);
    });

    it('runs the SELinux audit once per tick on the namespace list the handover read: findings become Events, not a failed tick', async () => {
      // Prepare: two tenants share one MCS level
      putNodes(node('w1'));
      for (const name of ['shop', 'bank']) {
        api.put({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, labels: { 'imagewarden.io/selinux-context': '593-693' } },
        });
      }
      // Act
      const run = await runImagewarden(['runner', 'fanout', '--config', writeConfig()], inPod);
      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^selinux audit: \d+ namespaces \(2 with a level\): .*1 collisions.*; events 2 sent$/m,
      );
      const events = api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events'));
      expect(events.map((r) => r.path).sort()).toEqual([
        '/api/v1/namespaces/bank/events',
        '/api/v1/namespaces/shop/events',
      ]);
      // the node Jobs' handed namespace levels and the audit read one list between them
      expect(api.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces')).toHaveLength(
        1,
      );
    });
  });
});
