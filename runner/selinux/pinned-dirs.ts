// Directories (and files) pinned by an open handle, so a tenant who swaps a directory for a
// symlink cannot redirect a read or a write to another tree: a name is resolved one component
// from the handle (`/proc/self/fd/<n>/<name>`, the last component never followed), and the
// attr tools get the handles as inherited descriptors.
import { constants } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { untilAborted } from '../../core/abortable.ts';

/** Handles passed to one attr tool process (each is one inherited descriptor: 3, 4, ...). */
export const MAX_PINNED_DIRS = 256;

/**
 * Linux's O_PATH (the same value on x86-64 and arm64; Node does not export it): a handle that
 * names an inode without opening it, so no read permission is needed and opening a FIFO or a
 * device has no side effects.
 */
export const O_PATH = 0o10000000;

/** Flags for a directory handle the walk lists and resolves names from. */
export const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** The path that resolves `name` from the open directory `dir` (in this process). */
export function beneath(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/**
 * Opens `path`, giving up at `signal` (a hung mount): a handle that arrives after that is
 * closed, never leaked.
 */
export async function openBounded(path: string, flags: number, signal?: AbortSignal): Promise<FileHandle> {
  const opening = open(path, flags);
  try {
    return await untilAborted(opening, signal);
  } catch (error) {
    if (signal?.aborted) opening.then((late) => late.close()).catch(() => undefined);
    throw error;
  }
}

/**
 * Opens `dir` (no symlink as its last component) and checks that the directory opened is
 * still `dir` as the kernel names it now: no directory on the way was swapped for a symlink.
 * The handle pins that directory, so a later swap cannot redirect what goes through it. A
 * string says why not.
 */
export async function pinDirectory(dir: string, signal?: AbortSignal): Promise<FileHandle | string> {
  let handle: FileHandle;
  try {
    handle = await openBounded(dir, DIR_FLAGS, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    return `cannot open ${dir}: ${(error as Error).message}`;
  }
  const now = await untilAborted(readlink(`/proc/self/fd/${handle.fd}`), signal).catch(() => '');
  if (now === dir) return handle;
  await handle.close();
  if (signal?.aborted) throw signal.reason;
  return `${dir} is now ${now || 'unresolvable'} (a symlink on the way)`;
}

/** Splits a batch so that no part names more than `max` distinct directories. */
export function splitByDirectories<T extends { path: string }>(batch: readonly T[], max: number): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let dirs = new Set<string>();
  for (const e of batch) {
    const dir = dirname(e.path);
    if (!dirs.has(dir) && dirs.size >= max) {
      parts.push(current);
      current = [];
      dirs = new Set();
    }
    dirs.add(dir);
    current.push(e);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** Closes handles, ignoring errors (a handle may already be closed by a failed step). */
export async function closeAll(handles: Iterable<FileHandle>): Promise<void> {
  for (const handle of handles) await handle.close().catch(() => undefined);
}
