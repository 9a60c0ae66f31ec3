// Settings of the policy checks.
import { z } from 'zod';

export const PolicySection = z
  .object({
    approvedRegistries: z
      .array(z.string().min(1))
      .default([])
      .describe('Registries (host[:port]) images may come from; empty approves every registry.'),
    maxAgeDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe(
        'Rebuild limit: images whose config `created` is older are flagged (unknown ages are reported, not flagged).',
      ),
  })
  .strict();
export type PolicySection = z.infer<typeof PolicySection>;
