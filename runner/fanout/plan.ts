// The fan-out's decisions for one tick, as a pure function of what the API returned and the
// time: which stale Jobs to delete, which nodes get a Job now, which wait.
//
// The cluster-wide limit is enforced per tick: nodes over it are not queued inside the
// fan-out pod, they simply wait for the next tick (every 15 minutes by default). The nodes
// least recently run (never run first) go first, so every node is reached within
// ceil(nodes / limit) ticks and a new node is seeded at the next tick with a free slot.
import type { JobView } from './types.ts';

export type DeleteReason = 'finished-expired' | 'node-gone-past-deadline';

export interface PlanInput {
  eligible: readonly string[];
  /** Every node name the API listed, eligible or not. */
  present: ReadonlySet<string>;
  jobs: readonly JobView[];
  now: Date;
  maxConcurrentJobs: number;
  /** Finished Jobs older than this are deleted. */
  finishedRetentionMs: number;
  /** Slack after a Job's deadline before an active Job on a vanished node counts as stale. */
  deadlineGraceMs?: number;
}

export interface FanoutPlan {
  create: string[];
  /** Eligible nodes whose previous Job is still active: no pile-ups. */
  skippedActive: string[];
  /** Eligible nodes over the cluster-wide limit: they wait for the next tick. */
  deferred: string[];
  delete: { name: string; node: string | undefined; reason: DeleteReason }[];
  /** Node Jobs still active after the deletions. */
  active: number;
}

export const DEFAULT_DEADLINE_GRACE_MS = 5 * 60_000;

function isStale(job: JobView, input: PlanInput, now: number): DeleteReason | undefined {
  if (job.finishedAt) {
    return now - job.finishedAt.getTime() > input.finishedRetentionMs ? 'finished-expired' : undefined;
  }
  if (job.node === undefined || input.present.has(job.node)) return undefined;
  const started = (job.startedAt ?? job.createdAt)?.getTime();
  if (started === undefined || job.activeDeadlineSeconds === undefined) return undefined;
  const deadline =
    started + job.activeDeadlineSeconds * 1000 + (input.deadlineGraceMs ?? DEFAULT_DEADLINE_GRACE_MS);
  return now > deadline ? 'node-gone-past-deadline' : undefined;
}

export function planFanout(input: PlanInput): FanoutPlan {
  const now = input.now.getTime();
  const plan: FanoutPlan = { create: [], skippedActive: [], deferred: [], delete: [], active: 0 };
  const busy = new Set<string>();
  const lastRun = new Map<string, number>();
  for (const job of input.jobs) {
    if (job.node !== undefined) {
      const at = (job.createdAt ?? job.startedAt)?.getTime() ?? 0;
      lastRun.set(job.node, Math.max(lastRun.get(job.node) ?? 0, at));
    }
    const reason = isStale(job, input, now);
    if (reason) {
      plan.delete.push({ name: job.name, node: job.node, reason });
      continue;
    }
    if (!job.finishedAt) {
      plan.active++;
      if (job.node !== undefined) busy.add(job.node);
    }
  }
  const candidates: string[] = [];
  for (const node of input.eligible) {
    if (busy.has(node)) plan.skippedActive.push(node);
    else candidates.push(node);
  }
  candidates.sort((a, b) => (lastRun.get(a) ?? -1) - (lastRun.get(b) ?? -1) || a.localeCompare(b));
  const slots = Math.max(0, input.maxConcurrentJobs - plan.active);
  plan.create = candidates.slice(0, slots);
  plan.deferred = candidates.slice(slots);
  return plan;
}
