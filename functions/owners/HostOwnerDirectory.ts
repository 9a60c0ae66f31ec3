// The HostOwnerDirectory port: who owns a host, the fallback recipient when an image carries
// no usable owner label. Adapters: a static map of host globs (config) and Nivlheim.

export interface HostOwner {
  address: string;
  /** Why this address, e.g. `glob web-*` or `nivlheim group usit-web`. */
  detail: string;
}

export interface HostOwnerDirectory {
  readonly name: string;
  /** Owners of the hosts it knows; unknown hosts are simply absent from the map. */
  lookup(hosts: readonly string[], signal?: AbortSignal): Promise<Map<string, HostOwner>>;
}

/**
 * Asks each directory in order and keeps the first answer per host. A directory that fails
 * is reported in `errors` and skipped, so a Nivlheim outage degrades to the next fallback.
 */
export async function lookupHostOwners(
  directories: readonly HostOwnerDirectory[],
  hosts: readonly string[],
  signal?: AbortSignal,
): Promise<{ owners: Map<string, HostOwner>; errors: { directory: string; error: unknown }[] }> {
  const owners = new Map<string, HostOwner>();
  const errors: { directory: string; error: unknown }[] = [];
  for (const directory of directories) {
    const missing = hosts.filter((host) => !owners.has(host));
    if (missing.length === 0) break;
    try {
      for (const [host, owner] of await directory.lookup(missing, signal)) {
        if (!owners.has(host)) owners.set(host, owner);
      }
    } catch (error) {
      errors.push({ directory: directory.name, error });
    }
  }
  return { owners, errors };
}
