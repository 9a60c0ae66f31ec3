// Settings of runner pruning: schedule, retention, disk watermarks.
import { z } from 'zod';
import { Duration, TimeZone } from '../common.ts';

export const RunnerPruneSection = z
  .object({
    enabled: z.boolean().default(true),
    schedule: z.string().default('0 3 * * *'),
    timeZone: TimeZone.default('UTC'),
    retention: Duration.prefault('72h'),
    highWatermark: z.number().min(1).max(100).default(85),
    lowWatermark: z.number().min(1).max(100).default(75),
    /** Images carrying this label (key=value) are managed too, besides those the runner pulled. */
    labelSelector: z.string().optional(),
  })
  .strict();
