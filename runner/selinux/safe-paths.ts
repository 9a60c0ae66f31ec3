// Where relabelling is allowed: strictly inside a configured volume root, never one of the
// system paths go-selinux refuses to relabel, and never through a symlinked directory.
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, normalize, resolve } from 'node:path';

/** go-selinux's exclusion list (Relabel), plus the current user's home. */
export const SYSTEM_PATHS: readonly string[] = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/etc/passwd',
  '/etc/pki',
  '/etc/shadow',
  '/home',
  '/lib',
  '/lib64',
  '/media',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/var/lib',
  '/var/log',
];

/** Trees under which nothing is ever relabelled, whatever the roots say. */
const SYSTEM_TREES: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/proc',
  '/sbin',
  '/sys',
  '/usr',
];

export function isInside(path: string, root: string): boolean {
  const r = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(r);
}

/** Why `path` must not be relabelled, or undefined when it may be (lexical check). */
export function refusalReason(
  path: string,
  roots: readonly string[],
  home: string = homedir(),
): string | undefined {
  if (!isAbsolute(path)) return `${path} is not absolute`;
  const clean = normalize(path).replace(/\/+$/, '') || '/';
  if (clean !== path.replace(/\/+$/, '') && path !== '/') return `${path} is not a normalised path`;
  if (SYSTEM_PATHS.includes(clean) || clean === home) return `${clean} is a system path`;
  if (SYSTEM_TREES.some((tree) => isInside(clean, tree))) return `${clean} is under a system tree`;
  // A system path configured as a root (`/`, `/var`, `$HOME`) would make everything below it
  // relabellable, which is what go-selinux refuses: such a root does not count.
  const normalisedRoots = roots
    .map((r) => resolve(r))
    .filter(
      (r) => !SYSTEM_PATHS.includes(r) && r !== home && !SYSTEM_TREES.some((tree) => isInside(r, tree)),
    );
  if (!normalisedRoots.some((root) => isInside(clean, root))) {
    return `${clean} is outside the volume roots (${normalisedRoots.join(', ') || 'none configured'})`;
  }
  return undefined;
}

/**
 * Like refusalReason, plus: the path as the kernel resolves it must be the same path, so no
 * directory on the way is a symlink a tenant planted (checked just before writing).
 */
export async function refusalReasonResolved(
  path: string,
  roots: readonly string[],
): Promise<string | undefined> {
  const lexical = refusalReason(path, roots);
  if (lexical) return lexical;
  try {
    const real = await realpath(path);
    if (real !== normalize(path)) return `${path} resolves to ${real} (a symlink on the way)`;
  } catch (error) {
    return `${path} cannot be resolved: ${(error as Error).message}`;
  }
  return undefined;
}
