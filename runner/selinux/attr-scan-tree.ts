// The recursive read behind AttrLabelStore.scanTree: one `getfattr -R -h -P` run from inside
// the root (relative names keep the kernel's path lookups short), streamed. Labels come from
// stdout, "No such attribute" and other per-path errors from stderr, in batches handed to the
// caller while the process is paused. Stopping early (the caller returns false) kills the
// process, our own child by its handle; so does the signal, which resolves false without
// waiting for a child stuck on a hung mount to exit. Killed by anyone else, it rejects after
// handing over the entries it printed whole.
import { spawn } from 'node:child_process';
import { parseAttrErrors, parseDump } from './attr-format.ts';
import { ATTR_TOOL_ENV, AttrToolError, SELINUX_XATTR } from './attr-tool.ts';
import type { LabelRead } from './LabelStore.ts';

/** Resolves true when the whole tree was read, false when stopped early. */
export function scanTreeWithGetfattr(
  getfattr: string,
  root: string,
  onBatch: (entries: [string, LabelRead][]) => Promise<boolean>,
  decode: (encoded: string) => LabelRead,
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  const { signal } = options;
  if (signal?.aborted) return Promise.resolve(false);
  const base = root.replace(/\/+$/, '');
  const absolute = (p: string): string =>
    p === '.' ? base : p.startsWith('./') ? `${base}/${p.slice(2)}` : `${base}/${p}`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      getfattr,
      ['-R', '-h', '-P', '--absolute-names', '-n', SELINUX_XATTR, '-e', 'text', '.'],
      {
        cwd: base,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: ATTR_TOOL_ENV,
      },
    );
    let stopped = false;
    let out = '';
    let err = '';
    let chain = Promise.resolve();
    const deliver = (entries: [string, LabelRead][]): void => {
      if (entries.length === 0) return;
      child.stdout.pause();
      child.stderr.pause();
      chain = chain
        .then(async () => {
          if (stopped) return;
          if (!(await onBatch(entries))) {
            stopped = true;
            child.kill('SIGTERM');
          }
        })
        .finally(() => {
          child.stdout.resume();
          child.stderr.resume();
        });
    };
    const takeOut = (final: boolean): void => {
      const cut = final ? out.length : out.lastIndexOf('\n\n') + 2;
      if (cut < 2 && !final) return;
      const chunk = out.slice(0, cut);
      out = out.slice(cut);
      deliver(parseDump(chunk, SELINUX_XATTR).map((e) => [absolute(e.path), decode(e.value)]));
    };
    const takeErr = (final: boolean): void => {
      const cut = final ? err.length : err.lastIndexOf('\n') + 1;
      if (cut < 1 && !final) return;
      const chunk = err.slice(0, cut);
      err = err.slice(cut);
      const entries: [string, LabelRead][] = [...parseAttrErrors(chunk, SELINUX_XATTR)].map(
        ([p, message]) => [
          absolute(p),
          /No such attribute|No data available/.test(message)
            ? { kind: 'absent' }
            : { kind: 'error', message },
        ],
      );
      deliver(entries);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.length > 256 * 1024) takeOut(false);
    });
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      if (err.length > 64 * 1024) takeErr(false);
    });
    child.on('error', (error) =>
      reject(
        new AttrToolError(`cannot run ${getfattr}: ${error.message} (install the Debian package attr)`, {
          cause: error,
        }),
      ),
    );
    const onAbort = (): void => {
      stopped = true;
      child.kill('SIGKILL');
      chain.then(() => resolve(false), reject);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('close', (_code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (!stopped && killedBy !== null) {
        // Killed, and not by us: only whole entries count (the last may be cut mid-label).
        takeOut(false);
        takeErr(false);
        const error = new AttrToolError(`${getfattr} was killed by ${killedBy}; the walk is incomplete`);
        chain.then(() => reject(error), reject);
        return;
      }
      if (!stopped) {
        takeOut(true);
        takeErr(true);
      }
      chain.then(() => resolve(!stopped), reject);
    });
  });
}
