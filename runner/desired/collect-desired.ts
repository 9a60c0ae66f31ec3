// Step: read this node and every workload kind from the API and build the desired set.
// A kind whose list fails (500, 403, truncated body after retries) is counted and reported;
// the others still contribute. Only a node that cannot be read stops the step.
import { errorMessage, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import {
  type InvalidItem,
  type KubeNode,
  WORKLOAD_KINDS,
  type Workload,
  type WorkloadKind,
} from '../cluster/types.ts';
import { buildDesiredSet, type DesiredSet } from './desired-set.ts';

export interface CollectDesiredOptions {
  nodeName: string;
  warm?: readonly string[];
  include?: readonly string[];
  exclude?: readonly string[];
}

export interface ListFailure {
  kind: WorkloadKind;
  message: string;
}

export interface DesiredResult extends DesiredSet {
  node: KubeNode;
  listFailures: ListFailure[];
  invalidObjects: InvalidItem[];
}

export async function collectDesired(
  cluster: ClusterReader,
  options: CollectDesiredOptions,
  logger: Logger,
): Promise<DesiredResult> {
  const node = await cluster.getNode(options.nodeName);
  if (!node) throw new NotFoundError(`node ${options.nodeName} does not exist in the cluster`);
  const workloads: Workload[] = [];
  const listFailures: ListFailure[] = [];
  const invalidObjects: InvalidItem[] = [];
  // one kind at a time: the API server is shared by every node's runner
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
  const set = buildDesiredSet({
    node,
    workloads,
    unlistedKinds: listFailures.map((failure) => failure.kind),
    ...(options.warm ? { warm: options.warm } : {}),
    ...(options.include ? { include: options.include } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
  });
  for (const bad of set.malformed) {
    logger.warn(
      { workload: bad.workload, container: bad.container, problem: bad.message },
      'malformed image reference skipped',
    );
  }
  return { ...set, node, listFailures, invalidObjects };
}
