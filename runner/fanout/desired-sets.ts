// The tick's desired sets: the workloads (and, with the SELinux checks on, the namespaces) are
// listed once; each node's set, its credentials and what its SELinux step reads are then
// built from those lists when its Job is created.
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { InvalidItem, KubeNamespace, KubeNode, Workload } from '../cluster/types.ts';
import { type ListFailure, listWorkloads } from '../desired/collect-desired.ts';
import { buildDesiredSet, type DesiredSet } from '../desired/desired-set.ts';
import {
  HANDED_SET_API_VERSION,
  type HandedSecrets,
  type HandedSet,
  type SecretProblem,
  toHandedImage,
} from '../desired/handed-set.ts';
import { indexTickSelinux, selinuxHandoverFor, type TickSelinux } from '../selinux/handed-selinux.ts';
import type { RunnerConfig } from './job-spec.ts';
import { TickPullSecrets } from './pull-secrets.ts';

const MAX_HANDED_INVALID = 50;

export interface NodeHandover {
  set: HandedSet;
  /** Undefined when the set needs no credentials: then no Secret is created. */
  secrets: HandedSecrets | undefined;
}

export interface TickDesired {
  /** The node's set and credentials, built now from the tick's one list. */
  handoverFor(node: KubeNode): Promise<NodeHandover>;
  summary: {
    workloads: number;
    listFailures: ListFailure[];
    invalidObjects: number;
    serviceAccountsRead: number;
    secretsRead: number;
    /** With the SELinux checks on: namespaces listed, pods bound to nodes, or why they could not be read. */
    selinux?: { namespaces: number; boundPods: number; unavailable?: string };
  };
}

async function handover(
  node: KubeNode,
  set: DesiredSet,
  context: { runId: string; listFailures: ListFailure[]; invalidObjects: InvalidItem[] },
  secrets: TickPullSecrets | undefined,
  selinux: TickSelinux | undefined,
): Promise<NodeHandover> {
  const problems = new Map<string, SecretProblem>();
  const ids = new Set<string>();
  const images = [];
  for (const image of set.images) {
    const resolved = secrets ? await secrets.forImage(image) : { ids: [], problems: [] };
    for (const id of resolved.ids) ids.add(id);
    for (const problem of resolved.problems) problems.set(problem.secret, problem);
    images.push(toHandedImage(image, resolved.ids));
  }
  const handedSecrets = secrets ? await secrets.handedFor(ids) : undefined;
  const runtimeVersion = node.status?.nodeInfo?.containerRuntimeVersion;
  return {
    set: {
      apiVersion: HANDED_SET_API_VERSION,
      kind: 'DesiredSet',
      node: node.metadata.name,
      runId: context.runId,
      ...(runtimeVersion ? { containerRuntimeVersion: runtimeVersion } : {}),
      credentials: handedSecrets !== undefined,
      images,
      counts: set.counts,
      malformed: set.malformed,
      listFailures: context.listFailures,
      invalidObjects: context.invalidObjects,
      secretProblems: [...problems.values()],
      ...(selinux ? { selinux: selinuxHandoverFor(selinux, node.metadata.name) } : {}),
    },
    secrets: handedSecrets,
  };
}

/** Lists the workloads once; each node's set is then built on demand from that list. */
export async function prepareDesiredSets(
  cluster: ClusterReader,
  runner: RunnerConfig,
  runId: string,
  logger: Logger,
): Promise<TickDesired> {
  const listed = await listWorkloads(cluster, logger);
  const selinux = runner.selinux.enabled
    ? await tickSelinux(cluster, runner.selinux.labelKey, listed, logger)
    : undefined;
  const secrets = runner.readPullSecrets ? new TickPullSecrets(cluster, logger) : undefined;
  const context = {
    runId,
    listFailures: listed.listFailures,
    // a ConfigMap holds 1 MiB: the first invalid objects tell the story
    invalidObjects: listed.invalidObjects.slice(0, MAX_HANDED_INVALID),
  };
  const summary: TickDesired['summary'] = {
    workloads: listed.workloads.length,
    listFailures: listed.listFailures,
    invalidObjects: listed.invalidObjects.length,
    serviceAccountsRead: 0,
    secretsRead: 0,
    ...(selinux
      ? {
          selinux: {
            namespaces: selinux.namespaces.size,
            boundPods: [...selinux.podsByNode.values()].reduce((n, pods) => n + pods.length, 0),
            ...(selinux.unavailable !== undefined ? { unavailable: selinux.unavailable } : {}),
          },
        }
      : {}),
  };
  return {
    summary,
    async handoverFor(node) {
      const set = buildDesiredSet({
        node,
        workloads: listed.workloads,
        unlistedKinds: listed.listFailures.map((failure) => failure.kind),
        warm: runner.warm,
        include: runner.include,
        exclude: runner.exclude,
        includeSuspended: runner.includeSuspended,
      });
      const handed = await handover(node, set, context, secrets, selinux);
      summary.serviceAccountsRead = secrets?.reads.serviceAccounts ?? 0;
      summary.secretsRead = secrets?.reads.secrets ?? 0;
      return handed;
    },
  };
}

/**
 * What the node Jobs' SELinux steps read, from the tick's lists: the Pod list is the workload
 * list's own, so only the namespaces cost a request. A list that failed is handed on as the
 * reason, so each node reports it instead of checking against a partial picture.
 */
async function tickSelinux(
  cluster: ClusterReader,
  labelKey: string,
  listed: { workloads: Workload[]; listFailures: ListFailure[] },
  logger: Logger,
): Promise<TickSelinux> {
  const podFailure = listed.listFailures.find((failure) => failure.kind === 'Pod');
  let namespaces: KubeNamespace[] = [];
  let unavailable = podFailure ? `pods: ${podFailure.message}` : undefined;
  if (!podFailure) {
    try {
      const result = await cluster.listNamespaces();
      namespaces = result.items;
      for (const bad of result.invalid)
        logger.warn({ namespace: bad.name, problem: bad.message }, 'namespace object failed its schema');
    } catch (error) {
      unavailable = `namespaces: ${errorMessage(error)}`;
      logger.warn({ err: unavailable }, 'cannot list namespaces; node Jobs check SELinux next tick');
    }
  }
  return indexTickSelinux({ labelKey, namespaces, workloads: listed.workloads, unavailable });
}
