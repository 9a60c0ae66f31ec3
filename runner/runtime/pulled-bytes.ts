// Bytes a pull downloaded, from the manifest's layer sizes: exact where the daemon's progress
// is not (the CRI reports none; Docker's stream can drop a small layer's lines). Layers the
// runtime said it already had are not counted.
import type { ManifestLayer } from './ImageRuntime.ts';

/** `skip` holds digests, or Docker's 12-hex short ids, of layers that were already present. */
export function pulledBytes(layers: readonly ManifestLayer[], skip: ReadonlySet<string> = new Set()): number {
  let total = 0;
  for (const layer of layers) {
    const short = layer.digest.replace(/^sha256:/, '').slice(0, 12);
    if (skip.has(layer.digest) || skip.has(short)) continue;
    total += layer.size;
  }
  return total;
}
