// LabelStore on the Debian `attr` tools: `getfattr -h` and `setfattr -h --restore=-`, which use
// lgetxattr/lsetxattr (no symlink is ever followed). Node has no xattr API, so paths go in
// batches (thousands per process, a couple of processes at once) instead of one process
// per file; spawned with argument arrays, never through a shell.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import { mapBounded } from '../../core/concurrency.ts';
import { ImagewardenError } from '../../core/errors.ts';
import { decodeValue, parseAttrErrors, parseDump, restoreBlock } from './attr-format.ts';
import {
  decodeLabelBytes,
  type LabelRead,
  type LabelStore,
  type LabelWrite,
  type LabelWriteResult,
} from './LabelStore.ts';
import { MAX_PINNED_DIRS, pinDirectory, splitByDirectories } from './pinned-dirs.ts';

export const SELINUX_XATTR = 'security.selinux';

/** Thrown when getfattr/setfattr cannot be started or dies without telling which path failed. */
export class AttrToolError extends ImagewardenError {
  override name = 'AttrToolError';
}

export interface AttrLabelStoreOptions {
  /** Paths per getfattr process (bounded by bytes too, well under ARG_MAX). */
  batchSize?: number;
  batchBytes?: number;
  /** Processes at once. */
  concurrency?: number;
  getfattr?: string;
  setfattr?: string;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  input?: string,
  cwd?: string,
  inheritFds: readonly number[] = [],
  signal?: AbortSignal,
): Promise<RunResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    // LC_ALL=C keeps getfattr's messages in English, which parseAttrErrors relies on.
    const child = spawn(command, args, {
      ...(cwd ? { cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe', ...inheritFds],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
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
    child.on('close', (code) =>
      resolve({
        code,
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

export class AttrLabelStore implements LabelStore {
  readonly #batchSize: number;
  readonly #batchBytes: number;
  readonly #concurrency: number;
  readonly #getfattr: string;
  readonly #setfattr: string;

  constructor(options: AttrLabelStoreOptions = {}) {
    this.#batchSize = options.batchSize ?? 10_000;
    this.#batchBytes = options.batchBytes ?? 1024 * 1024;
    this.#concurrency = options.concurrency ?? 2;
    this.#getfattr = options.getfattr ?? 'getfattr';
    this.#setfattr = options.setfattr ?? 'setfattr';
  }

  #batches<T>(items: readonly T[], size: (item: T) => number): T[][] {
    const batches: T[][] = [];
    let current: T[] = [];
    let bytes = 0;
    for (const item of items) {
      const itemBytes = size(item) + 1;
      if (current.length > 0 && (current.length >= this.#batchSize || bytes + itemBytes > this.#batchBytes)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(item);
      bytes += itemBytes;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  // A volume holds few distinct labels: decode each once and share the result object.
  readonly #decodedCache = new Map<string, LabelRead>();
  #decoded(encoded: string): LabelRead {
    let read = this.#decodedCache.get(encoded);
    if (read === undefined) {
      read = { kind: 'label', label: decodeLabelBytes(decodeValue(encoded)) };
      if (this.#decodedCache.size < 10_000) this.#decodedCache.set(encoded, read);
    }
    return read;
  }

  async read(
    paths: readonly string[],
    options: { base?: string; signal?: AbortSignal } = {},
  ): Promise<Map<string, LabelRead>> {
    for (const path of paths) if (!isAbsolute(path)) throw new AttrToolError(`not an absolute path: ${path}`);
    // Relative to a base directory, each lookup walks two components instead of ten: the kernel
    // time of a scan is mostly path resolution.
    const base = options.base?.replace(/\/+$/, '');
    const prefix = `${base}/`;
    const relative = base !== undefined && paths.every((p) => p === base || p.startsWith(prefix));
    const toArg = (p: string): string => (!relative ? p : p === base ? '.' : p.slice(prefix.length));
    const fromOutput = (p: string): string =>
      !relative ? p : p === '.' ? (base as string) : `${prefix}${p}`;
    const result = new Map<string, LabelRead>();
    const batches = this.#batches(paths, (p) => Buffer.byteLength(p));
    const settled = await mapBounded(
      batches,
      this.#concurrency,
      (batch) =>
        run(
          this.#getfattr,
          ['-h', '--absolute-names', '-n', SELINUX_XATTR, '-e', 'text', '--', ...batch.map(toArg)],
          undefined,
          relative ? base : undefined,
          [],
          options.signal,
        ),
      options.signal ? { signal: options.signal } : {},
    );
    settled.forEach((outcome, index) => {
      const batch = batches[index] ?? [];
      if (!outcome.ok) throw outcome.error;
      const { stdout, stderr } = outcome.value;
      const found = new Map(parseDump(stdout, SELINUX_XATTR).map((e) => [fromOutput(e.path), e.value]));
      const errors = new Map([...parseAttrErrors(stderr, SELINUX_XATTR)].map(([p, m]) => [fromOutput(p), m]));
      for (const path of batch) {
        const encoded = found.get(path);
        const message = errors.get(path);
        if (encoded !== undefined) result.set(path, this.#decoded(encoded));
        else if (message === undefined || /No such attribute|No data available/.test(message))
          result.set(path, { kind: 'absent' });
        else result.set(path, { kind: 'error', message });
      }
    });
    return result;
  }

  /**
   * One `getfattr -R -h -P` from inside `root` (relative names keep the kernel's path lookups
   * short), streamed: labels from stdout, "No such attribute" and other per-path errors from
   * stderr. Stopping early kills the process (our own child, by its handle); so does the
   * signal, which resolves false without waiting for a child stuck on a hung mount to exit.
   */
  scanTree(
    root: string,
    onBatch: (entries: [string, LabelRead][]) => Promise<boolean>,
    options: { signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve(false);
    const base = root.replace(/\/+$/, '');
    const absolute = (p: string): string =>
      p === '.' ? base : p.startsWith('./') ? `${base}/${p.slice(2)}` : `${base}/${p}`;
    return new Promise((resolve, reject) => {
      const child = spawn(
        this.#getfattr,
        ['-R', '-h', '-P', '--absolute-names', '-n', SELINUX_XATTR, '-e', 'text', '.'],
        {
          cwd: base,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
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
        deliver(parseDump(chunk, SELINUX_XATTR).map((e) => [absolute(e.path), this.#decoded(e.value)]));
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
          new AttrToolError(
            `cannot run ${this.#getfattr}: ${error.message} (install the Debian package attr)`,
            { cause: error },
          ),
        ),
      );
      const onAbort = (): void => {
        stopped = true;
        child.kill('SIGKILL');
        chain.then(() => resolve(false), reject);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        if (!stopped) {
          takeOut(true);
          takeErr(true);
        }
        chain.then(() => resolve(!stopped), reject);
      });
    });
  }

  /**
   * Each directory is opened and verified first (pinDirectory), and setfattr writes through
   * `/proc/self/fd/<n>/<name>` on the inherited handle: a tenant who swaps a directory for a
   * symlink after the check cannot redirect the write (`-h` keeps the last component unfollowed).
   */
  async write(entries: readonly LabelWrite[]): Promise<LabelWriteResult> {
    const failed: { path: string; message: string }[] = [];
    let written = 0;
    for (const entry of entries)
      if (!isAbsolute(entry.path)) throw new AttrToolError(`not an absolute path: ${entry.path}`);
    const batches = this.#batches(
      entries,
      (e) => Buffer.byteLength(e.path) + e.label.length * 2 + 40,
    ).flatMap((batch) => splitByDirectories(batch, MAX_PINNED_DIRS));
    const settled = await mapBounded(batches, this.#concurrency, (batch) => this.#writePinned(batch));
    for (const outcome of settled) {
      if (!outcome.ok) throw outcome.error;
      written += outcome.value.written;
      failed.push(...outcome.value.failed);
    }
    return { written, failed };
  }

  async #writePinned(batch: readonly LabelWrite[]): Promise<LabelWriteResult> {
    const failed: { path: string; message: string }[] = [];
    const pins = new Map<string, FileHandle | string>();
    try {
      for (const e of batch) {
        const dir = dirname(e.path);
        if (!pins.has(dir)) pins.set(dir, await pinDirectory(dir));
      }
      const handles = [...pins.values()].filter((p): p is FileHandle => typeof p !== 'string');
      const childFd = new Map(handles.map((h, i) => [h, 3 + i]));
      const pinned: { path: string; via: string; label: string }[] = [];
      for (const e of batch) {
        const pin = pins.get(dirname(e.path)) as FileHandle | string;
        if (typeof pin === 'string') failed.push({ path: e.path, message: pin });
        else pinned.push({ ...e, via: `/proc/self/fd/${childFd.get(pin)}/${basename(e.path)}` });
      }
      if (pinned.length === 0) return { written: 0, failed };
      // libselinux writes the context with a trailing NUL; so do we.
      const input = pinned
        .map((e) =>
          restoreBlock(
            e.via,
            SELINUX_XATTR,
            Buffer.concat([Buffer.from(e.label.replace(/\0+$/, ''), 'utf8'), Buffer.from([0])]),
          ),
        )
        .join('');
      const outcome = await run(
        this.#setfattr,
        ['-h', '--restore=-'],
        input,
        undefined,
        handles.map((h) => h.fd),
      );
      const errors = parseAttrErrors(outcome.stderr, SELINUX_XATTR);
      if (outcome.code !== 0 && errors.size === 0) {
        for (const e of pinned)
          failed.push({ path: e.path, message: `setfattr exited ${outcome.code}: ${outcome.stderr.trim()}` });
        return { written: 0, failed };
      }
      let written = 0;
      for (const e of pinned) {
        const message = errors.get(e.via);
        if (message === undefined) written++;
        else failed.push({ path: e.path, message });
      }
      return { written, failed };
    } finally {
      for (const pin of pins.values()) if (typeof pin !== 'string') await pin.close().catch(() => undefined);
    }
  }
}
