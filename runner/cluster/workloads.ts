// Reduces the workload kinds the runner reads (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// CronJob, Job, Pod) to one shape: their pod template plus what decides whether it still
// starts pods. Each raw object passes its kind's schema first; a failure is an InvalidItem.
import type { z } from 'zod';
import {
  type InvalidItem,
  KubeCronJob,
  KubeDaemonSet,
  KubeDeploymentLike,
  KubeJob,
  KubePod,
  type ObjectMeta,
  type PodSpec,
  type Workload,
  type WorkloadKind,
} from './types.ts';

function base(kind: WorkloadKind, metadata: ObjectMeta, podSpec: PodSpec) {
  return {
    kind,
    namespace: metadata.namespace ?? 'default',
    name: metadata.name,
    uid: metadata.uid,
    ownerReferences: metadata.ownerReferences ?? [],
    podSpec,
  };
}

function jobFinished(job: KubeJob): boolean {
  const conditions = job.status?.conditions ?? [];
  return conditions.some(
    (condition) =>
      (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
  );
}

const converters: Record<WorkloadKind, (raw: unknown) => Workload> = {
  Deployment: (raw) => deploymentLike('Deployment', KubeDeploymentLike.parse(raw)),
  StatefulSet: (raw) => deploymentLike('StatefulSet', KubeDeploymentLike.parse(raw)),
  ReplicaSet: (raw) => deploymentLike('ReplicaSet', KubeDeploymentLike.parse(raw)),
  DaemonSet: (raw) => {
    const ds = KubeDaemonSet.parse(raw);
    return {
      ...base('DaemonSet', ds.metadata, ds.spec.template.spec),
      replicas: undefined,
      inactive: false,
      suspended: false,
    };
  },
  Job: (raw) => {
    const job = KubeJob.parse(raw);
    const finished = jobFinished(job);
    return {
      ...base('Job', job.metadata, job.spec.template.spec),
      replicas: undefined,
      inactive: finished,
      suspended: !finished && job.spec.suspend === true,
    };
  },
  CronJob: (raw) => {
    const cron = KubeCronJob.parse(raw);
    return {
      ...base('CronJob', cron.metadata, cron.spec.jobTemplate.spec.template.spec),
      replicas: undefined,
      inactive: false,
      suspended: cron.spec.suspend === true,
    };
  },
  Pod: (raw) => {
    const pod = KubePod.parse(raw);
    const phase = pod.status?.phase;
    return {
      ...base('Pod', pod.metadata, pod.spec),
      replicas: undefined,
      inactive: phase === 'Succeeded' || phase === 'Failed',
      suspended: false,
    };
  },
};

function deploymentLike(kind: WorkloadKind, object: KubeDeploymentLike): Workload {
  return {
    ...base(kind, object.metadata, object.spec.template.spec),
    // Kubernetes defaults an unset replicas to 1
    replicas: object.spec.replicas ?? 1,
    inactive: false,
    suspended: false,
  };
}

function identify(raw: unknown): { namespace?: string; name?: string } {
  const metadata = (raw as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  return {
    ...(typeof metadata?.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    ...(typeof metadata?.name === 'string' ? { name: metadata.name } : {}),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Converts raw API objects of one kind; bad ones are returned as InvalidItem with the field named. */
export function toWorkloads(
  kind: WorkloadKind,
  raws: readonly unknown[],
): { items: Workload[]; invalid: InvalidItem[] } {
  const items: Workload[] = [];
  const invalid: InvalidItem[] = [];
  for (const raw of raws) {
    try {
      items.push(converters[kind](raw));
    } catch (error) {
      const message =
        error && typeof error === 'object' && 'issues' in error
          ? describeIssues(error as z.ZodError)
          : String(error);
      invalid.push({ kind, ...identify(raw), message });
    }
  }
  return { items, invalid };
}
