// Fan-out API bench: the Kubernetes API requests and response bytes of one tick on a simulated
// cluster (500 nodes, 5,000 workloads over 200 namespaces, each with a pull secret on its
// default ServiceAccount) in the Kubernetes API fake, side by side:
//  - baseline, the per-node-list design: the fan-out lists nodes and Jobs and creates one Job
//    per node; each node pass (the real runNodePass, without a handed set) reads its Node,
//    lists every workload kind cluster-wide and gets the service accounts and pull secrets its
//    images name, then records its Event;
//  - runner: the fan-out lists nodes, Jobs and every workload kind once, reads each pull
//    secret once, creates each Job with its ConfigMap and Secret; the kubelet reads those two
//    objects; each node pass (the same runNodePass) runs on the files of its handed volume and
//    records its Event.
// Registry and runtime are in-memory fakes (this bench is about the API server). SELinux checks
// are on in both, as in the shipped config (BENCH_SELINUX=0 turns them off): the baseline's
// passes list the namespaces and their node's pods; the runner's fan-out lists the namespaces
// once more and hands each Job its node's pods and their namespaces' levels in the ConfigMap,
// so its passes list nothing. Target: requests and bytes of the runner at most 0.05 of the
// baseline.
// Both fan-outs run whole. Node passes: a pass's API traffic follows from its desired set,
// which follows from the node's labels and taints, so nodes fall into classes (pool x zone
// here) whose passes make the same requests. Each class's passes run for real on BENCH_SAMPLE
// nodes (default 2; they must agree) and count once per node of the class; BENCH_SAMPLE=0 runs
// every node (hours at 500 x 5,000 here: each baseline pass parses ~7 MB of lists).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { ManualClock } from '../core/clock.ts';
import { Config } from '../core/config/schema.ts';
import { silentLogger } from '../core/logger.ts';
import { KubeClusterReader } from '../runner/cluster/KubeClusterReader.ts';
import { runFanout } from '../runner/fanout/fanout.ts';
import { buildNodeJob, runIdFor } from '../runner/fanout/job-spec.ts';
import { KubeJobScheduler } from '../runner/fanout/KubeJobScheduler.ts';
import { runNodePass } from '../runner/node-pass.ts';
import type { RunReport } from '../runner/report.ts';
import { KubeApiFake } from '../tests/support/kube-api-fake.ts';
import { populateCluster } from '../tests/support/kube-api-fake-cluster.ts';
import { materializeVolume } from '../tests/support/kube-api-fake-volumes.ts';
import { FakeRegistry, FakeRuntime } from '../tests/unit/runner/fakes.ts';
import { emit, line, ratio, timed } from './lib.ts';

const NODES = Number(process.env.BENCH_NODES ?? 500);
const WORKLOADS = Number(process.env.BENCH_WORKLOADS ?? 5000);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 2);
const SELINUX = process.env.BENCH_SELINUX !== '0';
const NS = 'imagewarden';

interface Tally {
  requests: number;
  bytes: number;
  lists: number;
  secretReads: number;
}
const ZERO: Tally = { requests: 0, bytes: 0, lists: 0, secretReads: 0 };
const add = (a: Tally, b: Tally, times = 1): Tally => ({
  requests: a.requests + b.requests * times,
  bytes: a.bytes + b.bytes * times,
  lists: a.lists + b.lists * times,
  secretReads: a.secretReads + b.secretReads * times,
});

function tally(api: KubeApiFake, from: number): Tally {
  const requests = api.requests.slice(from);
  return {
    requests: requests.length,
    bytes: requests.reduce((sum, r) => sum + r.bytes, 0),
    lists: requests.filter(
      (r) =>
        r.method === 'GET' &&
        /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/[^/]+)?\/[^/]+$/.test(r.path),
    ).length,
    secretReads: requests.filter((r) => r.method === 'GET' && /\/secrets\//.test(r.path)).length,
  };
}

async function cluster() {
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  const api = await KubeApiFake.start({ now: () => clock.now() });
  api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const simulated = populateCluster(api, { nodes: NODES, workloads: WORKLOADS });
  return { api, clock, simulated };
}

const runnerConfig = (dir: string, node: string, desiredSet?: string) =>
  Config.parse({
    runner: {
      stateDir: join(dir, 'state', node),
      minFreeBytes: 0,
      selinux: { enabled: SELINUX },
      prune: { enabled: false },
      fanout: { maxConcurrentJobs: 500, image: 'ghcr.io/imagewarden/runner:0.1.0' },
      ...(desiredSet ? { desiredSet } : {}),
    },
  }).runner;

