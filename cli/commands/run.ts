// `imagewarden run`: one whole scheduled cycle in this process — inventory (with policy), scan,
// notify — with the same config and the same code paths as the separate commands and the Lambda
// handlers. A step that is not configured (no Clair URL) is skipped with a line saying so; a
// step whose config is bad stops the cycle; a step with partial failures does not.
import type { Command } from 'commander';
import type { Config } from '../../core/config/schema.ts';
import { scanSkipReason } from '../../functions/scan/fromConfig.ts';
import { type CliContext, EXIT } from '../context.ts';

export interface CycleStep {
  name: 'inventory' | 'scan' | 'notify';
  argv: string[];
  /** Why the step does not run with this config, if it does not. */
  skip?: string;
}

/** The cycle's steps for a config; pure, so the plan is testable without running anything. */
export function planCycle(
  config: Config,
  flags: { config?: string; offline?: boolean; dryRun?: boolean },
): CycleStep[] {
  const common = flags.config ? ['--config', flags.config] : [];
  const scanSkip = scanSkipReason(config);
  return [
    { name: 'inventory', argv: ['inventory', ...common, ...(flags.offline ? ['--offline'] : [])] },
    {
      name: 'scan',
      argv: ['scan', ...common],
      ...(scanSkip === undefined ? {} : { skip: scanSkip }),
    },
    { name: 'notify', argv: ['notify', ...common, ...(flags.dryRun ? ['--dry-run'] : [])] },
  ];
}

export function registerRunCommand(
  program: Command,
  ctx: CliContext,
  runStep: (argv: string[]) => Promise<number>,
): void {
  program
    .command('run')
    .description(
      'Run one full scheduled cycle locally: inventory + policy, scan (when scan.clair.url is set), ' +
        'notify. With no config this uses the embedded defaults: inventory from examples/fleet.ndjson, ' +
        'a file state store under .imagewarden/state and mail written to .imagewarden/outbox. ' +
        'Exit 0 when every step succeeded, 1 when one had partial failures, 2 on bad config.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--offline', 'ask no registry during the inventory (tags stay unresolved, ages unknown)')
    .option(
      '--dry-run',
      'run notify with --dry-run: compose the mail, queue and send nothing (inventory and scan still store their results)',
    )
    .action(async (flags: { config?: string; offline?: boolean; dryRun?: boolean }) => {
      const { config } = ctx.loadConfig(flags.config);
      const results: string[] = [];
      let worst: number = EXIT.ok;
      for (const step of planCycle(config, flags)) {
        if (step.skip) {
          ctx.stdout.write(`${step.name}: skipped: ${step.skip}\n`);
          results.push(`${step.name} skipped`);
          continue;
        }
        if (ctx.signal.aborted) {
          results.push(`${step.name} not started (interrupted)`);
          worst = Math.max(worst, EXIT.partial);
          continue;
        }
        const code = await runStep(step.argv);
        results.push(
          `${step.name} ${code === EXIT.ok ? 'ok' : code === EXIT.partial ? 'partial' : 'failed'}`,
        );
        worst = Math.max(worst, code);
        if (code === EXIT.usage) break;
      }
      ctx.stdout.write(`run: ${results.join(', ')}; exit ${worst}\n`);
      ctx.exitCode = worst;
    });
}
