// Child processes for tests: a TypeScript file of this repository run as a real process (node
// --import tsx), for tests about several processes or a process killed mid-way; and any
// command run to its end with its output collected (the ctr, docker and podman CLIs).
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startTs(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<ChildRun>; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...collect(child) };
}

/** The child's output as it comes, and its end. */
function collect(child: ChildProcess): {
  done: Promise<ChildRun>;
  output: () => { stdout: string; stderr: string };
} {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, output: () => ({ stdout, stderr }) };
}

export interface CommandOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Written to stdin (stdin is closed empty otherwise). */
  input?: Uint8Array | string;
  /** Killed after this long (default 120 s). */
  timeoutMs?: number;
}

/** Runs a command to its end and returns its exit and output, whatever the exit. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<ChildRun> {
  const child = spawn(cmd, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 120_000,
  });
  const { done } = collect(child);
  child.stdin?.end(options.input ?? '');
  return done;
}

/** Runs a command that must succeed: its output, or an error naming it (`what`) with its stderr. */
export async function runOk(
  what: string,
  cmd: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const { code, signal, stdout, stderr } = await runCommand(cmd, args, options);
  if (code !== 0) throw new Error(`${what} failed (${code ?? signal}): ${stderr.trim()}`);
  return { stdout, stderr };
}

export function runTs(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ChildRun> {
  return startTs(file, args, env).done;
}
