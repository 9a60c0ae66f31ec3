// The scan fan-out's message: one per in-use digest, put on SQS by the inventory function
// and read by the scan worker. Versioned so a worker can refuse a shape it does not know.
import { z } from 'zod';

export const ScanMessage = z
  .object({
    v: z.literal(1),
    digest: z
      .string()
      .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/, 'expected an image digest'),
    /** `domain/path` of a repository holding the digest. */
    repository: z.string().min(1),
  })
  .strict();
export type ScanMessage = z.infer<typeof ScanMessage>;
