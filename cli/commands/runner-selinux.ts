// `imagewarden runner selinux-audit`: the cluster-wide SELinux MCS checks (level collisions
// between namespaces, tenant namespaces with no level, OpenShift uid-range vs sa.scc.mcs
// mismatches, malformed values), printed as a table or JSON, recorded as Events on the
// namespaces and, when configured, indexed in Elasticsearch.
// Exit 0: no finding; 1: findings (or a sink failed); 2: bad config.
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import { createStateStore } from '../../core/state/createStateStore.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import { loadKubeConfig } from '../../runner/cluster/kubeconfig.ts';
import { auditSummary, runClusterAudit } from '../../runner/selinux/run-audit.ts';
import { StateStoreFindingSink } from '../../runner/selinux/StateStoreFindingSink.ts';
import { sinksFromConfig } from '../../runner/selinux/sinks.ts';
import { type CliContext, EXIT } from '../context.ts';
import { runnerGroup } from './runner-group.ts';

interface AuditOptions {
  config?: string;
  json?: boolean;
  dryRun?: boolean;
  storeFindings?: boolean;
}

export function formatIssues(issues: readonly SelinuxIssue[]): string {
  if (issues.length === 0) return 'no SELinux findings\n';
  return `${issues
    .map(
      (i) =>
        `${i.severity.toUpperCase().padEnd(8)} ${i.check.padEnd(20)} ${(i.namespace ?? '-').padEnd(24)} ${i.detail}`,
    )
    .join('\n')}\n`;
}

export function registerRunnerSelinuxCommand(program: Command, ctx: CliContext): void {
  runnerGroup(program)
    .command('selinux-audit')
    .description(
      "Check every namespace's SELinux MCS level: collisions (two namespaces, one level), tenant " +
        'namespaces with no level, OpenShift sa.scc.uid-range vs sa.scc.mcs mismatches, malformed values. ' +
        'Findings are printed, recorded as Events on each namespace and optionally indexed in Elasticsearch. ' +
        'Exit 0 when there is no finding, 1 when there are findings, 2 on bad config.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--json', 'print the result as JSON')
    .option('--dry-run', 'print only: record no Event, index nothing')
    .option(
      '--store-findings',
      'also put the findings in the state store (selinux-findings) for the notify function to email the security contact',
    )
    .action(async (options: AuditOptions) => {
      const { config } = ctx.loadConfig(options.config);
      const logger = ctx.logger({ component: 'selinux-audit' }, config.log.level);
      const kubeConfig = loadKubeConfig(
        { key: 'runner.kubeconfig', file: config.runner.kubeconfig },
        { env: ctx.env },
      );
      const cluster = new KubeClusterReader({ kubeConfig, logger });
      const selinux = config.runner.selinux;
      const sinks = options.dryRun ? [] : await sinksFromConfig(selinux, cluster, { env: ctx.env });
      if (options.storeFindings && !options.dryRun) {
        sinks.push(new StateStoreFindingSink(createStateStore(config.state), config.owners.securityContact));
      }
      const run = await runClusterAudit(
        { cluster, sinks, clock: systemClock, logger },
        { labelKey: selinux.labelKey, systemNamespaces: selinux.systemNamespaces },
      );
      const { result, delivered, undelivered } = run;
      if (options.json) {
        // stdout is the JSON document alone; the summary line goes to stderr
        ctx.stdout.write(`${JSON.stringify({ ...result, delivered }, null, 2)}\n`);
        ctx.stderr.write(`${auditSummary(run)}\n`);
      } else ctx.stdout.write(`${formatIssues(result.issues)}${auditSummary(run)}\n`);
      ctx.exitCode = result.issues.length > 0 || undelivered || result.invalid > 0 ? EXIT.partial : EXIT.ok;
    });
}
