// `imagewarden runner fanout`: what the CronJob's pod runs. One tick: create one runner Job
// per eligible node (pinned with nodeName), skip nodes whose Job is still active, keep the
// cluster-wide limit, clean up stale Jobs. Ends with one summary line and a truthful exit.
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { KubeClusterReader } from '../../runner/cluster/KubeClusterReader.ts';
import { loadKubeConfig } from '../../runner/cluster/kubeconfig.ts';
import { sharingNamespaceList } from '../../runner/cluster/shared-namespace-list.ts';
import { type FanoutResult, fanoutSucceeded, runFanout } from '../../runner/fanout/fanout.ts';
import { KubeJobScheduler } from '../../runner/fanout/KubeJobScheduler.ts';
import type { SelfPod } from '../../runner/fanout/runner-image.ts';
import { auditSummary, type ClusterAuditRun, runClusterAudit } from '../../runner/selinux/run-audit.ts';
import { sinksFromConfig } from '../../runner/selinux/sinks.ts';
import { type CliContext, EXIT } from '../context.ts';
import { runnerGroup } from './runner-group.ts';

export function summarize(result: FanoutResult): string {
  const { nodes, jobs } = result;
  const head = `fanout ${result.runId}${result.dryRun ? ' (dry run)' : ''}:`;
  if (result.fatal) return `${head} stopped, ${result.fatal}`;
  const skipped = [
    `${nodes['not-ready']} not ready`,
    `${nodes.cordoned} cordoned`,
    `${nodes.unmatched} unmatched`,
    `${nodes['untolerated-taint']} untolerated taint`,
    `${nodes.malformed} malformed`,
  ].join(', ');
  return (
    `${head} ${nodes.listed} nodes (${nodes.eligible} eligible; ${skipped}); ` +
    `Jobs: ${jobs.created} ${result.dryRun ? 'to create' : 'created'}, ${jobs.alreadyExisted} already existed, ` +
    `${jobs.skippedActive} nodes still busy, ${jobs.deferred} deferred to the next tick (limit), ` +
    `${jobs.deleted} stale ${result.dryRun ? 'to delete' : 'deleted'}, ${jobs.failed + jobs.deleteFailed} failed`
  );
}

/** The fan-out's own pod, from the downward API variables infra/base and Terraform set. */
function selfPod(env: NodeJS.ProcessEnv): SelfPod | undefined {
  const name = env.POD_NAME;
  const namespace = env.POD_NAMESPACE;
  return name && namespace ? { name, namespace } : undefined;
}

export function registerRunnerFanoutCommand(program: Command, ctx: CliContext): void {
  runnerGroup(program)
    .command('fanout')
    .description(
      'Create one `runner node --once` Job per eligible node (Ready, schedulable, matching ' +
        'runner.fanout.nodeSelector, taints tolerated), none for a node whose Job is still active, ' +
        'at most runner.fanout.maxConcurrentJobs active cluster-wide (the rest wait for the next ' +
        'tick), and delete stale node Jobs. Then, when runner.selinux.enabled and runner.fanout.selinuxAudit, ' +
        'run the cluster-wide SELinux audit once (findings become Events on the namespaces). ' +
        'Exit 1 when anything failed (see the summary); SELinux findings alone do not fail the tick.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--dry-run', 'plan and report, create and delete nothing')
    .option('--json', 'print the full result as JSON')
    .action(async (options: { config?: string; dryRun?: boolean; json?: boolean }) => {
      const { config } = ctx.loadConfig(options.config);
      const logger = ctx.logger({ component: 'runner-fanout' }, config.log.level);
      const kubeConfig = loadKubeConfig(
        { key: 'runner.fanout.kubeconfig', file: config.runner.fanout.kubeconfig },
        { env: ctx.env },
      );
      const scheduler = new KubeJobScheduler(kubeConfig, { logger });
      // the handover and the audit read one namespace list between them
      const cluster = sharingNamespaceList(new KubeClusterReader({ kubeConfig, logger }));
      const result = await runFanout({
        scheduler,
        cluster,
        runner: config.runner,
        clock: systemClock,
        logger,
        dryRun: options.dryRun === true,
        self: selfPod(ctx.env),
      });
      // Once per tick, the cluster-wide SELinux checks; their findings go to Events (and the
      // configured index), they do not fail the tick. Not reaching the API or a sink does.
      const selinux = config.runner.selinux;
      let audit: ClusterAuditRun | undefined;
      let auditFailed: string | undefined;
      if (selinux.enabled && config.runner.fanout.selinuxAudit) {
        try {
          audit = await runClusterAudit(
            {
              cluster,
              sinks: options.dryRun ? [] : await sinksFromConfig(selinux, cluster, { env: ctx.env }),
              clock: systemClock,
              logger,
            },
            { labelKey: selinux.labelKey, systemNamespaces: selinux.systemNamespaces },
          );
        } catch (error) {
          auditFailed = errorMessage(error);
        }
      }
      ctx.stdout.write(
        options.json
          ? `${JSON.stringify({ ...result, selinuxAudit: audit ?? auditFailed ?? null }, null, 2)}\n`
          : `${summarize(result)}\n`,
      );
      // with --json the summary lines go to stderr, keeping stdout one JSON document
      if (options.json) ctx.stderr.write(`${summarize(result)}\n`);
      if (audit) (options.json ? ctx.stderr : ctx.stdout).write(`${auditSummary(audit)}\n`);
      if (auditFailed) ctx.stderr.write(`imagewarden: selinux audit failed: ${auditFailed}\n`);
      for (const failure of result.failures) {
        const subject = failure.job ?? failure.node;
        ctx.stderr.write(`imagewarden: ${subject ? `${subject}: ` : ''}${failure.error}\n`);
      }
      const auditOk = auditFailed === undefined && !audit?.undelivered;
      ctx.exitCode = fanoutSucceeded(result) && auditOk ? EXIT.ok : EXIT.partial;
    });
}
