// The slices of Kubernetes Node and Job objects the fan-out reads, as zod schemas: whatever
// the API server (or a broken admission webhook) returns passes through these first.
import { z } from 'zod';

/** A timestamp as the API sends it (RFC 3339 string) or as @kubernetes/client-node decodes it (Date). */
const Timestamp = z.union([z.string(), z.date()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `expected a timestamp, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return date;
});

const Condition = z.object({ type: z.string(), status: z.string() });

export const Taint = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.string(),
});
export type Taint = z.infer<typeof Taint>;

export const KubeNode = z.object({
  metadata: z.object({
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .object({
      unschedulable: z.boolean().optional(),
      taints: z.array(Taint).optional(),
    })
    .optional(),
  status: z.object({ conditions: z.array(Condition).optional() }).optional(),
});
export type KubeNode = z.infer<typeof KubeNode>;

export const KubeJob = z.object({
  metadata: z.object({
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    creationTimestamp: Timestamp.optional(),
  }),
  spec: z
    .object({
      activeDeadlineSeconds: z.number().optional(),
      template: z.object({ spec: z.object({ nodeName: z.string().optional() }).optional() }).optional(),
    })
    .optional(),
  status: z
    .object({
      active: z.number().optional(),
      startTime: Timestamp.optional(),
      completionTime: Timestamp.optional(),
      conditions: z.array(Condition.extend({ lastTransitionTime: Timestamp.optional() })).optional(),
    })
    .optional(),
});
export type KubeJob = z.infer<typeof KubeJob>;

/** What the planner knows about one node Job. */
export interface JobView {
  name: string;
  /** The node it is pinned to; undefined when the Job carries no nodeName (not ours to judge). */
  node: string | undefined;
  createdAt: Date | undefined;
  startedAt: Date | undefined;
  /** When it finished (Complete or Failed), or undefined while it is still active or pending. */
  finishedAt: Date | undefined;
  activeDeadlineSeconds: number | undefined;
}

/** Labels every node Job carries; the fan-out finds its Jobs by the first two. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  node: 'imagewarden.io/node',
  run: 'imagewarden.io/run',
} as const;

export const NODE_JOB_LABELS = {
  [LABELS.name]: 'imagewarden',
  [LABELS.component]: 'node-runner',
  [LABELS.managedBy]: 'imagewarden-fanout',
  [LABELS.partOf]: 'imagewarden',
} as const;

/** The label selector that lists node Jobs made by the fan-out. */
export const NODE_JOB_SELECTOR = `${LABELS.component}=node-runner,${LABELS.managedBy}=imagewarden-fanout`;

/** Annotation with the full node name (a label value is capped at 63 characters). */
export const NODE_ANNOTATION = 'imagewarden.io/node-name';
