// The LabelStore port: reads and writes files' `security.selinux` xattrs without ever
// following a symlink. One production adapter (AttrLabelStore: the Debian `attr` tools,
// batched); tests may use it for real on ext4/tmpfs as root.

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

export interface LabelStore {
  /**
   * Labels of absolute paths, no-follow; the map has an entry for every path asked. `base`
   * (a directory holding every path) lets the adapter resolve short relative paths from there.
   * `signal` gives up on the read (it then rejects with the signal's reason).
   */
  read(
    paths: readonly string[],
    options?: { base?: string; signal?: AbortSignal },
  ): Promise<Map<string, LabelRead>>;
  /**
   * Optional: reads every entry under `root` recursively (no symlink followed; it may cross
   * file systems, so callers use it only when nothing is mounted inside). Entries come in
   * batches; returning false from onBatch stops the walk, and so does `signal` (a time budget):
   * the adapter kills its reader, even one stuck in the kernel, and resolves once the batch
   * being handled is done. Resolves true when it was complete.
   */
  scanTree?(
    root: string,
    onBatch: (entries: [string, LabelRead][]) => Promise<boolean>,
    options?: { signal?: AbortSignal },
  ): Promise<boolean>;
  /**
   * Writes labels with no-follow calls; failures are returned per path, not thrown. `signal`
   * gives up (rejecting with its reason): some of the entries may have been written by then.
   */
  write(entries: readonly LabelWrite[], options?: { signal?: AbortSignal }): Promise<LabelWriteResult>;
}

/** Strips the trailing NUL(s) libselinux writes, so both forms compare equal. */
export function decodeLabelBytes(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}
