import { gunzipSync } from 'node:zlib';
import type { V1ConfigMap, V1Job, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { AuthError, NotFoundError, UpstreamError } from '../../../../core/errors.ts';
import { silentLogger } from '../../../../core/logger.ts';
import type { Workload } from '../../../../runner/cluster/types.ts';
import { JobExistsError } from '../../../../runner/fanout/errors.ts';
import { fanoutSucceeded, runFanout } from '../../../../runner/fanout/fanout.ts';
import type { JobScheduler } from '../../../../runner/fanout/JobScheduler.ts';
import { node, nodeJob, runnerConfig, staticCluster } from './helpers.ts';

/** An in-memory JobScheduler: a Job store with 409 on duplicate names and per-call faults. */
class MemoryScheduler implements JobScheduler {
  nodes: unknown[] = [];
  jobs = new Map<string, unknown>();
  calls: string[] = [];
  configMaps = new Map<string, V1ConfigMap>();
  secrets = new Map<string, V1Secret>();
  faults: Partial<
    Record<
      'listNodes' | 'listJobs' | 'createJob' | 'deleteJob' | 'createConfigMap' | 'createSecret',
      () => Error
    >
  > = {};

  async listNodes(): Promise<unknown[]> {
    this.calls.push('listNodes');
    const fault = this.faults.listNodes;
    if (fault) throw fault();
    return this.nodes;
  }
  async listJobs(namespace: string, selector: string): Promise<unknown[]> {
    this.calls.push(`listJobs ${namespace} ${selector}`);
    const fault = this.faults.listJobs;
    if (fault) throw fault();
    return [...this.jobs.values()];
  }
  async createJob(namespace: string, job: V1Job): Promise<{ uid: string }> {
    const name = job.metadata?.name ?? '';
    this.calls.push(`create ${namespace}/${name}`);
    const fault = this.faults.createJob;
    if (fault) throw fault();
    if (this.jobs.has(name)) throw new JobExistsError(name);
    this.jobs.set(name, job);
    return { uid: `uid-${name}` };
  }
  async createConfigMap(namespace: string, configMap: V1ConfigMap): Promise<void> {
    this.calls.push(`create configmap ${namespace}/${configMap.metadata?.name}`);
    const fault = this.faults.createConfigMap;
    if (fault) throw fault();
    this.configMaps.set(configMap.metadata?.name ?? '', configMap);
  }
  async createSecret(namespace: string, secret: V1Secret): Promise<void> {
    this.calls.push(`create secret ${namespace}/${secret.metadata?.name}`);
    const fault = this.faults.createSecret;
    if (fault) throw fault();
    this.secrets.set(secret.metadata?.name ?? '', secret);
  }
  async deleteJob(namespace: string, name: string): Promise<void> {
    this.calls.push(`delete ${namespace}/${name}`);
    const fault = this.faults.deleteJob;
    if (fault) throw fault();
    if (!this.jobs.delete(name)) throw new NotFoundError(`job ${name} not found`);
  }
  async getPod(namespace: string, name: string): Promise<unknown> {
    this.calls.push(`get pod ${namespace}/${name}`);
    throw new NotFoundError(`pod ${namespace}/${name} not found`);
  }
}

const clock = new ManualClock('2026-03-01T12:00:30Z');

function run(scheduler: JobScheduler, runner = runnerConfig(), dryRun = false) {
  return runFanout({ scheduler, cluster: staticCluster(), runner, clock, logger: silentLogger(), dryRun });
}

describe('runFanout', () => {
  it('creates one Job per eligible node and reports the ineligible by reason', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a'), node('b'), node('c', { unschedulable: true }), node('d', { ready: false })];
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.createdJobs).toEqual([
      'imagewarden-node-a-202603011200',
      'imagewarden-node-b-202603011200',
    ]);
    expect(result.nodes).toMatchObject({ listed: 4, eligible: 2, cordoned: 1, 'not-ready': 1 });
    expect([...scheduler.jobs.keys()]).toEqual(result.createdJobs);
    expect(fanoutSucceeded(result)).toBe(true);
  });

  it('changes nothing in a dry run but reports what it would do', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    scheduler.jobs.set(
      'old',
      nodeJob('old', 'a', {
        created: '2026-02-28T00:00:00Z',
        finished: { at: '2026-02-28T00:10:00Z', as: 'Complete' },
      }),
    );
    // Act
    const result = await run(scheduler, runnerConfig(), true);
    // Assess
    expect(result.createdJobs).toEqual(['imagewarden-node-a-202603011200']);
    expect(result.deletedJobs).toEqual([{ name: 'old', reason: 'finished-expired' }]);
    expect(scheduler.calls.filter((c) => c.startsWith('create') || c.startsWith('delete'))).toEqual([]);
    expect([...scheduler.jobs.keys()]).toEqual(['old']);
  });

  it('a second tick in the same minute meets 409 and creates no duplicate', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    await run(scheduler);
    // The first Job finished quickly, so the node is free again within the same minute.
    const [name] = [...scheduler.jobs.keys()];
    scheduler.jobs.set(
      name ?? '',
      nodeJob(name ?? '', 'a', {
        created: '2026-03-01T12:00:00Z',
        finished: { at: '2026-03-01T12:00:20Z', as: 'Complete' },
      }),
    );
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.jobs).toMatchObject({ created: 0, alreadyExisted: 1, failed: 0 });
    expect(scheduler.jobs.size).toBe(1);
    expect(fanoutSucceeded(result)).toBe(true);
  });

  it('reports 403 on create per node with a clear message and does not crash', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a'), node('b')];
    scheduler.faults.createJob = () =>
      new AuthError('https://k8s:6443', 'create job imagewarden/x: forbidden (jobs.batch is forbidden)', {
        status: 403,
      });
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.jobs).toMatchObject({ created: 0, failed: 2 });
    expect(result.failures[0]).toMatchObject({ node: 'a', error: expect.stringContaining('forbidden') });
    expect(result.failures[1]).toMatchObject({
      node: 'b',
      error: expect.stringMatching(/^not attempted: .*forbidden/),
    });
    // the same RBAC answers every create: asked once
    expect(scheduler.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(fanoutSucceeded(result)).toBe(false);
  });

  it('stops before creating anything when the Job list is forbidden: it cannot rule out pile-ups', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    scheduler.faults.listJobs = () =>
      new AuthError('https://k8s:6443', 'list jobs: forbidden', { status: 403 });
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.fatal).toMatch(/cannot list node Jobs in namespace imagewarden: .*forbidden/);
    expect(scheduler.calls.some((c) => c.startsWith('create'))).toBe(false);
    expect(fanoutSucceeded(result)).toBe(false);
  });

  it('stops with a clear report when nodes cannot be listed', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.faults.listNodes = () =>
      new UpstreamError('https://k8s:6443', 'list nodes: HTTP 503', { status: 503 });
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.fatal).toBe('cannot list nodes: https://k8s:6443: list nodes: HTTP 503');
  });

  it('keeps the slot of an active stale Job it failed to delete', async () => {
    // Prepare: limit 1, one Job on a vanished node past its deadline, delete fails
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    scheduler.jobs.set('ghost', nodeJob('ghost', 'gone', { created: '2026-03-01T09:00:00Z' }));
    scheduler.faults.deleteJob = () => new UpstreamError('https://k8s:6443', 'HTTP 500', { status: 500 });
    // Act
    const result = await run(scheduler, runnerConfig({ fanout: { maxConcurrentJobs: 1 } }));
    // Assess
    expect(result.jobs).toMatchObject({ deleteFailed: 1, created: 0, deferred: 1, active: 1 });
    expect(result.deferredNodes).toEqual(['a']);
  });

  it('counts a malformed node and a malformed Job and still serves the good nodes', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a'), { metadata: { name: 42 } }];
    scheduler.jobs.set('broken', { metadata: { name: 'broken' }, status: { startTime: 'yesterday' } });
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.jobs.created).toBe(1);
    expect(result.nodes.malformed).toBe(1);
    expect(result.jobs.malformed).toBe(1);
    expect(result.failures.map((f) => f.error)).toEqual([
      expect.stringContaining('malformed Node at index 1: metadata.name'),
      expect.stringContaining('malformed Job at index 0: status.startTime'),
    ]);
    expect(fanoutSucceeded(result)).toBe(false);
  });

  it('hands each new Job its set in a ConfigMap it owns, with no Secret when no credentials are needed', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    const web: Workload = {
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      uid: 'u1',
      ownerReferences: [],
      replicas: 0,
      podSpec: { containers: [{ name: 'w', image: 'r.corp/web:1' }] },
      inactive: false,
      suspended: false,
    };
    // Act
    const result = await runFanout({
      scheduler,
      cluster: staticCluster([web]),
      runner: runnerConfig(),
      clock,
      logger: silentLogger(),
    });
    // Assess
    const name = 'imagewarden-node-a-202603011200';
    const configMap = scheduler.configMaps.get(name);
    expect(configMap?.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name, uid: `uid-${name}` },
    ]);
    const set = JSON.parse(
      gunzipSync(Buffer.from(configMap?.binaryData?.['desired-set.json.gz'] ?? '', 'base64')).toString(),
    );
    expect(set).toMatchObject({
      node: 'a',
      credentials: false,
      images: [{ reference: 'r.corp/web:1', scaledToZero: true }],
    });
    expect(scheduler.secrets.size).toBe(0);
    expect(result.desired).toMatchObject({ workloads: 1, sets: 1, withCredentials: 0 });
  });

  it('deletes a Job whose ConfigMap could not be created and counts the node as failed', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    scheduler.faults.createConfigMap = () =>
      new UpstreamError('https://k8s:6443', 'HTTP 500', { status: 500 });
    // Act
    const result = await run(scheduler);
    // Assess
    expect(result.jobs).toMatchObject({ created: 0, failed: 1 });
    expect(scheduler.jobs.size).toBe(0);
    expect(scheduler.calls).toContain('delete imagewarden/imagewarden-node-a-202603011200');
    expect(fanoutSucceeded(result)).toBe(false);
  });

  it('computes the sets in a dry run but creates no ConfigMap', async () => {
    // Prepare
    const scheduler = new MemoryScheduler();
    scheduler.nodes = [node('a')];
    // Act
    const result = await run(scheduler, runnerConfig(), true);
    // Assess
    expect(result.desired).toMatchObject({ sets: 1 });
    expect(scheduler.configMaps.size).toBe(0);
  });
});