/** Desired images of a pass, but the runner image (the baseline's passes also see the node Jobs). */
const desiredOf = (report: RunReport): number =>
  (report.seed?.images ?? []).filter((image) => !image.reference.startsWith('ghcr.io/imagewarden/runner'))
    .length;

/** An in-memory runtime answering as the one the kubelet names (a mismatch stops a pass). */
function runtimeLike(kubeletRuntime: string | undefined): FakeRuntime {
  const runtime = new FakeRuntime();
  const scheme = kubeletRuntime?.split('://')[0];
  if (scheme === 'containerd' || scheme === 'cri-o')
    runtime.info = async () => ({ kind: 'cri', name: scheme, version: '1.7.0', rootDir: undefined });
  return runtime;
}

/** One node pass with in-memory runtime and registry (every digest check fails fast: no pulls). */
async function pass(api: KubeApiFake, clock: ManualClock, dir: string, node: string, desiredSet?: string) {
  const report = await runNodePass(
    {
      cluster: new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
      runtimeFor: (facts) => ({ runtime: runtimeLike(facts.containerRuntimeVersion) }),
      registryFor: () => new FakeRegistry(),
      logger: silentLogger(),
      clock,
      sleep: async () => {},
    },
    { nodeName: node, config: runnerConfig(dir, node, desiredSet), dryRun: false },
  );
  if (report.fatal) throw new Error(`pass on ${node} stopped: ${report.fatal}`);
  const selinux = report.sections.selinux;
  if (SELINUX && selinux?.ok !== true)
    throw new Error(`SELinux step on ${node} did not run cleanly: ${JSON.stringify(selinux?.summary)}`);
  return desiredOf(report);
}

/** Nodes grouped by what decides their desired set: labels (but the hostname) and taints. */
function nodeClasses(api: KubeApiFake, nodes: readonly string[]): string[][] {
  const classes = new Map<string, string[]>();
  for (const name of nodes) {
    const node = api.get('Node', name) as unknown as {
      metadata: { labels?: Record<string, string> };
      spec?: unknown;
    };
    const { 'kubernetes.io/hostname': _hostname, ...labels } = node.metadata.labels ?? {};
    const key = JSON.stringify({ labels, spec: node.spec ?? {} });
    classes.set(key, [...(classes.get(key) ?? []), name]);
  }
  return [...classes.values()];
}

/**
 * Runs `one(node)` for real on SAMPLE nodes of each class and counts its traffic once per node
 * of the class (every node when SAMPLE is 0); the sampled passes of a class must agree.
 */
async function perNode(
  api: KubeApiFake,
  nodes: readonly string[],
  one: (node: string) => Promise<number>,
): Promise<Tally & { images: number; ran: number }> {
  let total = ZERO;
  let images = 0;
  let ran = 0;
  for (const members of nodeClasses(api, nodes)) {
    const sample = SAMPLE > 0 ? members.slice(0, SAMPLE) : members;
    const tallies: Tally[] = [];
    const counts: number[] = [];
    for (const node of sample) {
      const from = api.requests.length;
      counts.push(await one(node));
      tallies.push(tally(api, from));
      ran++;
    }
    if (SAMPLE === 0) {
      for (const t of tallies) total = add(total, t);
      images += counts.reduce((a, b) => a + b, 0);
      continue;
    }
    const [first] = tallies;
    if (!first) continue;
    if (tallies.some((t) => t.requests !== first.requests) || counts.some((c) => c !== counts[0]))
      throw new Error(`nodes of one class made different passes: ${JSON.stringify({ tallies, counts })}`);
    const bytes = tallies.reduce((sum, t) => sum + t.bytes, 0) / tallies.length;
    total = add(total, { ...first, bytes }, members.length);
    images += (counts[0] ?? 0) * members.length;
  }
  return { ...total, bytes: Math.round(total.bytes), images, ran };
}

async function baseline(dir: string): Promise<Tally & { images: number }> {
  const { api, clock, simulated } = await cluster();
  try {
    const scheduler = new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} });
    const runner = runnerConfig(dir, 'fanout');
    // the per-node-list design's fan-out: list nodes and Jobs, one plain Job per node
    await scheduler.listNodes();
    await scheduler.listJobs(NS, 'app.kubernetes.io/component=node-runner');
    const runId = runIdFor(clock.now());
    for (const node of simulated.nodes) await scheduler.createJob(NS, buildNodeJob({ runner, node, runId }));
    const fanout = tally(api, 0);
    const passes = await perNode(api, simulated.nodes, (node) => pass(api, clock, dir, node));
    if (api.unhandled.length > 0) throw new Error(`fake could not answer: ${api.unhandled[0]}`);
    line('  baseline: fan-out requests', fanout.requests);
    line('  baseline: node passes run for real', passes.ran);
    line('  baseline: node passes, requests', passes.requests);
    return { ...add(fanout, passes), images: passes.images };
  } finally {
    await api.stop();
  }
}

