// `imagewarden config check`: validate a config and print the effective values, secrets masked.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { maskSecrets } from '../../core/config/secrets.ts';
import type { CliContext } from '../context.ts';

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('Inspect and validate configuration.');
  config
    .command('check')
    .description(
      'Validate a config file plus IMAGEWARDEN_* environment variables and print the effective ' +
        'config (defaults filled in, secret references masked). Exit 2 naming every bad key.',
    )
    .option('-c, --config <file>', 'YAML or JSON config file (default: $IMAGEWARDEN_CONFIG)')
    .option('--json', 'print JSON instead of YAML')
    .action((options: { config?: string; json?: boolean }) => {
      const { config: effective, file } = ctx.loadConfig(options.config);
      const masked = maskSecrets(effective);
      ctx.stderr.write(`config OK${file ? ` (${file})` : ' (defaults and environment only)'}\n`);
      ctx.stdout.write(options.json ? `${JSON.stringify(masked, null, 2)}\n` : stringify(masked));
    });
}
