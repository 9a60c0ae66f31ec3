// Schemas of the Kubernetes objects the runner reads. Each parses only the fields some runner
// step uses and lets the rest pass through (loose objects), so a newer API server's extra
// fields never break a run while a wrong type in a field we rely on is caught here.
import { z } from 'zod';

const StringMap = z.record(z.string(), z.string());

export const OwnerReference = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

export const ObjectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z.array(OwnerReference).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const NodeSelectorRequirement = z.looseObject({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
});
export type NodeSelectorRequirement = z.infer<typeof NodeSelectorRequirement>;

export const NodeSelectorTerm = z.looseObject({
  matchExpressions: z.array(NodeSelectorRequirement).optional(),
  matchFields: z.array(NodeSelectorRequirement).optional(),
});
export type NodeSelectorTerm = z.infer<typeof NodeSelectorTerm>;

export const Toleration = z.looseObject({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
});
export type Toleration = z.infer<typeof Toleration>;

/** A container's image is `unknown` on purpose: a malformed one is counted later, not fatal here. */
export const Container = z.looseObject({ name: z.string(), image: z.unknown().optional() });
export type Container = z.infer<typeof Container>;

export const PodSpec = z.looseObject({
  containers: z.array(Container).default([]),
  initContainers: z.array(Container).optional(),
  nodeName: z.string().optional(),
  nodeSelector: StringMap.optional(),
  affinity: z
    .looseObject({
      nodeAffinity: z
        .looseObject({
          requiredDuringSchedulingIgnoredDuringExecution: z
            .looseObject({ nodeSelectorTerms: z.array(NodeSelectorTerm) })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  tolerations: z.array(Toleration).optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  serviceAccountName: z.string().optional(),
});
export type PodSpec = z.infer<typeof PodSpec>;

export const PodTemplate = z.looseObject({ metadata: z.unknown().optional(), spec: PodSpec });

export const KubePod = z.looseObject({
  metadata: ObjectMeta,
  spec: PodSpec,
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});
export type KubePod = z.infer<typeof KubePod>;

export const Taint = z.looseObject({ key: z.string(), value: z.string().optional(), effect: z.string() });
export type Taint = z.infer<typeof Taint>;

export const KubeNode = z.looseObject({
  metadata: ObjectMeta,
  spec: z
    .looseObject({ taints: z.array(Taint).optional(), unschedulable: z.boolean().optional() })
    .default({}),
  status: z
    .looseObject({
      nodeInfo: z.looseObject({ containerRuntimeVersion: z.string().optional() }).optional(),
    })
    .optional(),
});
export type KubeNode = z.infer<typeof KubeNode>;

export const KubeNamespace = z.looseObject({
  metadata: ObjectMeta,
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});
export type KubeNamespace = z.infer<typeof KubeNamespace>;

export const KubeSecret = z.looseObject({
  metadata: ObjectMeta,
  type: z.string().optional(),
  /** Values are base64, as the API serves them. */
  data: StringMap.optional(),
});
export type KubeSecret = z.infer<typeof KubeSecret>;

export const KubeServiceAccount = z.looseObject({
  metadata: ObjectMeta,
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
});
export type KubeServiceAccount = z.infer<typeof KubeServiceAccount>;

const JobStatus = z.looseObject({
  active: z.number().optional(),
  succeeded: z.number().optional(),
  failed: z.number().optional(),
  completionTime: z.unknown().optional(),
  conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
});

export const KubeDeploymentLike = z.looseObject({
  metadata: ObjectMeta,
  spec: z.looseObject({ replicas: z.number().optional(), template: PodTemplate }),
});
export type KubeDeploymentLike = z.infer<typeof KubeDeploymentLike>;

export const KubeDaemonSet = z.looseObject({
  metadata: ObjectMeta,
  spec: z.looseObject({ template: PodTemplate }),
});

export const KubeJob = z.looseObject({
  metadata: ObjectMeta,
  spec: z.looseObject({ template: PodTemplate, suspend: z.boolean().optional() }),
  status: JobStatus.optional(),
});
export type KubeJob = z.infer<typeof KubeJob>;

export const KubeCronJob = z.looseObject({
  metadata: ObjectMeta,
  spec: z.looseObject({
    suspend: z.boolean().optional(),
    jobTemplate: z.looseObject({ spec: z.looseObject({ template: PodTemplate }) }),
  }),
});

/** The kinds whose pod templates tell which images a node may need. */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'CronJob',
  'Job',
  'Pod',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** One object that can start pods, reduced to what the desired set needs. */
export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string | undefined;
  ownerReferences: OwnerReference[];
  /** Declared replicas (Deployment, StatefulSet, ReplicaSet); 0 means scaled to zero. */
  replicas: number | undefined;
  podSpec: PodSpec;
  /** A Job that completed or failed for good, or a Pod that ended: no new pods. */
  inactive: boolean;
  /**
   * A suspended CronJob or unfinished Job: no pods now, but its pods start the moment it is
   * resumed, like an app scaled to zero (runner.includeSuspended decides).
   */
  suspended: boolean;
}

/** One object of a list that failed its schema: counted and reported, never fatal. */
export interface InvalidItem {
  kind: string;
  namespace?: string;
  name?: string;
  message: string;
}

export interface Listed<T> {
  items: T[];
  invalid: InvalidItem[];
}

/** An Event to record on any object (a Node, a Namespace, a Pod). */
export interface ClusterEvent {
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  /** Namespace the Event lives in; events about cluster-scoped objects go to `default`. */
  namespace?: string;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  /** `source.component` and `reportingController`, e.g. `imagewarden-runner`. */
  component: string;
  /** `source.host` / `reportingInstance`, usually the node name. */
  host?: string;
}
