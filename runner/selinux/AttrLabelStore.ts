// LabelStore on the Debian `attr` tools: `getfattr -h` and `setfattr -h --restore=-`, which use
// lgetxattr/lsetxattr (no symlink is ever followed). Node has no xattr API, so names go in
// batches (thousands per process) instead of one process per file; spawned with argument
// arrays, never through a shell. Reads in a walk and relabel writes go through pinned handles
// (attr-read-pinned.ts, attr-relabel.ts).
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import { mapBounded } from '../../core/concurrency.ts';
import { decodeValue, parseAttrErrors, parseDump, restoreBlock } from './attr-format.ts';
import { readPinnedWithGetfattr } from './attr-read-pinned.ts';
import { relabelGroup } from './attr-relabel.ts';
import { AttrToolError, runAttrTool, SELINUX_XATTR } from './attr-tool.ts';
import {
  decodeLabelBytes,
  type LabelRead,
  type LabelStore,
  type LabelWrite,
  type LabelWriteResult,
  type PinnedNames,
  type RelabelRequest,
  type RelabelResult,
} from './LabelStore.ts';
import { closeAll, MAX_PINNED_DIRS, pinDirectory, splitByDirectories } from './pinned-dirs.ts';

export interface AttrLabelStoreOptions {
  /** Paths per getfattr/setfattr process (bounded by bytes too, well under ARG_MAX). */
  batchSize?: number;
  batchBytes?: number;
  /** Processes at once. */
  concurrency?: number;
  getfattr?: string;
  setfattr?: string;
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
  readonly #decode = (encoded: string): LabelRead => {
    let read = this.#decodedCache.get(encoded);
    if (read === undefined) {
      read = { kind: 'label', label: decodeLabelBytes(decodeValue(encoded)) };
      if (this.#decodedCache.size < 10_000) this.#decodedCache.set(encoded, read);
    }
    return read;
  };

  async read(
    paths: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Map<string, LabelRead>> {
    for (const path of paths) if (!isAbsolute(path)) throw new AttrToolError(`not an absolute path: ${path}`);
    const result = new Map<string, LabelRead>();
    const batches = this.#batches(paths, (p) => Buffer.byteLength(p));
    const settled = await mapBounded(
      batches,
      this.#concurrency,
      (batch) =>
        runAttrTool(
          this.#getfattr,
          ['-h', '--absolute-names', '-n', SELINUX_XATTR, '-e', 'text', '--', ...batch],
          undefined,
          undefined,
          [],
          options.signal,
        ),
      options.signal ? { signal: options.signal } : {},
    );
    settled.forEach((outcome, index) => {
      const batch = batches[index] ?? [];
      if (!outcome.ok) throw outcome.error;
      const { stdout, stderr, signal } = outcome.value;
      // Killed (not by us: our own abort rejects): the last entry may be cut mid-label.
      if (signal !== null)
        throw new AttrToolError(`${this.#getfattr} was killed by ${signal}; its output is incomplete`);
      const found = new Map(parseDump(stdout, SELINUX_XATTR).map((e) => [e.path, e.value]));
      const errors = parseAttrErrors(stderr, SELINUX_XATTR);
      for (const path of batch) {
        const encoded = found.get(path);
        const message = errors.get(path);
        if (encoded !== undefined) result.set(path, this.#decode(encoded));
        else if (message === undefined || /No such attribute|No data available/.test(message))
          result.set(path, { kind: 'absent' });
        else result.set(path, { kind: 'error', message });
      }
    });
    return result;
  }

  /** One getfattr for the whole call: the caller sizes it (at most MAX_PINNED_DIRS directories). */
  readPinned(groups: readonly PinnedNames[], options: { signal?: AbortSignal } = {}): Promise<LabelRead[][]> {
    return readPinnedWithGetfattr(this.#getfattr, groups, this.#decode, options.signal);
  }

  /**
   * Each directory is opened and verified first (pinDirectory), and setfattr writes through
   * `/proc/self/fd/<n>/<name>` on the inherited handle: a tenant who swaps a directory for a
   * symlink after the check cannot redirect the write (`-h` keeps the last component unfollowed).
   */
  async write(
    entries: readonly LabelWrite[],
    options: { signal?: AbortSignal } = {},
  ): Promise<LabelWriteResult> {
    const failed: { path: string; message: string }[] = [];
    let written = 0;
    for (const entry of entries)
      if (!isAbsolute(entry.path)) throw new AttrToolError(`not an absolute path: ${entry.path}`);
    const batches = this.#batches(
      entries,
      (e) => Buffer.byteLength(e.path) + e.label.length * 2 + 40,
    ).flatMap((batch) => splitByDirectories(batch, MAX_PINNED_DIRS));
    const settled = await mapBounded(
      batches,
      this.#concurrency,
      (batch) => this.#writePinned(batch, options.signal),
      options.signal ? { signal: options.signal } : {},
    );
    for (const outcome of settled) {
      if (!outcome.ok) throw outcome.error;
      written += outcome.value.written;
      failed.push(...outcome.value.failed);
    }
    return { written, failed };
  }

  async #writePinned(batch: readonly LabelWrite[], signal?: AbortSignal): Promise<LabelWriteResult> {
    const failed: { path: string; message: string }[] = [];
    const pins = new Map<string, FileHandle | string>();
    try {
      for (const e of batch) {
        const dir = dirname(e.path);
        if (!pins.has(dir)) pins.set(dir, await pinDirectory(dir, signal));
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
      const outcome = await runAttrTool(
        this.#setfattr,
        ['-h', '--restore=-'],
        input,
        undefined,
        handles.map((h) => h.fd),
        signal,
      );
      const errors = parseAttrErrors(outcome.stderr, SELINUX_XATTR);
      if (outcome.signal !== null) {
        // Killed part-way: which entries it wrote is unknown, so none counts as written.
        for (const e of pinned)
          failed.push({ path: e.path, message: `setfattr was killed by ${outcome.signal}; may be written` });
        return { written: 0, failed };
      }
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
      await closeAll([...pins.values()].filter((p): p is FileHandle => typeof p !== 'string'));
    }
  }

  /**
   * Groups of at most MAX_PINNED_DIRS files (one handle each), a couple at once; see
   * attr-relabel.ts for how each file's own label is read and rewritten through its handle.
   */
  async relabel(request: RelabelRequest): Promise<RelabelResult> {
    for (const path of request.paths)
      if (!isAbsolute(path)) throw new AttrToolError(`not an absolute path: ${path}`);
    const groups: string[][] = [];
    for (let i = 0; i < request.paths.length; i += MAX_PINNED_DIRS)
      groups.push(request.paths.slice(i, i + MAX_PINNED_DIRS));
    const tools = { getfattr: this.#getfattr, setfattr: this.#setfattr, decode: this.#decode };
    const settled = await mapBounded(
      groups,
      this.#concurrency,
      (group) => relabelGroup(tools, group, request),
      request.signal ? { signal: request.signal } : {},
    );
    const out: RelabelResult = { written: 0, failed: [], refused: [] };
    for (const outcome of settled) {
      if (!outcome.ok) throw outcome.error;
      out.written += outcome.value.written;
      out.failed.push(...outcome.value.failed);
      out.refused.push(...outcome.value.refused);
    }
    return out;
  }
}
