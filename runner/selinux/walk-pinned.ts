// The volume walk: every directory is opened from its parent's open handle, one component at a
// time (`/proc/self/fd/<parent>/<name>` with O_NOFOLLOW|O_DIRECTORY), listed through its own
// handle, and every label is read through these handles (attr-read-pinned.ts). No name is ever
// resolved through more than one component of tenant-controlled tree, so a directory a tenant
// swaps for a symlink at any moment is found as a symlink (counted in symlinksSkipped) and
// never entered, and nothing outside the volume is read or reported.
//
// Why not `getfattr -R` (the walk used before): it resolves every entry by its whole relative
// path (lstat, opendir and lgetxattr on `./a/b/c`), so swapping `a` for a symlink after it was
// listed sends it into the link's target; no check before or after can tell which labels came
// from where (a tenant can swap back), and verifying by st_dev misses host files on the same
// disk as an emptyDir. Reading through handles costs one process per batch of names, as before.
//
// Handles: a directory stays open while its names wait in a read batch or its subdirectories
// wait on the stack (a reference count), so open handles are bounded by the depth of the walk
// plus the directories of the batches in flight; past MAX_OPEN_DIRS a subtree is counted as an
// error rather than risk running out of descriptors.
import type { Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { untilAborted } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import type { LabelRead, LabelStore } from './LabelStore.ts';
import { beneath, DIR_FLAGS, MAX_PINNED_DIRS, openBounded } from './pinned-dirs.ts';
import type { VolumeCheckResult } from './volume-check-types.ts';
import { pathOf, type Tally } from './volume-tally.ts';

/** Bytes of names per getfattr (ARG_MAX is 2 MiB with the usual 8 MiB stack limit). */
const MAX_BATCH_BYTES = 1024 * 1024;

/** Directory handles the walk holds at most (well under the usual descriptor limits). */
export const MAX_OPEN_DIRS = 4096;

export interface PinnedWalk {
  /** The root's real path, and its handle (verified to be that path); the walk closes it. */
  root: string;
  rootHandle: FileHandle;
  rootDev: number;
  /** Mount points inside the volume (bind mounts share st_dev, so only the table names them). */
  nestedMounts: ReadonlySet<string>;
  labels: LabelStore;
  result: VolumeCheckResult;
  deadline: AbortSignal;
  overTime: () => boolean;
  fileBudget: number;
  batchSize: number;
  tally: Tally;
}

interface Dir {
  path: string;
  handle: FileHandle;
  /** Its own listing, its names in read batches, its subdirectories on the stack. */
  refs: number;
}

interface Subdir {
  parent: Dir;
  name: string;
  path: string;
}

interface Group {
  dir: Dir;
  names: string[];
}

export async function walkPinned(walk: PinnedWalk): Promise<void> {
  const { result, deadline } = walk;
  const open = new Set<Dir>();
  const release = (dir: Dir): void => {
    dir.refs--;
    if (dir.refs > 0) return;
    open.delete(dir);
    dir.handle.close().catch(() => undefined);
  };
  const reader = batchReader(walk, release);
  const stack: Subdir[] = [];

  /** Takes a directory's own label and lists it; false once a budget stops the walk. */
  const visit = async (dir: Dir): Promise<boolean> => {
    const own = reader.take(dir, '.');
    if (!(own === true || (own !== false && (await own)))) {
      release(dir);
      return false;
    }
    let entries: Dirent[];
    try {
      entries = await untilAborted(
        readdir(`/proc/self/fd/${dir.handle.fd}`, { withFileTypes: true }),
        deadline,
      );
    } catch {
      release(dir);
      if (deadline.aborted) return stop('time-budget');
      result.errors++;
      return true;
    }
    for (const entry of entries) {
      if (entry.isSymbolicLink()) result.symlinksSkipped++;
      else if (!entry.isDirectory()) {
        const going = reader.take(dir, entry.name);
        if (!(going === true || (going !== false && (await going)))) {
          release(dir);
          return false;
        }
      } else {
        const path = pathOf(dir.path, entry.name);
        if (walk.nestedMounts.has(path)) result.mountsSkipped.push(path);
        else {
          dir.refs++;
          stack.push({ parent: dir, name: entry.name, path });
        }
      }
    }
    release(dir);
    return true;
  };
  const stop = (why: 'time-budget'): false => {
    result.stoppedEarly = why;
    return false;
  };

  /** Opens a listed subdirectory from its parent's handle: undefined when it is not walked. */
  const enter = async (sub: Subdir): Promise<Dir | undefined> => {
    if (open.size >= MAX_OPEN_DIRS) {
      release(sub.parent);
      result.errors++;
      result.note ??= `more than ${MAX_OPEN_DIRS} directories open at once (a very deep tree); ${sub.path} not walked`;
      return undefined;
    }
    let handle: FileHandle;
    try {
      handle = await openBounded(beneath(sub.parent.handle, sub.name), DIR_FLAGS, deadline);
    } catch (error) {
      // ELOOP: a symlink now (swapped since it was listed): reported, never entered.
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') result.symlinksSkipped++;
      else if (!deadline.aborted) result.errors++;
      return undefined;
    } finally {
      release(sub.parent);
    }
    const stat = await untilAborted(handle.stat(), deadline).catch(() => undefined);
    if (stat?.dev !== walk.rootDev) {
      await handle.close().catch(() => undefined);
      if (stat) result.mountsSkipped.push(sub.path);
      else if (!deadline.aborted) result.errors++;
      return undefined;
    }
    const dir: Dir = { path: sub.path, handle, refs: 1 };
    open.add(dir);
    return dir;
  };

  const root: Dir = { path: walk.root, handle: walk.rootHandle, refs: 1 };
  open.add(root);
  try {
    let going = await visit(root);
    while (going && stack.length > 0) {
      if (walk.overTime()) going = stop('time-budget');
      else {
        const dir = await enter(stack.pop() as Subdir);
        if (deadline.aborted) going = stop('time-budget');
        else if (dir) going = await visit(dir);
      }
    }
    await reader.drain();
  } finally {
    // Reads still running use these handles (their children hold copies): let them settle.
    await reader.settle();
    for (const dir of open) await dir.handle.close().catch(() => undefined);
  }
}

/**
 * Names queued for reading in batches of up to batchSize names, MAX_BATCH_BYTES and
 * MAX_PINNED_DIRS directories, with up to two batches being read while the walk goes on.
 * Batches are large because each is a process, and spawning one from Node (a fork of a large
 * process) costs more than reading thousands of labels.
 */
function batchReader(walk: PinnedWalk, release: (dir: Dir) => void) {
  const { result, deadline } = walk;
  let groups: Group[] = [];
  let count = 0;
  let bytes = 0;
  const inflight: Promise<void>[] = [];

  const read = async (batch: Group[], size: number): Promise<void> => {
    let reads: LabelRead[][];
    try {
      reads = await walk.labels.readPinned(
        batch.map((g) => ({ dir: g.dir.handle, names: g.names })),
        { signal: deadline },
      );
    } catch (error) {
      if (deadline.aborted) {
        // Given up at the time budget: these names were not checked.
        result.checked -= size;
        result.stoppedEarly ??= 'time-budget';
      } else {
        result.errors += size;
        result.note = errorMessage(error);
      }
      return;
    } finally {
      for (const g of batch) release(g.dir);
    }
    await walk.tally(batch.map((g, i) => ({ dir: g.dir.path, names: g.names, reads: reads[i] ?? [] })));
  };

  const flush = async (): Promise<boolean> => {
    if (count > 0) {
      inflight.push(read(groups, count));
      groups = [];
      count = 0;
      bytes = 0;
      if (inflight.length >= 2) await inflight.shift();
    }
    if (!walk.overTime()) return true;
    result.stoppedEarly = 'time-budget';
    return false;
  };

  return {
    /**
     * Queues one name of `dir`; false once a budget stops the walk. Synchronous unless a batch
     * is due (a promise per name would cost more than reading the name's label).
     */
    take(dir: Dir, name: string): boolean | Promise<boolean> {
      if (result.checked >= walk.fileBudget) {
        result.stoppedEarly = 'file-budget';
        return false;
      }
      let group = groups[groups.length - 1];
      if (group?.dir !== dir) {
        if (groups.length >= MAX_PINNED_DIRS) return flush().then((going) => going && this.take(dir, name));
        group = { dir, names: [] };
        dir.refs++;
        groups.push(group);
      }
      result.checked++;
      group.names.push(name);
      count++;
      // Arguments of one process stay well under ARG_MAX (a UTF-16 unit is at most 3 bytes).
      bytes += 3 * name.length + 8;
      return (count < walk.batchSize && bytes < MAX_BATCH_BYTES) || flush();
    },
    async drain(): Promise<void> {
      if (count > 0) {
        inflight.push(read(groups, count));
        groups = [];
        count = 0;
        bytes = 0;
      }
      await Promise.all(inflight.splice(0));
    },
    async settle(): Promise<void> {
      await Promise.allSettled(inflight.splice(0));
    },
  };
}
