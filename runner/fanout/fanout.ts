// One fan-out tick: list nodes and node Jobs, delete stale Jobs, create one Job per eligible
// node that has none active, within the cluster-wide limit. One failed Job is counted and
// reported; only a failed list (no nodes, or no way to see active Jobs and so avoid
// pile-ups) ends the tick early, and then with a clear message rather than a crash.
import type { Clock } from '../../core/clock.ts';
import { AuthError, errorMessage, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { JobExistsError } from './errors.ts';
import type { JobScheduler } from './JobScheduler.ts';
import { buildNodeJob, checkFanoutConfig, jobNameFor, type RunnerConfig, runIdFor } from './job-spec.ts';
import { readJobs } from './jobs.ts';
import { classifyNodes, type IneligibleReason } from './nodes.ts';
import { type FanoutPlan, planFanout } from './plan.ts';
import { NODE_JOB_SELECTOR } from './types.ts';

export interface FanoutInput {
  scheduler: JobScheduler;
  runner: RunnerConfig;
  clock: Clock;
  logger: Logger;
  /** Plan and report without creating or deleting anything. */
  dryRun?: boolean;
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

async function createJobs(input: FanoutInput, nodes: readonly string[], runId: string, result: FanoutResult) {
  const { scheduler, runner, logger } = input;
  let forbidden: string | undefined;
  for (const node of nodes) {
    const job = buildNodeJob({ runner, node, runId });
    const name = job.metadata?.name ?? jobNameFor(node, runId);
    if (forbidden !== undefined) {
      // The same RBAC answers every create: report the rest without asking again.
      result.jobs.failed++;
      result.failures.push({ node, job: name, error: `not attempted: ${forbidden}` });
      continue;
    }
    try {
      if (!input.dryRun) await scheduler.createJob(runner.fanout.namespace, job);
      result.jobs.created++;
      result.createdJobs.push(name);
      logger.info({ node, job: name, dryRun: input.dryRun }, 'node Job created');
    } catch (error) {
      if (error instanceof JobExistsError) {
        // Same node and run: a retried tick. The existing Job does the work; no duplicate.
        result.jobs.alreadyExisted++;
        logger.info({ node, job: name }, 'node Job exists already');
        continue;
      }
      result.jobs.failed++;
      result.failures.push({ node, job: name, error: errorMessage(error) });
      logger.warn({ node, job: name, err: error }, 'node Job not created');
      if (error instanceof AuthError) forbidden = errorMessage(error);
    }
  }
}

export async function runFanout(input: FanoutInput): Promise<FanoutResult> {
  const { scheduler, runner, clock, logger } = input;
  const { fanout } = runner;
  checkFanoutConfig(runner);
  const now = clock.now();
  const result = emptyResult(runIdFor(now), input.dryRun === true);

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
  await createJobs(input, create, result.runId, result);

  logger.info(
    { runId: result.runId, dryRun: result.dryRun, nodes: result.nodes, jobs: result.jobs },
    'fan-out finished',
  );
  return result;
}
