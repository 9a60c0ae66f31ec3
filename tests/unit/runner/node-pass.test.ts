// One node pass composed from fakes of the runtime and registry and the Kubernetes API fake:
// what lands in the report, the report file, the Event and the state, including when the
// pass cannot even read its node and when SIGTERM arrives.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Config } from '../../../core/config/schema.ts';
import { KubeClusterReader } from '../../../runner/cluster/KubeClusterReader.ts';
import { type NodePassPorts, runNodePass } from '../../../runner/node-pass.ts';
import { KubeApiFake } from '../../support/kube-api-fake.ts';
import { testNodePassPorts } from '../../support/node-pass-ports.ts';
import { FakeRegistry, FakeRuntime } from './fakes.ts';

const D1 = `sha256:${'1'.repeat(64)}`;

describe('runNodePass', () => {
  let api: KubeApiFake;
  let dir: string;
  let registry: FakeRegistry;
  let runtime: FakeRuntime;

  beforeEach(async () => {
    api = await KubeApiFake.start();
    dir = await mkdtemp(join(tmpdir(), 'iw-pass-'));
    registry = new FakeRegistry();
    runtime = new FakeRuntime();
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.24' } },
    });
    api.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: {},
        template: { spec: { containers: [{ name: 'w', image: 'r.corp/web:1' }] } },
      },
    });
    registry.digests.set('r.corp/web:1', D1);
  });
  afterEach(async () => {
    expect(api.unhandled).toEqual([]);
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ports = (): NodePassPorts =>
    testNodePassPorts({
      cluster: new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
      runtime,
      registry,
      clock: new ManualClock(new Date('2026-03-01T10:00:00Z')),
    });
  const config = () => Config.parse({ runner: { stateDir: dir, minFreeBytes: 0 } }).runner;

  it('seeds, records state, writes the report file and an ImagesSeeded Event', async () => {
    // Act
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: false });

    // Assess
    expect(report.exitCode).toBe(0);
    expect(report.seed?.counts).toMatchObject({ desired: 1, pulled: 1 });
    expect(report.runtime).toMatchObject({ kind: 'docker', kubeletRuntime: 'docker://20.10.24' });
    const file = JSON.parse(await readFile(join(dir, 'last-run.json'), 'utf8'));
    expect(file).toMatchObject({ node: 'n1', exitCode: 0, seed: { counts: { pulled: 1 } } });
    const state = JSON.parse(await readFile(join(dir, 'node-state.json'), 'utf8'));
    expect(state.images['r.corp/web:1']).toMatchObject({
      lastDesired: '2026-03-01T10:00:00.000Z',
      managed: true,
    });
    expect(api.list('Event', 'default')).toEqual([
      expect.objectContaining({
        reason: 'ImagesSeeded',
        type: 'Normal',
        message: '1 desired: 0 present, 1 pulled, 0 failed',
      }),
    ]);
  });

  it('still writes the report and a failure Event when the node cannot be read', async () => {
    // Prepare
    api.remove('Node', 'n1');

    // Act
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: false });

    // Assess
    expect(report.exitCode).toBe(1);
    expect(report.fatal).toBe('node n1 does not exist in the cluster');
    expect(JSON.parse(await readFile(join(dir, 'last-run.json'), 'utf8')).fatal).toBe(report.fatal);
    expect(api.list('Event', 'default')[0]).toMatchObject({ reason: 'ImageSeedFailed', type: 'Warning' });
  });

  it('reports pulls cut short by SIGTERM as aborted and exits 1, with the report written', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new Error('SIGTERM'));

    // Act
    const report = await runNodePass(ports(), {
      nodeName: 'n1',
      config: config(),
      dryRun: false,
      signal: controller.signal,
    });

    // Assess
    expect(report.seed?.counts.skipped.aborted).toBe(1);
    expect(runtime.pulls).toEqual([]);
    expect(report.exitCode).toBe(1);
    expect(JSON.parse(await readFile(join(dir, 'last-run.json'), 'utf8')).seed.counts.skipped.aborted).toBe(
      1,
    );
  });

  it('stops before pulling when the runtime cannot be the kubelet’s, naming both', async () => {
    // Prepare
    api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: {},
      status: { nodeInfo: { containerRuntimeVersion: 'containerd://1.7.2' } },
    });

    // Act
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: false });

    // Assess
    expect(report.fatal).toContain(
      'the kubelet uses containerd://1.7.2 but images would be pulled through docker',
    );
    expect(report.exitCode).toBe(1);
    expect(runtime.pulls).toEqual([]);
  });

  it('in a dry run writes no state, no report file and no Event, and asks no registry', async () => {
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: true });
    expect(report.seed?.images[0]).toMatchObject({
      outcome: 'planned',
      presence: 'absent',
      why: 'not present locally',
      wantedBy: ['Deployment default/web'],
    });
    expect(registry.pings).toEqual([]);
    expect(registry.heads).toEqual([]);
    await expect(readFile(join(dir, 'node-state.json'), 'utf8')).rejects.toThrow();
    await expect(readFile(join(dir, 'last-run.json'), 'utf8')).rejects.toThrow();
    expect(api.list('Event', 'default')).toEqual([]);
  });

  it('in a dry run with --check-registry checks tags against the registry', async () => {
    const report = await runNodePass(ports(), {
      nodeName: 'n1',
      config: config(),
      dryRun: true,
      checkRegistry: true,
    });
    expect(report.seed?.images[0]).toMatchObject({ outcome: 'planned', digest: D1 });
    expect(registry.heads).toHaveLength(1);
  });

  it('in a dry run without an answering runtime prints the desired set with presence unknown', async () => {
    // Prepare
    runtime.info = async () => {
      throw new Error('CRI /run/containerd/containerd.sock: version: runtime unreachable');
    };

    // Act
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: true });

    // Assess
    expect(report.seed?.images).toEqual([
      expect.objectContaining({
        reference: 'r.corp/web:1',
        outcome: 'planned',
        presence: 'unknown',
        why: expect.stringContaining('presence unknown: CRI /run/containerd/containerd.sock'),
        wantedBy: ['Deployment default/web'],
      }),
    ]);
    expect(report.runtime?.warning).toContain('runtime unreachable');
    expect(report.fatal).toBeUndefined();
    expect(report.exitCode).toBe(0);
    expect(registry.pings).toEqual([]);
  });

  it('outside a dry run stops when the runtime does not answer', async () => {
    runtime.info = async () => {
      throw new Error('runtime unreachable');
    };
    const report = await runNodePass(ports(), { nodeName: 'n1', config: config(), dryRun: false });
    expect(report.fatal).toBe('runtime unreachable');
    expect(report.exitCode).toBe(1);
  });
});
