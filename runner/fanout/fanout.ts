// One fan-out tick: list nodes and node Jobs, delete stale Jobs, then for the nodes that get a
// Job this tick compute every desired set from one cluster-wide list of workloads (and read
// the pull secrets they need once), and create one Job per node with its set handed over in a
// ConfigMap and Secret the Job owns, so node Jobs list nothing themselves. One failed Job is
// counted and reported; only a failed list (no nodes, or no way to see active Jobs and so
// avoid pile-ups) or an unknown runner image (runner-image.ts) ends the tick early, and then
// with a clear message rather than a crash.
import type { Clock } from '../../core/clock.ts';
import { AuthError, errorMessage, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { KubeNode as ClusterNode } from '../cluster/types.ts';
import { type NodeHandover, prepareDesiredSets, type TickDesired } from './desired-sets.ts';
import { JobExistsError, ObjectExistsError } from './errors.ts';
import { handedConfigMap, handedSecret, handedSetFile, MAX_HANDED_SET_BYTES } from './handover.ts';
import type { JobScheduler } from './JobScheduler.ts';
import { buildNodeJob, checkFanoutConfig, jobNameFor, type RunnerConfig, runIdFor } from './job-spec.ts';
import { readJobs } from './jobs.ts';
import { classifyNodes, type IneligibleReason } from './nodes.ts';
import { type FanoutPlan, planFanout } from './plan.ts';
import {
  checkRunnerImageSource,
  type RunnerImage,
  resolveRunnerImage,
  type SelfPod,
} from './runner-image.ts';
import { NODE_JOB_SELECTOR } from './types.ts';

export interface FanoutInput {
  scheduler: JobScheduler;
  /** Reads the workloads (once per tick) and, with runner.readPullSecrets, their pull secrets. */
  cluster: ClusterReader;
  runner: RunnerConfig;
  clock: Clock;
  logger: Logger;
  /** Plan and report without creating or deleting anything. */
  dryRun?: boolean;
  /** The fan-out's own pod (downward API): its image is the node Jobs' unless runner.fanout.image is set. */
  self?: SelfPod | undefined;
}

export interface FanoutResult {
  runId: string;
  dryRun: boolean;
  /** Set when the tick could not run at all (a list failed): nothing was created or deleted. */
  fatal?: string;
  nodes: Record<'listed' | 'eligible' | 'malformed' | IneligibleReason, number>;
  jobs: {
    /** Node Jobs active after this tick's deletions, not counting those it created. */
    active: number;
    created: number;
    alreadyExisted: number;
    skippedActive: number;
    deferred: number;
    deleted: number;
    failed: number;
    deleteFailed: number;
    malformed: number;
  };
  /** Names of the Jobs created (or, in a dry run, that would be). */
  createdJobs: string[];
  deferredNodes: string[];
  deletedJobs: { name: string; reason: string }[];
  failures: { node?: string; job?: string; error: string }[];
  /** The image the node Jobs run and where it came from (absent when it could not be resolved). */
  runnerImage?: RunnerImage;
  /** The desired sets computed this tick (absent when no node got a Job). */
  desired?: TickDesired['summary'] & { sets: number; withCredentials: number };
}

function emptyResult(runId: string, dryRun: boolean): FanoutResult {
  return {
    runId,
    dryRun,
    nodes: {
      listed: 0,
      eligible: 0,
      malformed: 0,
      'not-ready': 0,
      cordoned: 0,
      unmatched: 0,
      'untolerated-taint': 0,
    },
    jobs: {
      active: 0,
      created: 0,
      alreadyExisted: 0,
      skippedActive: 0,
      deferred: 0,
      deleted: 0,
      failed: 0,
      deleteFailed: 0,
      malformed: 0,
    },
    createdJobs: [],
    deferredNodes: [],
    deletedJobs: [],
    failures: [],
  };
}

/** Whether the run did everything it should: exit 0 in the CLI. */
export function fanoutSucceeded(result: FanoutResult): boolean {
  return (
    result.fatal === undefined &&
    result.jobs.failed === 0 &&
    result.jobs.deleteFailed === 0 &&
    result.nodes.malformed === 0 &&
    result.jobs.malformed === 0
  );
}

async function deleteStale(
  input: FanoutInput,
  plan: FanoutPlan,
  result: FanoutResult,
  activeNotFreed: { n: number },
) {
  const { scheduler, runner, logger } = input;
  for (const stale of plan.delete) {
    try {
      if (!input.dryRun) await scheduler.deleteJob(runner.fanout.namespace, stale.name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) {
        result.jobs.deleteFailed++;
        if (stale.reason === 'node-gone-past-deadline') activeNotFreed.n++;
        result.failures.push({ job: stale.name, error: errorMessage(error) });
        logger.warn({ job: stale.name, reason: stale.reason, err: error }, 'stale node Job not deleted');
        continue;
      }
    }
    result.jobs.deleted++;
    result.deletedJobs.push({ name: stale.name, reason: stale.reason });
    logger.info(
      { job: stale.name, node: stale.node, reason: stale.reason, dryRun: input.dryRun },
      'stale node Job deleted',
    );
  }
}

/** Creates the Job, then its handed ConfigMap and Secret; a Job whose handover failed is deleted again. */
async function createNodeJob(
  input: FanoutInput,
  node: string,
  runId: string,
  handover: NodeHandover,
  image: string,
): Promise<{ name: string; existed: boolean }> {
  const { scheduler, runner } = input;
  const namespace = runner.fanout.namespace;
  const file = handedSetFile(handover);
  const size = Math.ceil(file.length / 3) * 4;
  const job = buildNodeJob({
    runner,
    node,
    runId,
    containerRuntimeVersion: handover.set.containerRuntimeVersion,
    handed: { credentials: handover.secrets !== undefined },
    image,
  });
  const name = job.metadata?.name ?? jobNameFor(node, runId);
  if (size > MAX_HANDED_SET_BYTES) {
    throw new Error(
      `desired set of ${handover.set.images.length} images is ${size} bytes gzipped, over the ${MAX_HANDED_SET_BYTES} a ConfigMap holds; narrow it with runner.include/exclude`,
    );
  }
  if (input.dryRun) return { name, existed: false };
  let uid: string;
  try {
    ({ uid } = await scheduler.createJob(namespace, job));
  } catch (error) {
    // Same node and run: a retried tick. The existing Job has its own set; no duplicate.
    if (error instanceof JobExistsError) return { name, existed: true };
    throw error;
  }
  const owner = { name, namespace, uid, labels: (job.metadata?.labels ?? {}) as Record<string, string> };
  try {
    const secret = handedSecret(owner, handover);
    for (const create of [
      () => scheduler.createConfigMap(namespace, handedConfigMap(owner, file)),
      ...(secret ? [() => scheduler.createSecret(namespace, secret)] : []),
    ]) {
      try {
        await create();
      } catch (error) {
        // a create retried after a timeout that did reach the server
        if (!(error instanceof ObjectExistsError)) throw error;
      }
    }
  } catch (error) {
    // Without its set the Job's pod would wait for a volume that never comes: remove it (the
    // garbage collector takes whatever of the handover was made) and let the next tick retry.
    await scheduler
      .deleteJob(namespace, name)
      .catch((cleanup: unknown) =>
        input.logger.warn({ job: name, err: cleanup }, 'node Job without its desired set not deleted'),
      );
    throw error;
  }
  return { name, existed: false };
}

async function createJobs(
  input: FanoutInput,
  nodes: readonly string[],
  runId: string,
  result: FanoutResult,
  tick: { desired: TickDesired; nodes: Map<string, ClusterNode> } | undefined,
  image: string,
) {
  const { logger } = input;
  let forbidden: string | undefined;
  for (const node of nodes) {
    const name = jobNameFor(node, runId);
    if (forbidden !== undefined) {
      // The same RBAC answers every create: report the rest without asking again.
      result.jobs.failed++;
      result.failures.push({ node, job: name, error: `not attempted: ${forbidden}` });
      continue;
    }
    try {
      const object = tick?.nodes.get(node);
      if (!tick || !object)
        throw new Error('no desired set can be computed for this node (its Node object is malformed)');
      const handover = await tick.desired.handoverFor(object);
      result.desired = {
        ...tick.desired.summary,
        sets: (result.desired?.sets ?? 0) + 1,
        withCredentials: (result.desired?.withCredentials ?? 0) + (handover.secrets ? 1 : 0),
      };
      const created = await createNodeJob(input, node, runId, handover, image);
      if (created.existed) {
        result.jobs.alreadyExisted++;
        logger.info({ node, job: created.name }, 'node Job exists already');
        continue;
      }
      result.jobs.created++;
      result.createdJobs.push(created.name);
      logger.info(
        {
          node,
          job: created.name,
          images: handover.set.images.length,
          credentials: handover.secrets !== undefined,
          dryRun: input.dryRun,
        },
        'node Job created with its desired set',
      );
    } catch (error) {
      result.jobs.failed++;
      result.failures.push({ node, job: name, error: errorMessage(error) });
      logger.warn({ node, job: name, err: error }, 'node Job not created');
      if (error instanceof AuthError) forbidden = errorMessage(error);
    }
  }
}

/** The tick's one list of workloads and the Node objects of the nodes that get a Job. */
async function desiredFor(
  input: FanoutInput,
  rawNodes: readonly unknown[],
  create: readonly string[],
  runId: string,
): Promise<{ desired: TickDesired; nodes: Map<string, ClusterNode> } | undefined> {
  if (create.length === 0) return undefined;
  const wanted = new Set(create);
  const nodes = new Map<string, ClusterNode>();
  for (const raw of rawNodes) {
    const parsed = ClusterNode.safeParse(raw);
    if (parsed.success && wanted.has(parsed.data.metadata.name))
      nodes.set(parsed.data.metadata.name, parsed.data);
  }
  return { desired: await prepareDesiredSets(input.cluster, input.runner, runId, input.logger), nodes };
}

export async function runFanout(input: FanoutInput): Promise<FanoutResult> {
  const { scheduler, runner, clock, logger } = input;
  const { fanout } = runner;
  checkFanoutConfig(runner);
  checkRunnerImageSource(fanout.image, input.self);
  const now = clock.now();
  const result = emptyResult(runIdFor(now), input.dryRun === true);

  // Before anything is listed: without an image no Job can be made, and the tick says why.
  try {
    result.runnerImage = await resolveRunnerImage(scheduler, fanout.image, input.self);
    logger.info({ ...result.runnerImage }, 'node Jobs run this image');
  } catch (error) {
    result.fatal = errorMessage(error);
    logger.error({ err: error }, 'fan-out stopped: runner image unknown');
    return result;
  }
  const image = result.runnerImage.image;

  let rawNodes: unknown[];
  let rawJobs: unknown[];
  let step = 'nodes';
  try {
    rawNodes = await scheduler.listNodes();
    step = `node Jobs in namespace ${fanout.namespace}`;
    rawJobs = await scheduler.listJobs(fanout.namespace, NODE_JOB_SELECTOR);
  } catch (error) {
    // Without the nodes there is nothing to do; without the Jobs, creating any would risk
    // pile-ups and break the cluster-wide limit.
    result.fatal = `cannot list ${step}: ${errorMessage(error)}`;
    logger.error({ err: error, step }, 'fan-out stopped: listing failed');
    return result;
  }

  const nodes = classifyNodes(rawNodes, fanout.nodeSelector, fanout.tolerations);
  result.nodes.listed = rawNodes.length;
  result.nodes.eligible = nodes.eligible.length;
  result.nodes.malformed = nodes.malformed.length;
  for (const { reason } of nodes.ineligible) result.nodes[reason]++;
  for (const bad of nodes.malformed) {
    result.failures.push({
      ...(bad.name ? { node: bad.name } : {}),
      error: `malformed Node at index ${bad.index}: ${bad.issue}`,
    });
    logger.warn({ index: bad.index, node: bad.name, issue: bad.issue }, 'malformed Node skipped');
  }

  const reading = readJobs(rawJobs);
  result.jobs.malformed = reading.malformed.length;
  for (const bad of reading.malformed) {
    result.failures.push({ error: `malformed Job at index ${bad.index}: ${bad.issue}` });
    logger.warn({ index: bad.index, issue: bad.issue }, 'malformed node Job ignored');
  }

  const plan = planFanout({
    eligible: nodes.eligible,
    present: nodes.present,
    jobs: reading.jobs,
    now,
    maxConcurrentJobs: fanout.maxConcurrentJobs,
    finishedRetentionMs: fanout.finishedRetention,
  });
  const activeNotFreed = { n: 0 };
  await deleteStale(input, plan, result, activeNotFreed);
  // An active Job we failed to delete still holds its slot.
  const create = plan.create.slice(0, Math.max(0, plan.create.length - activeNotFreed.n));
  const deferred = [...plan.create.slice(create.length), ...plan.deferred];

  result.jobs.active = plan.active + activeNotFreed.n;
  result.jobs.skippedActive = plan.skippedActive.length;
  result.jobs.deferred = deferred.length;
  result.deferredNodes = deferred;
  const tick = await desiredFor(input, rawNodes, create, result.runId);
  await createJobs(input, create, result.runId, result, tick, image);

  logger.info(
    {
      runId: result.runId,
      dryRun: result.dryRun,
      nodes: result.nodes,
      jobs: result.jobs,
      desired: result.desired,
    },
    'fan-out finished',
  );
  return result;
}
