// The LabelStore port: reads and writes files' `security.selinux` xattrs without ever
// following a symlink. One production adapter (AttrLabelStore: the Debian `attr` tools,
// batched); tests may use it for real on ext4/tmpfs as root.
//
// A tenant controls the tree it is walked over and may swap any directory for a symlink at any
// moment, so reads in a walk and relabel writes name files only through directory handles the
// caller (or the store) holds open: a name inside a pinned directory is resolved one component
// from that handle and can never lead outside it. Only `read` takes whole paths, for paths no
// tenant can change (the root of a single-context mount).
import type { FileHandle } from 'node:fs/promises';

/** What reading one path gave: its label, no label at all, or an error (vanished, EACCES...). */
export type LabelRead =
  | { kind: 'label'; label: string }
  | { kind: 'absent' }
  | { kind: 'error'; message: string };

export interface LabelWrite {
  path: string;
  /** The full context to write (without NUL; the store adds the NUL libselinux writes). */
  label: string;
}

export interface LabelWriteResult {
  written: number;
  failed: { path: string; message: string }[];
}

/** Names inside one directory the caller holds open; `.` names the directory itself. */
export interface PinnedNames {
  dir: FileHandle;
  names: readonly string[];
}

export interface RelabelRequest {
  /** The drifted paths as walked (absolute, normalised). */
  paths: readonly string[];
  /**
   * The label to write, given the label the file has now (read through the handle the write
   * goes through), or undefined to leave the file as it is (no longer drifted, malformed).
   */
  decide: (current: string) => string | undefined;
  /** st_dev of the volume: a file on another file system is refused. */
  dev: number;
  signal?: AbortSignal;
}

export interface RelabelResult {
  written: number;
  failed: { path: string; message: string }[];
  /** Not written: a symlink now, on another file system, or no longer drifted. */
  refused: { path: string; reason: string }[];
}

export interface LabelStore {
  /**
   * Labels of absolute paths, no-follow on the last component only; the map has an entry for
   * every path asked. `signal` gives up on the read (it then rejects with the signal's reason).
   */
  read(paths: readonly string[], options?: { signal?: AbortSignal }): Promise<Map<string, LabelRead>>;
  /**
   * Labels of names inside pinned directories, no symlink followed: one result per name, in
   * the order asked, per group. The handles must stay open until this settles.
   */
  readPinned(groups: readonly PinnedNames[], options?: { signal?: AbortSignal }): Promise<LabelRead[][]>;
  /**
   * Writes labels with no-follow calls; failures are returned per path, not thrown. `signal`
   * gives up (rejecting with its reason): some of the entries may have been written by then.
   */
  write(entries: readonly LabelWrite[], options?: { signal?: AbortSignal }): Promise<LabelWriteResult>;
  /**
   * Rewrites drifted files: each file is pinned by a handle (its directory verified to be the
   * walked one first), its current label read through that handle, and the label `decide`
   * returns written through the same handle, so user, role and type come from that file and no
   * other. `signal` gives up (rejecting with its reason): some files may have been written.
   */
  relabel(request: RelabelRequest): Promise<RelabelResult>;
}

/** Strips the trailing NUL(s) libselinux writes, so both forms compare equal. */
export function decodeLabelBytes(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}
