// What every command gets: where to write, the environment, and how to load config and a
// logger. Tests build a context with captured streams and call the program in-process.

import { type Clock, systemClock } from '../core/clock.ts';
import { type LoadedConfig, loadConfig } from '../core/config/load.ts';
import { createLogger, type Logger } from '../core/logger.ts';

export interface Output {
  write(text: string): void;
  /** True when the stream is a terminal: progress counters are drawn in place only then. */
  isTTY?: boolean;
}

export interface CliContext {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Set by a command to the exit status that tells the truth about its run. */
  exitCode: number;
  loadConfig(file?: string): LoadedConfig;
  logger(bindings: Record<string, unknown>, level?: string): Logger;
  /** Aborted on SIGTERM/SIGINT so long steps can finish cleanly and still report. */
  signal: AbortSignal;
  /** The steps' time (tests run the CLI and the handlers on one manual clock). */
  clock: Clock;
}

export function processContext(signal: AbortSignal): CliContext {
  return {
    stdout: { write: (text) => void process.stdout.write(text) },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
    env: process.env,
    cwd: process.cwd(),
    exitCode: 0,
    loadConfig: (file) => loadConfig({ file, env: process.env }),
    logger: (bindings, level) =>
      createLogger({ bindings, level: level ?? process.env.IMAGEWARDEN_LOG__LEVEL ?? 'info' }),
    signal,
    clock: systemClock,
  };
}

/** Exit statuses used by every command. */
export const EXIT = { ok: 0, partial: 1, usage: 2 } as const;
