// The in-use image inventory: one item per unique image (by digest when known), built from
// container metadata and shared by the policy, scan and notify steps.
import { z } from 'zod';
import { ResolvedOwner } from '../../core/findings/ResolvedOwner.ts';

export const InventoryItem = z.object({
  /** Stable id: the digest when known, else `unresolved:<reference>`. */
  id: z.string(),
  /** The digest containers run (may be an index digest); undefined when it could not be resolved. */
  digest: z.string().optional(),
  /** Other digests of the same image, listed beside `digest` in `container.image.hash.all`. */
  aliases: z.array(z.string()).optional(),
  /** `domain/path` of the repository. */
  repository: z.string(),
  /** Registry domain (host[:port]). */
  registry: z.string(),
  tags: z.array(z.string()),
  /** The reference strings as hosts reported them. */
  references: z.array(z.string()),
  hosts: z.object({ count: z.number().int().nonnegative(), sample: z.array(z.string()) }),
  containers: z.number().int().nonnegative(),
  /** Owner label values seen on the containers, in label-key priority order. */
  ownerCandidates: z.array(z.object({ key: z.string(), value: z.string() })),
  owner: ResolvedOwner,
  /** The owner of the hosts it runs on (fallback recipient for policy findings about missing owners). */
  hostOwner: ResolvedOwner.optional(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** From the image config blob, when the registry could be asked. */
  created: z.string().optional(),
});
export type InventoryItem = z.infer<typeof InventoryItem>;

/** What the inventory step stores for the next steps (StateStore collection `inventory`, key `latest`). */
export const InventorySnapshot = z.object({
  takenAt: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  items: z.array(InventoryItem),
});
export type InventorySnapshot = z.infer<typeof InventorySnapshot>;
