// Directories pinned by an open handle for setfattr: the write goes through
// /proc/self/fd/<n>/<name>, so a tenant who swaps a directory for a symlink after the check
// cannot redirect it to another tree.
import { constants } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LabelWrite } from './LabelStore.ts';

/** Directories pinned per setfattr process (each is one inherited file descriptor). */
export const MAX_PINNED_DIRS = 64;

/**
 * Opens `dir` (no symlink as its last component) and checks that the directory opened is
 * still `dir` as the kernel names it now: no directory on the way was swapped for a symlink.
 * The handle pins that directory, so a later swap cannot redirect the write. A string says why not.
 */
export async function pinDirectory(dir: string): Promise<FileHandle | string> {
  let handle: FileHandle;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    return `cannot open ${dir}: ${(error as Error).message}; not written`;
  }
  const now = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => '');
  if (now === dir) return handle;
  await handle.close();
  return `${dir} is now ${now || 'unresolvable'} (a symlink on the way); not written`;
}

/** Splits a batch so that no part names more than `max` distinct directories. */
export function splitByDirectories(batch: readonly LabelWrite[], max: number): LabelWrite[][] {
  const parts: LabelWrite[][] = [];
  let current: LabelWrite[] = [];
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
