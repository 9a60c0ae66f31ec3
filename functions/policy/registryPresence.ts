// USIT's rule "images not found in the approved registry": for each running image of an
// approved registry, ask that registry whether it holds the running digest (one manifest HEAD
// per digest, the image's alias digests tried too: a registry's own repository digest may be
// listed second). Only a 404 for every digest is "absent" and becomes a `not-in-registry`
// finding; a registry that is down, answers 5xx, times out or refuses our credentials makes
// the image "unknown", which is counted and reported, never a breach.
import { mapBounded } from '../../core/concurrency.ts';
import { errorMessage } from '../../core/errors.ts';
import { tryParseImageReference } from '../../core/image-reference.ts';
import type { ImageMetadata } from '../inventory/ImageMetadata.ts';
import type { InventoryItem } from '../inventory/InventoryItem.ts';
import { isApproved } from './approved.ts';

export type Presence =
  | { state: 'present'; digest: string }
  | { state: 'absent'; digests: string[] }
  | { state: 'unknown'; reason: string };

export interface PresenceOptions {
  approvedRegistries: readonly string[];
  concurrency: number;
  /** Registries the inventory found unreachable: not asked again. */
  registriesDown?: readonly string[];
  signal?: AbortSignal;
}

/**
 * Presence per inventory item id, for the items of an approved registry. Empty when no
 * registry is approved (there is no "approved registry" to look in).
 */
export async function checkRegistryPresence(
  items: readonly InventoryItem[],
  metadata: ImageMetadata,
  options: PresenceOptions,
): Promise<Map<string, Presence>> {
  const out = new Map<string, Presence>();
  if (options.approvedRegistries.length === 0) return out;
  const down = new Set(options.registriesDown ?? []);
  const toAsk = items.filter((i) => isApproved(i.registry, options.approvedRegistries));
  const settled = await mapBounded(
    toAsk,
    options.concurrency,
    (item) => presenceOf(item, metadata, down),
    options.signal ? { signal: options.signal } : {},
  );
  settled.forEach((result, i) => {
    const item = toAsk[i] as InventoryItem;
    out.set(item.id, result.ok ? result.value : { state: 'unknown', reason: errorMessage(result.error) });
  });
  return out;
}

async function presenceOf(
  item: InventoryItem,
  metadata: ImageMetadata,
  down: Set<string>,
): Promise<Presence> {
  if (item.digest === undefined) return { state: 'unknown', reason: 'no digest (the tag was not resolved)' };
  if (metadata.offline || !metadata.hasManifest)
    return { state: 'unknown', reason: 'registry not asked (offline)' };
  if (down.has(item.registry)) return { state: 'unknown', reason: `registry ${item.registry} unreachable` };
  const parsed = tryParseImageReference(item.repository);
  if (!parsed.ok)
    return { state: 'unknown', reason: `repository ${item.repository}: ${parsed.error.message}` };
  const digests = [item.digest, ...(item.aliases ?? [])];
  const absent: string[] = [];
  let unknown: string | undefined;
  for (const digest of digests) {
    try {
      if (await metadata.hasManifest({ ...parsed.ref, tag: undefined, digest }))
        return { state: 'present', digest };
      absent.push(digest);
    } catch (error) {
      unknown ??= errorMessage(error);
    }
  }
  return unknown === undefined ? { state: 'absent', digests: absent } : { state: 'unknown', reason: unknown };
}
