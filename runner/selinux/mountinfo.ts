// Which mount a volume lives on, from /proc/self/mountinfo-style text, and whether that mount
// has one context for every file (NFS without labels, `context=` mounts, KEP-1710 SELinuxMount):
// such a mount is checked once at its root, since per-file labels do not exist there.
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount and superblock options merged; values keep their text (quotes removed). */
  options: Record<string, string | true>;
}

/** The port: the mounts of this node. */
export interface MountTable {
  mounts(): Promise<MountEntry[]>;
}

function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Splits `a,context="u:r:t:s0:c1,c2",b` on commas outside double quotes. */
export function parseMountOptions(text: string): Record<string, string | true> {
  const options: Record<string, string | true> = {};
  let current = '';
  let quoted = false;
  const flush = (): void => {
    if (current.length === 0) return;
    const at = current.indexOf('=');
    if (at < 0) options[current] = true;
    else options[current.slice(0, at)] = current.slice(at + 1).replace(/^"(.*)"$/, '$1');
    current = '';
  };
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) flush();
    else current += ch;
  }
  flush();
  return options;
}

/** Parses mountinfo lines; malformed lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 10 || dash < 6) continue;
    const mountPoint = unescapeMountField(fields[4] ?? '');
    entries.push({
      mountPoint,
      fsType: fields[dash + 1] ?? '',
      source: unescapeMountField(fields[dash + 2] ?? ''),
      options: { ...parseMountOptions(fields[5] ?? ''), ...parseMountOptions(fields[dash + 3] ?? '') },
    });
  }
  return entries;
}

/** The mount holding `path` (longest mount point that is a prefix of it; the last one wins on ties, as the kernel stacks them). */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const mp = mount.mountPoint;
    const inside = path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (inside && (best === undefined || mp.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

const UNLABELLED_FS = /^(nfs4?|cifs|smb3|9p|fuse(\..*)?|vfat|exfat)$/;

/**
 * When a mount has one context for all files: its `context=` value, or `true` when the
 * file system type has no per-file labels (unlabeled NFS and the like: read the root's label).
 * `seclabel` in the options means per-file labels are supported (labeled NFS 4.2).
 */
export function singleContext(mount: MountEntry): string | true | undefined {
  const context = mount.options.context;
  if (typeof context === 'string') return context;
  if (mount.options.seclabel === true) return undefined;
  return UNLABELLED_FS.test(mount.fsType) ? true : undefined;
}

/** The production adapter: reads /proc/self/mountinfo (the file name is a parameter for tests). */
export function procMountTable(file = '/proc/self/mountinfo'): MountTable {
  return { mounts: async () => parseMountinfo(await readFile(file, 'utf8')) };
}
