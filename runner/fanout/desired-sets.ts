// Every node's desired set for one tick, from ONE cluster-wide list of each workload kind (the
// node Jobs list nothing): the same buildDesiredSet a node pass runs, per node, plus the pull
// credentials each set needs when runner.readPullSecrets is on. A kind whose list fails is
// reported in every set (as a node pass reports it); the other kinds still contribute.
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { type InvalidItem, type KubeNode, WORKLOAD_KINDS, type Workload } from '../cluster/types.ts';
import type { ListFailure } from '../desired/collect-desired.ts';
import { buildDesiredSet, type DesiredSet } from '../desired/desired-set.ts';
import {
  HANDED_SET_API_VERSION,
  type HandedSecrets,
  type HandedSet,
  type SecretProblem,
  toHandedImage,
} from '../desired/handed-set.ts';
import type { RunnerConfig } from './job-spec.ts';
import { readTickPullSecrets, type TickPullSecrets } from './pull-secrets.ts';

export interface NodeHandover {
  set: HandedSet;
  /** Undefined when the set needs no credentials: then no Secret is created. */
  secrets: HandedSecrets | undefined;
}

export interface TickDesired {
  byNode: Map<string, NodeHandover>;
  summary: {
    workloads: number;
    listFailures: ListFailure[];
    invalidObjects: number;
    serviceAccountsRead: number;
    secretsRead: number;
  };
}

/** Lists every workload kind once; a failed kind is recorded, not fatal. */
async function listWorkloads(cluster: ClusterReader, logger: Logger) {
  const workloads: Workload[] = [];
  const listFailures: ListFailure[] = [];
  const invalidObjects: InvalidItem[] = [];
  // one kind at a time: the API server is shared with everything else in the cluster
  for (const kind of WORKLOAD_KINDS) {
    try {
      const listed = await cluster.listWorkloads(kind);
      workloads.push(...listed.items);
      invalidObjects.push(...listed.invalid);
    } catch (error) {
      listFailures.push({ kind, message: errorMessage(error) });
      logger.warn(
        { kind, err: errorMessage(error) },
        'could not list workloads of this kind; continuing without them',
      );
    }
  }
  for (const item of invalidObjects) {
    logger.warn(
      { kind: item.kind, namespace: item.namespace, name: item.name, problem: item.message },
      'invalid object skipped',
    );
  }
  return { workloads, listFailures, invalidObjects };
}

function handover(
  node: KubeNode,
  set: DesiredSet,
  context: { runId: string; listFailures: ListFailure[]; invalidObjects: InvalidItem[] },
  secrets: TickPullSecrets | undefined,
): NodeHandover {
  const problems = new Map<string, SecretProblem>();
  const ids = new Set<string>();
  const images = set.images.map((image) => {
    const resolved = secrets?.forImage(image) ?? { ids: [], problems: [] };
    for (const id of resolved.ids) ids.add(id);
    for (const problem of resolved.problems) problems.set(problem.secret, problem);
    return toHandedImage(image, resolved.ids);
  });
  const handedSecrets = secrets?.handedFor(ids);
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
    },
    secrets: handedSecrets,
  };
}

export async function computeDesiredSets(
  cluster: ClusterReader,
  runner: RunnerConfig,
  nodes: readonly KubeNode[],
  runId: string,
  logger: Logger,
): Promise<TickDesired> {
  const listed = await listWorkloads(cluster, logger);
  const sets = nodes.map((node) => ({
    node,
    set: buildDesiredSet({
      node,
      workloads: listed.workloads,
      unlistedKinds: listed.listFailures.map((failure) => failure.kind),
      warm: runner.warm,
      include: runner.include,
      exclude: runner.exclude,
      includeSuspended: runner.includeSuspended,
    }),
  }));
  const secrets = runner.readPullSecrets
    ? await readTickPullSecrets(
        cluster,
        sets.flatMap(({ set }) => set.images),
        logger,
      )
    : undefined;
  const byNode = new Map<string, NodeHandover>();
  for (const { node, set } of sets) {
    byNode.set(
      node.metadata.name,
      handover(
        node,
        set,
        { runId, listFailures: listed.listFailures, invalidObjects: listed.invalidObjects },
        secrets,
      ),
    );
  }
  return {
    byNode,
    summary: {
      workloads: listed.workloads.length,
      listFailures: listed.listFailures,
      invalidObjects: listed.invalidObjects.length,
      serviceAccountsRead: secrets?.reads.serviceAccounts ?? 0,
      secretsRead: secrets?.reads.secrets ?? 0,
    },
  };
}
