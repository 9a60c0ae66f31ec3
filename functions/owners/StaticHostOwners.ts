// HostOwnerDirectory from config: host name globs (`*`, `?`, case-insensitive) mapped to an
// address. The first glob in file order that matches wins, so put specific globs first.
import type { HostOwner, HostOwnerDirectory } from './HostOwnerDirectory.ts';

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

export class StaticHostOwners implements HostOwnerDirectory {
  readonly name = 'static host map';
  readonly #rules: { glob: string; pattern: RegExp; address: string }[];

  constructor(map: Record<string, string>) {
    this.#rules = Object.entries(map).map(([glob, address]) => ({
      glob,
      pattern: globToRegExp(glob),
      address,
    }));
  }

  match(host: string): HostOwner | undefined {
    const rule = this.#rules.find((r) => r.pattern.test(host));
    return rule ? { address: rule.address, detail: `host glob ${rule.glob}` } : undefined;
  }

  async lookup(hosts: readonly string[]): Promise<Map<string, HostOwner>> {
    const out = new Map<string, HostOwner>();
    for (const host of hosts) {
      const owner = this.match(host);
      if (owner) out.set(host, owner);
    }
    return out;
  }
}
