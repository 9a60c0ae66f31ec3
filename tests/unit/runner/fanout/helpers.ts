// Builders of Node and Job objects as the API returns them, for the fan-out's unit tests.
import { Config } from '../../../../core/config/schema.ts';
import type { ClusterReader } from '../../../../runner/cluster/ClusterReader.ts';
import type { Workload } from '../../../../runner/cluster/types.ts';
import type { RunnerConfig } from '../../../../runner/fanout/job-spec.ts';

export interface NodeOptions {
  ready?: boolean | 'Unknown';
  unschedulable?: boolean;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

export function node(name: string, options: NodeOptions = {}): Record<string, unknown> {
  const ready = options.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec: {
      ...(options.unschedulable ? { unschedulable: true } : {}),
      ...(options.taints ? { taints: options.taints } : {}),
    },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: ready === 'Unknown' ? 'Unknown' : ready ? 'True' : 'False' },
      ],
    },
  };
}

export interface JobOptions {
  created: string;
  finished?: { at: string; as: 'Complete' | 'Failed' };
  deadlineSeconds?: number;
}

/** A node Job as the fan-out made it, with the status the Job controller would have set. */
export function nodeJob(name: string, nodeName: string, options: JobOptions): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'imagewarden',
      creationTimestamp: options.created,
      labels: {
        'app.kubernetes.io/component': 'node-runner',
        'app.kubernetes.io/managed-by': 'imagewarden-fanout',
        'imagewarden.io/node': nodeName,
      },
    },
    spec: {
      activeDeadlineSeconds: options.deadlineSeconds ?? 3000,
      template: { spec: { nodeName, containers: [{ name: 'runner', image: 'x' }], restartPolicy: 'Never' } },
    },
    status: options.finished
      ? {
          startTime: options.created,
          completionTime: options.finished.as === 'Complete' ? options.finished.at : undefined,
          conditions: [
            { type: options.finished.as, status: 'True', lastTransitionTime: options.finished.at },
          ],
          ...(options.finished.as === 'Complete' ? { succeeded: 1 } : { failed: 1 }),
        }
      : { startTime: options.created, active: 1 },
  };
}

/** The image the tests' node Jobs run unless a test says otherwise (the fan-out reads no pod then). */
export const TEST_RUNNER_IMAGE = 'ghcr.io/imagewarden/runner:0.1.0';

/** A runner config as the schema makes it; runner.fanout.image is TEST_RUNNER_IMAGE unless given (`undefined`: none). */
export function runnerConfig(runner: Record<string, unknown> = {}): RunnerConfig {
  const fanout = { image: TEST_RUNNER_IMAGE, ...(runner.fanout as Record<string, unknown> | undefined) };
  return Config.parse({ runner: { ...runner, fanout } }).runner;
}

/** A cluster whose workloads are the given ones (no Secrets, no ServiceAccounts): the fan-out's reads in unit tests. */
export function staticCluster(workloads: Workload[] = []): ClusterReader {
  const none = { items: [], invalid: [] };
  return {
    getNode: async () => undefined,
    listNodes: async () => none,
    listNamespaces: async () => none,
    listPods: async () => none,
    listWorkloads: async (kind) => ({ items: workloads.filter((w) => w.kind === kind), invalid: [] }),
    getSecret: async () => undefined,
    getServiceAccount: async () => undefined,
    createEvent: async () => {},
  };
}

export interface FanoutPodOptions {
  image: string;
  /** status.containerStatuses[].imageID as the kubelet reports it; absent while the pod is pending. */
  imageID?: string;
  /** Other containers beside the fan-out's (a sidecar a mesh injects). */
  sidecars?: { name: string; image: string }[];
  containerName?: string;
}

/** The fan-out's own Pod, as the API returns it once its container runs. */
export function fanoutPod(name: string, options: FanoutPodOptions): Record<string, unknown> {
  const container = options.containerName ?? 'fanout';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'imagewarden', labels: { 'app.kubernetes.io/component': 'fanout' } },
    spec: {
      serviceAccountName: 'imagewarden-fanout',
      restartPolicy: 'Never',
      containers: [{ name: container, image: options.image }, ...(options.sidecars ?? [])],
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: container,
          image: options.image,
          ready: true,
          restartCount: 0,
          ...(options.imageID !== undefined ? { imageID: options.imageID } : {}),
        },
      ],
    },
  };
}
