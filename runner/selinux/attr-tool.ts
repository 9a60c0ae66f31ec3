// Running the Debian `attr` tools (getfattr, setfattr) for the LabelStore adapter: spawned
// with argument arrays (never a shell), a fixed PATH and the C locale (their messages are
// parsed), extra inherited file descriptors for pinned directories, and an AbortSignal that
// kills the child without waiting for it (it may be stuck on a hung mount).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { ImagewardenError } from '../../core/errors.ts';

export const SELINUX_XATTR = 'security.selinux';

/** The environment the tools run with: a fixed PATH, and messages in English for parseAttrErrors. */
export const ATTR_TOOL_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** Thrown when getfattr/setfattr cannot be started or dies without telling which path failed. */
export class AttrToolError extends ImagewardenError {
  override name = 'AttrToolError';
}

export interface RunResult {
  code: number | null;
  /** Set when the tool was killed (its output may end mid-entry). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runAttrTool(
  command: string,
  args: string[],
  input?: string,
  cwd?: string,
  inheritFds: readonly number[] = [],
  signal?: AbortSignal,
): Promise<RunResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(cwd ? { cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe', ...inheritFds],
      env: ATTR_TOOL_ENV,
      // the first three are pipes; the rest are directories pinned for setfattr (fd 3, 4, ...)
    }) as ChildProcessWithoutNullStreams;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(
        new AttrToolError(`cannot run ${command}: ${error.message} (install the Debian package attr)`, {
          cause: error,
        }),
      ),
    );
    child.on('close', (code, killedBy) =>
      resolve({
        code,
        signal: killedBy,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {
      // The tool may exit before reading all input; its stderr and exit code tell why.
    });
    child.stdin.end(input);
    // Given up (a time budget): kill our child, which may be stuck on a hung mount, and do not
    // wait for it to exit (a process blocked in the kernel may take a while to die).
    const onAbort = (): void => {
      child.kill('SIGKILL');
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('close', () => signal?.removeEventListener('abort', onAbort));
  });
}
