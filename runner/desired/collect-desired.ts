// Step: this node's desired set. Handed over by the fan-out (runner.desiredSet: a file in the
// node Job), it is read from there and the API is not asked at all. Otherwise (a pass started
// by hand) read this node and every workload kind from the API and build the set here.
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
import { type HandedDesired, readHandedSet } from './handed-set.ts';

export interface CollectDesiredOptions {
  nodeName: string;
  warm?: readonly string[];
  include?: readonly string[];
  exclude?: readonly string[];
  includeSuspended?: boolean;
  /** The set handed over by the fan-out (runner.desiredSet); warm/include/exclude were applied there. */
  handedSet?: string | undefined;
}

export interface ListFailure {
  kind: WorkloadKind;
  message: string;
}

export interface DesiredResult extends DesiredSet {
  node: KubeNode;
  listFailures: ListFailure[];
  invalidObjects: InvalidItem[];
  /** Set when the fan-out handed the set over: its pull secrets come from there too. */
  handed?: HandedDesired;
}

async function fromHandedSet(file: string, nodeName: string, logger: Logger): Promise<DesiredResult> {
  const handed = await readHandedSet(file, nodeName);
  logger.info({ file, images: handed.set.images.length }, 'desired set handed over by the fan-out');
  return {
    ...handed.set,
    node: handed.node,
    listFailures: handed.listFailures,
    invalidObjects: handed.invalidObjects,
    handed,
  };
}

export async function collectDesired(
  cluster: ClusterReader,
  options: CollectDesiredOptions,
  logger: Logger,
): Promise<DesiredResult> {
  if (options.handedSet) return fromHandedSet(options.handedSet, options.nodeName, logger);
  const node = await cluster.getNode(options.nodeName);
  if (!node) throw new NotFoundError(`node ${options.nodeName} does not exist in the cluster`);
  const { workloads, listFailures, invalidObjects } = await listWorkloads(cluster, logger);
  const set = buildDesiredSet({
    node,
    workloads,
    unlistedKinds: listFailures.map((failure) => failure.kind),
    ...(options.warm ? { warm: options.warm } : {}),
    ...(options.include ? { include: options.include } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.includeSuspended !== undefined ? { includeSuspended: options.includeSuspended } : {}),
  });
  for (const bad of set.malformed) {
    logger.warn(
      { workload: bad.workload, container: bad.container, problem: bad.message },
      'malformed image reference skipped',
    );
  }
  return { ...set, node, listFailures, invalidObjects };
}

/** Lists every workload kind once; a failed kind is recorded, not fatal. */
export async function listWorkloads(
  cluster: ClusterReader,
  logger: Logger,
): Promise<{ workloads: Workload[]; listFailures: ListFailure[]; invalidObjects: InvalidItem[] }> {
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
