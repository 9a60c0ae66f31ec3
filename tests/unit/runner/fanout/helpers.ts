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

export function runnerConfig(runner: Record<string, unknown> = {}): RunnerConfig {
  return Config.parse({ runner }).runner;
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
