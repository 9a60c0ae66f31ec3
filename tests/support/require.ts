// Tests never skip: a missing tool is an error that names the Debian package to install.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where `bin` lives on PATH (or the absolute path itself), or undefined. */
export function findBinary(bin: string): string | undefined {
  const candidates = bin.includes('/')
    ? [bin]
    : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin')
        .split(delimiter)
        .concat(['/usr/sbin', '/sbin'])
        .map((dir) => join(dir, bin));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Returns the binary's path or throws an Error telling which Debian package provides it. */
export function requireBinary(bin: string, debianPackage: string): string {
  const found = findBinary(bin);
  if (found === undefined) {
    throw new Error(
      `${bin} is not installed: install the Debian package "${debianPackage}" (apt-get install -y ${debianPackage})`,
    );
  }
  return found;
}
