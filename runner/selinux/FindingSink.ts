// Where SELinux findings go besides the run report: Kubernetes Events on the namespace
// (KubeEventSink) and, optionally, an Elasticsearch index the scheduled functions read to
// email the security contact (ElasticsearchFindingSink). Each sink counts what it could not
// deliver instead of throwing, so a sink outage never hides the run's own result.
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';

export interface SinkResult {
  sent: number;
  failed: number;
  /** Not sent on purpose (over the per-run cap, or nothing to attach an Event to). */
  skipped: number;
  errors: string[];
}

export interface FindingSink {
  readonly name: string;
  publish(issues: readonly SelinuxIssue[], context: { node?: string; at: Date }): Promise<SinkResult>;
}

/** Event reasons, one per check (CamelCase as Kubernetes reasons are). */
export const EVENT_REASON: Record<SelinuxIssue['check'], string> = {
  'malformed-level': 'SelinuxLevelMalformed',
  'conflicting-levels': 'SelinuxLevelConflict',
  'missing-level': 'SelinuxLevelMissing',
  'level-collision': 'SelinuxLevelCollision',
  'uid-range-mismatch': 'SelinuxUidRangeMismatch',
  'pod-level-override': 'SelinuxPodLevelOverride',
  'container-drift': 'SelinuxContainerDrift',
  'volume-drift': 'SelinuxVolumeDrift',
  'mount-context-drift': 'SelinuxMountContextDrift',
  'walk-incomplete': 'SelinuxCheckIncomplete',
  'check-failed': 'SelinuxCheckFailed',
};
