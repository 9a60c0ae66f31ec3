// Who is told about an image's findings, and why them: resolved by the inventory (owner label,
// then host owner, then the security contact) and carried on every finding, so the notify step
// and the runners' SELinux findings use one shape.
import { z } from 'zod';

/** How the recipient of an image's alerts was chosen, first match wins. */
export const OwnerRule = z.enum(['label', 'host-owner', 'security-contact']);
export type OwnerRule = z.infer<typeof OwnerRule>;

export const ResolvedOwner = z.object({
  address: z.string(),
  rule: OwnerRule,
  /** What matched, e.g. the label key `org.opencontainers.image.authors` or the host glob. */
  detail: z.string(),
});
export type ResolvedOwner = z.infer<typeof ResolvedOwner>;
