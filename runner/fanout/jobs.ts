// Reading node Jobs back from the API: parse each, then say whether it is still active and
// which node it is pinned to. Malformed Jobs are counted and left alone.
import { type JobView, KubeJob, LABELS, NODE_ANNOTATION } from './types.ts';

export interface JobReading {
  jobs: JobView[];
  malformed: { index: number; issue: string }[];
}

export function toJobView(job: KubeJob): JobView {
  const finished = job.status?.conditions?.find(
    (condition) =>
      (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
  );
  return {
    name: job.metadata.name,
    node:
      job.spec?.template?.spec?.nodeName ??
      job.metadata.annotations?.[NODE_ANNOTATION] ??
      job.metadata.labels?.[LABELS.node],
    createdAt: job.metadata.creationTimestamp,
    startedAt: job.status?.startTime,
    finishedAt: finished
      ? (job.status?.completionTime ??
        finished.lastTransitionTime ??
        job.metadata.creationTimestamp ??
        new Date(0))
      : undefined,
    activeDeadlineSeconds: job.spec?.activeDeadlineSeconds,
  };
}

export function readJobs(items: readonly unknown[]): JobReading {
  const reading: JobReading = { jobs: [], malformed: [] };
  items.forEach((raw, index) => {
    const parsed = KubeJob.safeParse(raw);
    if (parsed.success) reading.jobs.push(toJobView(parsed.data));
    else {
      const issue = parsed.error.issues[0];
      reading.malformed.push({
        index,
        issue: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not a Job',
      });
    }
  });
  return reading;
}
