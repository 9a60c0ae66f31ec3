// The node Job template. It lives in code, built from the same config the fan-out runs with,
// so a config change (socket, relabel, tolerations) reaches every node Job without a
// manifest edit. infra/ ships a ConfigMap whose values match these defaults (tested).
import { createHash } from 'node:crypto';
import type { V1Job, V1SecurityContext, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Config } from '../../core/config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import { HANDED_SECRETS_FILE, HANDED_SET_FILE } from '../desired/handed-set.ts';
import { type RuntimeSelection, selectRuntime } from '../runtime/selection.ts';
import { LABELS, NODE_ANNOTATION, NODE_JOB_LABELS } from './types.ts';

export type RunnerConfig = Config['runner'];

/** Where the runner config ConfigMap is mounted inside node Jobs and the CronJob pod. */
export const CONFIG_DIR = '/etc/imagewarden';
export const JOB_NAME_PREFIX = 'imagewarden-node-';
/** Where a node Job finds the desired set (and pull secrets) the fan-out handed it. */
export const HANDED_DIR = '/run/imagewarden/desired';

const hash = (text: string, length: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/** A run id from the tick's time, `YYYYMMDDHHmm` (UTC): a retried fan-out in the same minute hits 409, not a duplicate. */
export function runIdFor(now: Date): string {
  return now.toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/** A label value naming the node: the name itself when it fits in 63 characters, else a prefix and a hash. */
export function nodeLabelValue(node: string): string {
  if (node.length <= 63 && /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(node)) return node;
  const prefix = node
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 52)
    .replace(/[^A-Za-z0-9]+$/, '');
  return `${prefix}-${hash(node, 10)}`.replace(/^[^A-Za-z0-9]+/, '');
}

/** The Job name for a node and run: a DNS-1123 label of at most 63 characters. */
export function jobNameFor(node: string, runId: string): string {
  const room = 63 - JOB_NAME_PREFIX.length - 1 - runId.length;
  let slug = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug !== node || slug.length > room) {
    slug = `${slug.slice(0, room - 7).replace(/-+$/, '')}-${hash(node, 6)}`.replace(/^-+/, '');
  }
  return `${JOB_NAME_PREFIX}${slug}-${runId}`;
}

/** Settings that only make sense together; thrown as a ConfigError (exit 2) before any API call. */
export function checkFanoutConfig(runner: RunnerConfig): void {
  if (runner.fanout.dockerConfigSecret && !runner.dockerConfig) {
    throw new ConfigError('invalid runner config', [
      'runner.fanout.dockerConfigSecret: needs runner.dockerConfig, the path to mount it at (e.g. /run/imagewarden/docker/config.json)',
    ]);
  }
}

