// `imagewarden runner node --once [--dry-run [--check-registry]]`: one pass of the node
// runner on this node (desired set -> seed -> prune -> SELinux checks -> report). Dry run
// prints the plan: what would be pulled and why, with no pulls, no state and no Event; it
// contacts no registry unless --check-registry, and works without a runtime (presence "?").
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { runNodePass } from '../../runner/node-pass.ts';
import { productionPorts } from '../../runner/production-ports.ts';
import { formatPrune } from '../../runner/prune/format.ts';
import type { PruneResult } from '../../runner/prune/prune.ts';
import type { RunReport } from '../../runner/report.ts';
import { type CliContext, EXIT } from '../context.ts';
import { runnerGroup } from './runner-group.ts';

interface NodeOptions {
  once?: boolean;
  dryRun?: boolean;
  checkRegistry?: boolean;
  config?: string;
  node?: string;
  json?: boolean;
}

export function formatPlan(report: RunReport): string {
  const lines: string[] = [];
  for (const image of report.seed?.images ?? []) {
    const label =
      image.presence === 'unknown'
        ? '?'
        : {
            present: 'OK',
            pulled: 'PULLED',
            planned: 'PULL',
            skipped: 'SKIP',
            failed: 'FAIL',
          }[image.outcome];
    const detail = image.skipReason
      ? `${image.skipReason}: ${image.why ?? ''}`
      : (image.error ?? image.why ?? '');
    const wanted = image.wantedBy ?? [];
    const by =
      wanted.length === 0
        ? ''
        : `; wanted by ${wanted.slice(0, 2).join(', ')}${wanted.length > 2 ? `, +${wanted.length - 2} more` : ''}`;
    lines.push(`${label.padEnd(6)} ${image.reference}  (${detail}${by})`);
  }
  for (const bad of report.desired?.malformed ?? []) {
    lines.push(`BAD    ${String(bad.image)} in ${bad.workload} container ${bad.container}  (${bad.message})`);
  }
  for (const failure of report.desired?.listFailures ?? []) {
    lines.push(`ERROR  listing ${failure.kind}: ${failure.message}`);
  }
  if (report.runtime?.warning) lines.push(`WARN   ${report.runtime.warning}`);
  if (report.fatal) lines.push(`ERROR  ${report.fatal}`);
  const seed = lines.length > 0 ? `${lines.join('\n')}\n` : 'nothing desired on this node\n';
  // What prune would remove, and why, when the pass got that far.
  const prune = report.sections?.prune?.details as PruneResult | undefined;
  return prune ? `${seed}${formatPrune(prune)}` : seed;
}

export function registerRunnerCommands(program: Command, ctx: CliContext): void {
  runnerGroup(program)
    .command('node')
    .description(
      'Run one pass on this node: work out the images its workloads may need, pull what is missing ' +
        'or stale, record node state, report (log line, JSON file, Event on the Node). ' +
        'Exit 0 when every image from reachable registries is present, 1 when some failed, 2 on bad config.',
    )
    .option('--once', 'run one pass and exit (the only mode; the CronJob schedules passes)')
    .option(
      '--dry-run',
      'print the desired set, what would be pulled and why; pull nothing, write no state, record no ' +
        'Event; works without a runtime (presence then "?")',
    )
    .option('--check-registry', 'dry run: check each tag against its registry (default: local store only)')
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--node <name>', 'node name (default: runner.nodeName / IMAGEWARDEN_RUNNER__NODE_NAME)')
    .option('--json', 'print the full run report as JSON on stdout')
    .action(async (options: NodeOptions) => {
      if (!options.once) {
        ctx.stderr.write('imagewarden: runner node runs one pass per invocation: pass --once\n');
        ctx.exitCode = EXIT.usage;
        return;
      }
      const { config } = ctx.loadConfig(options.config);
      const nodeName = options.node ?? config.runner.nodeName;
      if (!nodeName) {
        throw new ConfigError(
          'runner.nodeName is required (set IMAGEWARDEN_RUNNER__NODE_NAME or pass --node)',
        );
      }
      const logger = ctx.logger({ component: 'runner', node: nodeName }, config.log.level);
      const report = await runNodePass(productionPorts(config, logger, ctx.env), {
        nodeName,
        config: config.runner,
        dryRun: options.dryRun === true,
        checkRegistry: options.checkRegistry === true,
        signal: ctx.signal,
      });
      if (options.json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (options.dryRun) ctx.stdout.write(formatPlan(report));
      ctx.exitCode = report.exitCode ?? EXIT.partial;
    });
}
