// Settings of the node runner's seed pass; prune, SELinux and fan-out have their own files.
import { z } from 'zod';
import { Duration } from '../common.ts';
import { RunnerFanoutSection } from './runner-fanout.ts';
import { RunnerPruneSection } from './runner-prune.ts';
import { RunnerSelinuxSection } from './runner-selinux.ts';

export const RunnerSection = z
  .object({
    nodeName: z
      .string()
      .optional()
      .describe("This node's name; in a Job it comes from the downward API (IMAGEWARDEN_RUNNER__NODE_NAME)."),
    kubeconfig: z
      .string()
      .optional()
      .describe(
        'kubeconfig file for local use; unset: the in-cluster ServiceAccount in a pod, else $KUBECONFIG, then ~/.kube/config.',
      ),
    runtime: z
      .enum(['auto', 'docker', 'cri'])
      .default('auto')
      .describe(
        "Image runtime: `auto` follows the node's containerRuntimeVersion (containerd:// and cri-o:// through the Kubernetes CRI, docker:// through the Docker Engine API); `cri` or `docker` force one.",
      ),
    socket: z
      .string()
      .optional()
      .describe(
        'Runtime socket; unset: the default of the chosen runtime (/run/containerd/containerd.sock, /var/run/crio/crio.sock, /var/run/docker.sock). A Podman socket is used with runtime docker.',
      ),
    stateDir: z
      .string()
      .default('/var/lib/imagewarden')
      .describe('Directory of the node-local state file (node-state.json), written atomically.'),
    reportFile: z
      .string()
      .optional()
      .describe('Where the JSON run report is written (default: <stateDir>/last-run.json).'),
    warm: z.array(z.string()).default([]).describe('Images always kept warm on every node (pulled first).'),
    include: z
      .array(z.string())
      .default([])
      .describe(
        'Registry globs (no "/": `*.corp.example`) or repository globs (`registry.corp/team/**`); when set, a workload image must match one.',
      ),
    exclude: z.array(z.string()).default([]).describe('Registry or repository globs never pre-pulled.'),
    includeSuspended: z
      .boolean()
      .default(true)
      .describe(
        'Count suspended CronJobs and suspended unfinished Jobs as wanted, like apps scaled to zero (their pods start the moment they are resumed).',
      ),
    desiredSet: z
      .string()
      .optional()
      .describe(
        "This node's desired set as handed over by the fan-out (a file; its pull credentials in pull-secrets.json beside it; with SELinux checks on, the node's pods and their namespaces' levels inside it). Set: the pass lists nothing and reads no Secret. Unset (a pass started by hand): the pass reads the workloads, namespaces and pods itself.",
      ),
    dockerConfig: z
      .string()
      .optional()
      .describe('Mounted dockerconfigjson used for registries the workloads’ imagePullSecrets do not cover.'),
    readPullSecrets: z
      .boolean()
      .default(true)
      .describe(
        "Read the workloads' (and their service accounts') imagePullSecrets from the API. Off: only `dockerConfig` is used and the runner needs no access to Secrets.",
      ),
    pullConcurrency: z.number().int().min(1).max(16).default(3).describe('Pulls in flight at once.'),
    pullTimeout: Duration.prefault('15m').describe('Timeout of one pull attempt.'),
    pullRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe(
        'Retries of a failed pull (exponential backoff with jitter); auth and not-found errors are final.',
      ),
    minFreeBytes: z
      .number()
      .int()
      .nonnegative()
      .default(5 * 1024 ** 3)
      .describe("No new pulls start while the image store's filesystem has less free space than this."),
    imageStorePath: z
      .string()
      .default('/var/lib/docker')
      .describe(
        "Docker nodes: a path on the image store's filesystem (mounted into the runner) for the free-space check. CRI nodes use ImageFsInfo and the node's ephemeral-storage capacity instead.",
      ),
    events: z.boolean().default(true).describe('Record an ImagesSeeded / ImageSeedFailed Event on the Node.'),
    prune: RunnerPruneSection.prefault({}),
    selinux: RunnerSelinuxSection.prefault({}),
    fanout: RunnerFanoutSection.prefault({}),
  })
  .strict();
export type RunnerSection = z.infer<typeof RunnerSection>;
