// Relabelling drifted files through handles on the files themselves. Per group: each directory
// is pinned and verified to be the walked one (pinDirectory), each file opened from it with
// O_PATH|O_NOFOLLOW (refused when it is a symlink now, or on another file system), then one
// getfattr reads every file's current label through `/proc/self/fd/<n>` (the child's inherited
// handle: a magic link to that very inode, not a name a tenant can swap), `decide` turns it
// into the label to write (the file's own user, role and type at the expected level), and one
// setfattr writes it through the same handles. A tenant renaming or swapping anything between
// the walk, the read and the write can change which tenant file gets fixed, never which
// file's user, role and type it gets, and never reach a file outside the volume.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { untilAborted } from '../../core/abortable.ts';
import { mapBounded } from '../../core/concurrency.ts';
import { parseAttrErrors, restoreBlock } from './attr-format.ts';
import { getfattrPinned } from './attr-read-pinned.ts';
import { runAttrTool, SELINUX_XATTR } from './attr-tool.ts';
import type { LabelRead, RelabelRequest, RelabelResult } from './LabelStore.ts';
import { beneath, closeAll, O_PATH, openBounded, pinDirectory } from './pinned-dirs.ts';

export interface AttrTools {
  getfattr: string;
  setfattr: string;
  decode: (encoded: string) => LabelRead;
}

interface PinnedFile {
  path: string;
  handle: FileHandle;
}

/** One group: at most MAX_PINNED_DIRS files (each one inherited descriptor per tool run). */
export async function relabelGroup(
  tools: AttrTools,
  paths: readonly string[],
  request: RelabelRequest,
): Promise<RelabelResult> {
  const { signal } = request;
  const out: RelabelResult = { written: 0, failed: [], refused: [] };
  const files: PinnedFile[] = [];
  try {
    await pinFiles(paths, request, files, out);
    if (files.length === 0) return out;
    // `<n>` with the child's working directory in its own /proc/self/fd: followed (no -h), the
    // magic link leads to the pinned inode, checked above not to be a symlink.
    const labels = await getfattrPinned(
      tools.getfattr,
      {
        names: files.map((_, i) => String(3 + i)),
        cwd: '/proc/self/fd',
        fds: files.map((f) => f.handle.fd),
        follow: true,
      },
      tools.decode,
      signal,
    );
    const writes: { file: PinnedFile; via: string; label: string }[] = [];
    files.forEach((file, i) => {
      const current = labels[i];
      const label = current?.kind === 'label' ? request.decide(current.label) : undefined;
      if (label !== undefined) writes.push({ file, via: String(3 + i), label });
      else if (current?.kind === 'error') out.failed.push({ path: file.path, message: current.message });
      else out.refused.push({ path: file.path, reason: 'no longer drifted' });
    });
    if (writes.length === 0) return out;
    await writeThroughHandles(tools.setfattr, files, writes, out, signal);
    return out;
  } finally {
    await closeAll(files.map((f) => f.handle));
  }
}

/**
 * Pins each path's directory (verified), then the file itself, several files at once (each
 * open and fstat is a round trip to Node's thread pool); refusals go to `out`.
 */
async function pinFiles(
  paths: readonly string[],
  request: RelabelRequest,
  files: PinnedFile[],
  out: RelabelResult,
): Promise<void> {
  const { signal } = request;
  const dirs = new Map<string, FileHandle | string>();
  try {
    for (const path of paths) {
      const dir = dirname(path);
      if (!dirs.has(dir)) dirs.set(dir, await pinDirectory(dir, signal));
    }
    // A few at a time: Node's thread pool runs four, and each wait listens on the deadline.
    const pinned = await mapBounded(
      paths,
      8,
      async (path): Promise<PinnedFile | { path: string; failed: string } | undefined> => {
        const pin = dirs.get(dirname(path)) as FileHandle | string;
        if (typeof pin === 'string') return { path, failed: pin };
        let handle: FileHandle;
        try {
          handle = await openBounded(beneath(pin, basename(path)), O_PATH | constants.O_NOFOLLOW, signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          return { path, failed: `cannot open ${path}: ${(error as Error).message}` };
        }
        const stat = await untilAborted(handle.stat(), signal).catch(() => undefined);
        if (stat && !stat.isSymbolicLink() && stat.dev === request.dev) return { path, handle };
        await handle.close();
        if (!stat) {
          if (signal?.aborted) throw signal.reason;
          return { path, failed: `cannot stat ${path}` };
        }
        out.refused.push({ path, reason: stat.isSymbolicLink() ? 'a symlink' : 'on another file system' });
        return undefined;
      },
    );
    for (const outcome of pinned) {
      if (!outcome.ok) continue;
      const value = outcome.value;
      if (value && 'handle' in value) files.push(value);
      else if (value) out.failed.push({ path: value.path, message: value.failed });
    }
    // Given up at the deadline: the handles opened are closed by the caller, nothing is written.
    if (signal?.aborted) throw signal.reason;
  } finally {
    await closeAll([...dirs.values()].filter((p): p is FileHandle => typeof p !== 'string'));
  }
}

async function writeThroughHandles(
  setfattr: string,
  files: readonly PinnedFile[],
  writes: readonly { file: PinnedFile; via: string; label: string }[],
  out: RelabelResult,
  signal?: AbortSignal,
): Promise<void> {
  // libselinux writes the context with a trailing NUL; so do we.
  const input = writes
    .map((w) =>
      restoreBlock(
        w.via,
        SELINUX_XATTR,
        Buffer.concat([Buffer.from(w.label.replace(/\0+$/, ''), 'utf8'), Buffer.from([0])]),
      ),
    )
    .join('');
  const outcome = await runAttrTool(
    setfattr,
    ['--restore=-'],
    input,
    '/proc/self/fd',
    files.map((f) => f.handle.fd),
    signal,
  );
  if (outcome.signal !== null) {
    // Killed part-way: which entries it wrote is unknown, so none counts as written.
    for (const w of writes)
      out.failed.push({
        path: w.file.path,
        message: `setfattr was killed by ${outcome.signal}; may be written`,
      });
    return;
  }
  const errors = parseAttrErrors(outcome.stderr, SELINUX_XATTR);
  if (outcome.code !== 0 && errors.size === 0) {
    for (const w of writes)
      out.failed.push({
        path: w.file.path,
        message: `setfattr exited ${outcome.code}: ${outcome.stderr.trim()}`,
      });
    return;
  }
  for (const w of writes) {
    const message = errors.get(w.via);
    if (message === undefined) out.written++;
    else out.failed.push({ path: w.file.path, message });
  }
}