async function handed(dir: string): Promise<Tally & { images: number }> {
  const { api, clock, simulated } = await cluster();
  try {
    const result = await runFanout({
      scheduler: new KubeJobScheduler(api.kubeConfig(), { sleep: async () => {} }),
      cluster: new KubeClusterReader({ kubeConfig: api.kubeConfig(), sleep: async () => {} }),
      runner: runnerConfig(dir, 'fanout'),
      clock,
      logger: silentLogger(),
    });
    if (result.jobs.created !== simulated.nodes.length)
      throw new Error(`fan-out created ${result.jobs.created} Jobs: ${JSON.stringify(result.failures[0])}`);
    const fanout = tally(api, 0);
    const jobs = new Map(
      (api.list('Job', NS) as unknown as V1Job[]).map((job) => [
        job.spec?.template.spec?.nodeName ?? '',
        job,
      ]),
    );
    const passes = await perNode(api, simulated.nodes, async (node) => {
      const volume = jobs.get(node)?.spec?.template.spec?.volumes?.find((v) => v.name === 'desired-set');
      if (!volume) throw new Error(`the Job of ${node} has no desired-set volume`);
      // the kubelet reads the volume's objects: part of the tick's API load
      for (const source of volume.projected?.sources ?? []) {
        const path = source.configMap
          ? `configmaps/${source.configMap.name}`
          : `secrets/${source.secret?.name ?? ''}`;
        const response = await fetch(`${api.url}/api/v1/namespaces/${NS}/${path}`, {
          headers: { authorization: `Bearer ${api.token}` },
        });
        await response.arrayBuffer();
      }
      const mount = join(dir, 'handed', node);
      await materializeVolume(api, NS, volume, mount);
      return pass(api, clock, dir, node, join(mount, 'desired-set.json.gz'));
    });
    if (api.unhandled.length > 0) throw new Error(`fake could not answer: ${api.unhandled[0]}`);
    line('  runner: fan-out requests', fanout.requests);
    line('  runner: node passes run for real', passes.ran);
    line('  runner: node passes + kubelet volume reads, requests', passes.requests);
    line('  runner: node passes, list calls', passes.lists);
    line('  runner: node passes, secret reads (kubelet, own Secret)', passes.secretReads);
    return { ...add(fanout, passes), images: passes.images };
  } finally {
    await api.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'iw-bench-fanout-'));
try {
  line('nodes', NODES);
  line('workloads', WORKLOADS);
  line('selinux checks', SELINUX ? 'on' : 'off');
  const base = await timed(() => baseline(dir));
  line('baseline (per-node lists): requests', base.result.requests);
  line('baseline: list calls', base.result.lists);
  line('baseline: secret reads', base.result.secretReads);
  line('baseline: response MB', base.result.bytes / 1e6);
  line('baseline: desired images over all nodes', base.result.images);
  line('baseline: seconds', base.ms / 1000);
  const runner = await timed(() => handed(dir));
  line('runner (one list, handed sets): requests', runner.result.requests);
  line('runner: list calls', runner.result.lists);
  line('runner: secret reads', runner.result.secretReads);
  line('runner: response MB', runner.result.bytes / 1e6);
  line('runner: desired images over all nodes', runner.result.images);
  line('runner: seconds', runner.ms / 1000);
  if (runner.result.images !== base.result.images)
    throw new Error(`the designs disagree: ${base.result.images} vs ${runner.result.images} desired images`);
  const requestsRatio = ratio(runner.result.requests, base.result.requests);
  const bytesRatio = ratio(runner.result.bytes, base.result.bytes);
  line('requests runner/baseline (target <= 0.05)', requestsRatio);
  line('bytes runner/baseline (target <= 0.05)', bytesRatio);
  emit('fanout-api', {
    nodes: NODES,
    workloads: WORKLOADS,
    selinux: SELINUX,
    requestsBaseline: base.result.requests,
    requestsRunner: runner.result.requests,
    bytesBaseline: base.result.bytes,
    bytesRunner: runner.result.bytes,
    requestsRatio: Number(requestsRatio.toFixed(4)),
    bytesRatio: Number(bytesRatio.toFixed(4)),
    nodePassesRunPerDesign: SAMPLE === 0 ? NODES : `${SAMPLE} per node class`,
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
