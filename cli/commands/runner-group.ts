// The `runner` command group, shared by the runner's subcommands (node, fanout, selinux-audit).
import type { Command } from 'commander';

export function runnerGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'runner') ??
    program
      .command('runner')
      .description(
        'The node runner: pre-pull images, prune, check SELinux labels (run on each node by a CronJob).',
      )
  );
}
