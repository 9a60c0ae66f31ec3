// Settings of the policy checks.
import { z } from 'zod';

export const PolicySection = z
  .object({
    /** Registries images may come from (host[:port]); empty means any. */
    approvedRegistries: z.array(z.string().min(1)).default([]),
    maxAgeDays: z.number().int().min(1).max(3650).default(30),
  })
  .strict();
