// Runs the imagewarden CLI in-process with captured output, for tests of what users see.

import type { CliContext } from '../../cli/context.ts';
import { runCli } from '../../cli/program.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config/load.ts';
import { createLogger } from '../../core/logger.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runImagewarden(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; signal?: AbortSignal; clock?: Clock } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const env = options.env ?? {};
  const ctx: CliContext = {
    stdout: {
      write: (text) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
    },
    env,
    cwd: options.cwd ?? process.cwd(),
    exitCode: 0,
    loadConfig: (file) => loadConfig({ file, env }),
    logger: (bindings, level) =>
      createLogger({
        bindings,
        level: level ?? 'info',
        destination: {
          write: (line: string) => {
            stderr += line;
          },
        },
      }),
    signal: options.signal ?? new AbortController().signal,
    clock: options.clock ?? systemClock,
  };
  const code = await runCli(argv, ctx);
  return { code, stdout, stderr };
}
