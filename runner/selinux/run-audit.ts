// One cluster-wide SELinux audit with its findings published: what `runner selinux-audit` does
// on demand and the fan-out does once per tick, so the checks run on a schedule with no
// operator action.
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { type AuditResult, auditCluster } from './audit.ts';
import type { FindingSink, SinkResult } from './FindingSink.ts';
import { publishFindings } from './sinks.ts';

export interface ClusterAuditRun {
  result: AuditResult;
  delivered: Record<string, SinkResult>;
  /** Some findings did not reach a sink. */
  undelivered: boolean;
}

export async function runClusterAudit(
  ports: {
    cluster: Pick<ClusterReader, 'listNamespaces'>;
    sinks: readonly FindingSink[];
    clock: Clock;
    logger: Logger;
  },
  options: { labelKey: string; systemNamespaces: string[] },
): Promise<ClusterAuditRun> {
  const result = await auditCluster({ cluster: ports.cluster, logger: ports.logger }, options);
  const delivered = await publishFindings(
    result.issues,
    ports.sinks,
    { at: ports.clock.now() },
    ports.logger,
  );
  const undelivered = Object.values(delivered).some((d) => d.failed > 0);
  ports.logger.info(
    {
      namespaces: result.namespaces,
      withLevel: result.withLevel,
      collisions: result.collisions,
      tenantsWithoutLevel: result.tenantsWithoutLevel,
      uidRangeMismatches: result.uidRangeMismatches,
      malformed: result.malformed,
      invalid: result.invalid,
      findings: result.issues.length,
      delivered,
    },
    'selinux audit finished',
  );
  return { result, delivered, undelivered };
}

/** One line for a person: what the audit found and where it went. */
export function auditSummary(run: ClusterAuditRun): string {
  const r = run.result;
  const sinks = Object.entries(run.delivered)
    .map(([name, d]) => `${name} ${d.sent} sent${d.failed > 0 ? `/${d.failed} failed` : ''}`)
    .join(', ');
  return (
    `selinux audit: ${r.namespaces} namespaces (${r.withLevel} with a level): ${r.issues.length} findings ` +
    `(${r.collisions} collisions, ${r.tenantsWithoutLevel} without a level, ${r.uidRangeMismatches} uid-range mismatches, ` +
    `${r.malformed} malformed)${sinks ? `; ${sinks}` : ''}`
  );
}
