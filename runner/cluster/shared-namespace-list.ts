// One namespace list per fan-out tick: the SELinux handover (each node Job's namespace levels)
// and the cluster-wide audit both read every namespace, moments apart in one process; the
// second reads the first's answer. A failed list is not kept, so the second asks again.
import type { ClusterReader, ListOptions } from './ClusterReader.ts';

/** `reader` with `listNamespaces()` (without options) answered once for the tick. */
export function sharingNamespaceList<T extends Pick<ClusterReader, 'listNamespaces'>>(reader: T): T {
  let shared: ReturnType<ClusterReader['listNamespaces']> | undefined;
  const listNamespaces = (options?: ListOptions): ReturnType<ClusterReader['listNamespaces']> => {
    if (options !== undefined && Object.keys(options).length > 0) return reader.listNamespaces(options);
    if (shared === undefined) {
      const listing = reader.listNamespaces();
      shared = listing;
      listing.catch(() => {
        if (shared === listing) shared = undefined;
      });
    }
    return shared;
  };
  return new Proxy(reader, {
    get(target, property) {
      if (property === 'listNamespaces') return listNamespaces;
      const value: unknown = Reflect.get(target, property, target);
      // methods run on the reader itself (its private fields are not the proxy's)
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
