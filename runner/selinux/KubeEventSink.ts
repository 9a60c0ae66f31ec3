// Findings as Kubernetes Events on the namespace they are about (Warning, reason per check),
// capped per run so a badly drifted node cannot flood the API server.
import { errorMessage } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { EVENT_COMPONENT } from '../report.ts';
import { EVENT_REASON, type FindingSink, type SinkResult } from './FindingSink.ts';

export class KubeEventSink implements FindingSink {
  readonly name = 'events';
  constructor(
    private readonly cluster: Pick<ClusterReader, 'createEvent'>,
    private readonly maxEvents = 50,
  ) {}

  async publish(issues: readonly SelinuxIssue[], context: { node?: string }): Promise<SinkResult> {
    const result: SinkResult = { sent: 0, failed: 0, skipped: 0, errors: [] };
    for (const issue of issues) {
      if (!issue.namespace || result.sent + result.failed >= this.maxEvents) {
        result.skipped++;
        continue;
      }
      try {
        await this.cluster.createEvent({
          involvedObject: { kind: 'Namespace', name: issue.namespace, apiVersion: 'v1' },
          namespace: issue.namespace,
          reason: EVENT_REASON[issue.check],
          message: issue.detail.slice(0, 1000),
          type: 'Warning',
          component: EVENT_COMPONENT,
          ...(context.node ? { host: context.node } : {}),
        });
        result.sent++;
      } catch (error) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(errorMessage(error));
      }
    }
    return result;
  }
}