interface Mounts {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

function mounts(runner: RunnerConfig, runtime: RuntimeSelection, jobName: string, handed?: Handover): Mounts {
  const { fanout, selinux } = runner;
  const out: Mounts = {
    volumes: [
      { name: 'config', configMap: { name: fanout.configMap } },
      { name: 'runtime-socket', hostPath: { path: runtime.socket, type: 'Socket' } },
      { name: 'state', hostPath: { path: runner.stateDir, type: 'DirectoryOrCreate' } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ],
    mounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      // Read-only does not limit what the runtime API allows through the socket; it only
      // keeps the socket file itself untouched. Socket access is root-equivalent on the node.
      { name: 'runtime-socket', mountPath: runtime.socket, readOnly: true },
      { name: 'state', mountPath: runner.stateDir },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  // The Docker Engine API says nothing about free space, so that adapter reads the image
  // store's filesystem; the CRI reports it (ImageFsInfo) and needs no such mount.
  if (runtime.adapter === 'docker') {
    out.volumes.splice(3, 0, {
      name: 'image-store',
      hostPath: { path: runner.imageStorePath, type: 'Directory' },
    });
    out.mounts.splice(3, 0, { name: 'image-store', mountPath: runner.imageStorePath, readOnly: true });
  }
  if (handed) {
    // One directory with the set (ConfigMap) and, when the set needs any, the pull secrets
    // (Secret): both are this Job's own, made by the fan-out for this tick.
    out.volumes.push({
      name: 'desired-set',
      projected: {
        sources: [
          { configMap: { name: jobName, items: [{ key: HANDED_SET_FILE, path: HANDED_SET_FILE }] } },
          ...(handed.credentials
            ? [
                {
                  secret: { name: jobName, items: [{ key: HANDED_SECRETS_FILE, path: HANDED_SECRETS_FILE }] },
                },
              ]
            : []),
        ],
      },
    });
    out.mounts.push({ name: 'desired-set', mountPath: HANDED_DIR, readOnly: true });
  }
  if (fanout.dockerConfigSecret && runner.dockerConfig) {
    out.volumes.push({
      name: 'pull-credentials',
      secret: {
        secretName: fanout.dockerConfigSecret,
        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
      },
    });
    out.mounts.push({
      name: 'pull-credentials',
      mountPath: runner.dockerConfig,
      subPath: 'config.json',
      readOnly: true,
    });
  }
  if (selinux.enabled) {
    out.volumes.push({ name: 'kubelet-pods', hostPath: { path: selinux.podsRoot, type: 'Directory' } });
    out.mounts.push({ name: 'kubelet-pods', mountPath: selinux.podsRoot, readOnly: !selinux.relabel });
  }
  return out;
}

/** Privilege only for relabelling: writing security.selinux xattrs needs it; everything else does not. */
function containerSecurity(runner: RunnerConfig): V1SecurityContext {
  if (runner.selinux.enabled && runner.selinux.relabel) {
    return { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true };
  }
  const uid = runner.fanout.runAsUser;
  return {
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    runAsUser: uid,
    runAsNonRoot: uid !== 0,
  };
}

/** What the fan-out hands a node Job besides its config: the set, and pull secrets if any. */
export interface Handover {
  credentials: boolean;
}

export interface NodeJobInput {
  runner: RunnerConfig;
  node: string;
  runId: string;
  /** The node's status.nodeInfo.containerRuntimeVersion: picks the runtime and socket (runner.runtime auto). */
  containerRuntimeVersion?: string | undefined;
  /** Set when the fan-out hands the Job its desired set (a ConfigMap and Secret named like the Job). */
  handed?: Handover | undefined;
  /** The image to run (runner-image.ts resolves it once per tick); default runner.fanout.image. */
  image?: string | undefined;
}

export function buildNodeJob({
  runner,
  node,
  runId,
  containerRuntimeVersion,
  handed,
  image = runner.fanout.image,
}: NodeJobInput): V1Job {
  const { fanout } = runner;
  if (image === undefined) {
    throw new ConfigError('invalid runner config', [
      "runner.fanout.image: not set, and no image was resolved from the fan-out's own pod",
    ]);
  }
  const labels = { ...NODE_JOB_LABELS, [LABELS.node]: nodeLabelValue(node), [LABELS.run]: runId };
  const name = jobNameFor(node, runId);
  const runtime = selectRuntime(runner.runtime, runner.socket, containerRuntimeVersion);
  const { volumes, mounts: volumeMounts } = mounts(runner, runtime, name, handed);
  const configPath = `${CONFIG_DIR}/${fanout.configKey}`;
  const nodeNameRef = { valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: fanout.namespace,
      labels,
      annotations: { [NODE_ANNOTATION]: node },
    },
    spec: {
      backoffLimit: fanout.backoffLimit,
      activeDeadlineSeconds: Math.max(1, Math.round(fanout.activeDeadline / 1000)),
      ttlSecondsAfterFinished: Math.round(fanout.ttlAfterFinished / 1000),
      template: {
        metadata: { labels, annotations: { [NODE_ANNOTATION]: node } },
        spec: {
          nodeName: node,
          serviceAccountName: fanout.serviceAccount,
          restartPolicy: 'Never',
          tolerations: fanout.tolerations,
          ...(fanout.priorityClassName ? { priorityClassName: fanout.priorityClassName } : {}),
          ...(fanout.imagePullSecrets.length > 0
            ? { imagePullSecrets: fanout.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          securityContext: {
            seccompProfile: { type: 'RuntimeDefault' },
            ...(fanout.socketGroup !== undefined ? { supplementalGroups: [fanout.socketGroup] } : {}),
            ...(fanout.seLinuxType ? { seLinuxOptions: { type: fanout.seLinuxType } } : {}),
          },
          containers: [
            {
              name: 'runner',
              image,
              imagePullPolicy: fanout.imagePullPolicy,
              args: ['runner', 'node', '--once', '--config', configPath],
              env: [
                { name: 'IMAGEWARDEN_CONFIG', value: configPath },
                { name: 'NODE_NAME', ...nodeNameRef },
                { name: 'IMAGEWARDEN_RUNNER__NODE_NAME', ...nodeNameRef },
                // The fan-out's choice for this node, so the pass need not guess (a mixed
                // cluster runs containerd, CRI-O and Docker nodes side by side).
                { name: 'IMAGEWARDEN_RUNNER__RUNTIME', value: runtime.adapter },
                { name: 'IMAGEWARDEN_RUNNER__SOCKET', value: runtime.socket },
                ...(handed
                  ? [{ name: 'IMAGEWARDEN_RUNNER__DESIRED_SET', value: `${HANDED_DIR}/${HANDED_SET_FILE}` }]
                  : []),
                // More of libuv's file-system threads than the default 4: a volume walk abandoned
                // on a hung NFS mount leaves its readdir/lstat holding one until the mount answers.
                { name: 'UV_THREADPOOL_SIZE', value: '16' },
              ],
              resources: {
                requests: { ...fanout.resources.requests },
                limits: { ...fanout.resources.limits },
              },
              securityContext: containerSecurity(runner),
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}
