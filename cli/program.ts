// Builds the `imagewarden` command tree. Each subcommand lives in cli/commands/<name>.ts and
// composes the same step functions the Lambda handlers use.
import { Command, CommanderError } from 'commander';
import { ConfigError, ValidationError } from '../core/errors.ts';
import { registerAckCommands } from './commands/ack.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerFindingsCommands } from './commands/findings.ts';
import { registerInventoryCommand } from './commands/inventory.ts';
import { registerNotifyCommands } from './commands/notify.ts';
import { registerRefCommand } from './commands/ref.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerRunnerCommands } from './commands/runner.ts';
import { registerRunnerFanoutCommand } from './commands/runner-fanout.ts';
import { registerRunnerSelinuxCommand } from './commands/runner-selinux.ts';
import { registerScanCommands } from './commands/scan.ts';
import { type CliContext, EXIT } from './context.ts';
import { inertOutput } from './output.ts';

export const VERSION = '0.1.0';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('imagewarden')
    .description(
      "Keep a fleet's container images fast to start, scanned, owned and safely labelled.\n\n" +
        'Scheduled steps (inventory -> policy -> scan -> notify) run in AWS Lambda or locally with `run`; ' +
        'the node runner (`runner node`) pre-pulls, prunes and checks SELinux labels on one node.\n\n' +
        'Config: --config FILE (YAML/JSON) or $IMAGEWARDEN_CONFIG, then IMAGEWARDEN_<SECTION>__<KEY> variables.\n\n' +
        'Exit status: 0 all good, 1 some items failed (see the summary), 2 bad config or usage.',
    )
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  registerConfigCommands(program, ctx);
  registerInventoryCommand(program, ctx);
  registerNotifyCommands(program, ctx);
  registerAckCommands(program, ctx);
  registerFindingsCommands(program, ctx);
  registerRefCommand(program, ctx);
  registerReportCommand(program, ctx);
  registerRunnerCommands(program, ctx);
  registerRunnerFanoutCommand(program, ctx);
  registerRunnerSelinuxCommand(program, ctx);
  registerScanCommands(program, ctx);
  // `run` composes the step commands above, each parsed afresh with its own exit status.
  registerRunCommand(program, ctx, (argv) => runCli(argv, { ...ctx, exitCode: EXIT.ok }));
  return program;
}

/** Runs the CLI with argv (without node and script), returning the exit status. */
export async function runCli(argv: string[], outer: CliContext): Promise<number> {
  const ctx: CliContext = { ...outer, stdout: inertOutput(outer.stdout), stderr: inertOutput(outer.stderr) };
  const code = await runCommand(argv, ctx);
  outer.exitCode = ctx.exitCode;
  return code;
}

async function runCommand(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof ValidationError) {
      ctx.stderr.write(`imagewarden: ${error.message}\n`);
      return EXIT.usage;
    }
    ctx.stderr.write(
      `imagewarden: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    return EXIT.partial;
  }
}
