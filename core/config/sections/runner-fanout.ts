// Settings of the CronJob fan-out that starts one runner Job per node. The node Job template
// is built in code from these (runner/fanout/job-spec.ts); infra/ ships matching defaults.
import { z } from 'zod';
import { Duration } from '../common.ts';

/** A Kubernetes quantity such as `100m`, `256Mi` or `1`. */
const Quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, {
  error: 'expected a Kubernetes quantity like 100m or 256Mi',
});

const ResourceList = z.object({ cpu: Quantity, memory: Quantity }).strict();

/** One pod toleration, as in a pod spec. */
export const Toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .strict();
export type Toleration = z.infer<typeof Toleration>;

export const RunnerFanoutSection = z
  .object({
    namespace: z
      .string()
      .default('imagewarden')
      .describe('Namespace the node Jobs are created in (the fan-out’s own).'),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Runner image the node Jobs run. Unset (the default): the fan-out pod’s own image, at the digest it runs (read from its Pod, named by POD_NAME/POD_NAMESPACE); set it only to override that, or when running the fan-out outside a pod.',
      ),
    imagePullPolicy: z
      .enum(['Always', 'IfNotPresent', 'Never'])
      .default('IfNotPresent')
      .describe('Pull policy of the node Jobs.'),
    serviceAccount: z
      .string()
      .default('imagewarden-node')
      .describe(
        'ServiceAccount of the node Jobs (handed their desired set and what the SELinux checks read: only Events).',
      ),
    configMap: z
      .string()
      .default('imagewarden-runner')
      .describe(
        'ConfigMap holding the runner config; mounted into every node Job so they share the fan-out’s config.',
      ),
    configKey: z.string().default('runner.yaml').describe('Key of the runner config file in that ConfigMap.'),
    nodeSelector: z
      .record(z.string(), z.string())
      .default({})
      .describe('Only nodes carrying all these labels get a runner Job.'),
    maxConcurrentJobs: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(10)
      .describe(
        'At most this many node Jobs active cluster-wide; nodes over the limit wait for the next tick (those least recently run go first).',
      ),
    tolerations: z
      .array(Toleration)
      .default([{ operator: 'Exists' }])
      .describe(
        'Tolerations of the node Jobs; nodes with a NoSchedule/NoExecute taint not tolerated here are skipped.',
      ),
    activeDeadline: Duration.prefault('50m').describe('activeDeadlineSeconds of a node Job.'),
    ttlAfterFinished: Duration.prefault('1h').describe('ttlSecondsAfterFinished of a node Job.'),
    finishedRetention: Duration.prefault('6h').describe(
      'Finished node Jobs older than this are deleted by the fan-out (in case the TTL controller did not).',
    ),
    backoffLimit: z.number().int().min(0).max(10).default(1).describe('backoffLimit of a node Job.'),
    runAsUser: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'UID of the node Job container. 0 (with every capability dropped) can read the root-only kubelet pod dirs the SELinux checks walk; a non-zero UID sets runAsNonRoot and needs socketGroup.',
      ),
    socketGroup: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        'GID owning the runtime socket (the `docker` group: `stat -c %g /var/run/docker.sock`); added as a supplemental group.',
      ),
    seLinuxType: z
      .string()
      .optional()
      .describe(
        'SELinux type of the node Job container, e.g. spc_t on SELinux hosts so it may connect to the runtime socket.',
      ),
    priorityClassName: z.string().optional().describe('PriorityClass of the node Jobs.'),
    imagePullSecrets: z
      .array(z.string())
      .default([])
      .describe(
        'Secrets (in the fan-out namespace) the kubelet uses to pull the runner image for node Jobs.',
      ),
    dockerConfigSecret: z
      .string()
      .optional()
      .describe(
        'A kubernetes.io/dockerconfigjson Secret in the fan-out namespace, mounted in node Jobs at runner.dockerConfig (which must be set).',
      ),
    resources: z
      .object({ requests: ResourceList, limits: ResourceList })
      .strict()
      .prefault({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } })
      .describe('Requests and limits of the node Job container; setting any of them means giving all four.'),
    kubeconfig: z
      .string()
      .optional()
      .describe(
        'kubeconfig file for the fan-out; unset: the in-cluster ServiceAccount in a pod, else $KUBECONFIG, then ~/.kube/config.',
      ),
    selinuxAudit: z
      .boolean()
      .default(true)
      .describe(
        'Run the cluster-wide SELinux audit (`runner selinux-audit`) once per tick when runner.selinux.enabled.',
      ),
  })
  .strict();
export type RunnerFanoutSection = z.infer<typeof RunnerFanoutSection>;
