import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import type { InvalidItem, KubeNode } from '../cluster/types.ts';
import { type ListFailure, listWorkloads } from '../desired/collect-desired.ts';
import { buildDesiredSet, type DesiredSet } from '../desired/desired-set.ts';
import {
  HANDED_SET_API_VERSION,
  type HandedSecrets,
  type HandedSet,
  type SecretProblem,
  toHandedImage,
} from '../desired/handed-set.ts';
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
  };
}

async function handover(
  node: KubeNode,
  set: DesiredSet,
  context: { runId: string; listFailures: ListFailure[]; invalidObjects: InvalidItem[] },
  secrets: TickPullSecrets | undefined,
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
      const handed = await handover(node, set, context, secrets);
      summary.serviceAccountsRead = secrets?.reads.serviceAccounts ?? 0;
      summary.secretsRead = secrets?.reads.secrets ?? 0;
      return handed;
    },
  };
}
