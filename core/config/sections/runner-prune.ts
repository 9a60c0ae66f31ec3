// Settings of runner pruning: schedule, retention, disk watermarks.
import { z } from 'zod';
import { Duration, TimeZone } from '../common.ts';

export const RunnerPruneSection = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run the prune step in node passes (dry-run passes only list).'),
    schedule: z
      .string()
      .default('0 3 * * *')
      .describe(
        'Cron expression (5 fields) of the retention prune: it runs in the first pass after a scheduled time since the last prune.',
      ),
    timeZone: TimeZone.default('UTC').describe('IANA time zone the schedule is read in.'),
    retention: Duration.prefault('72h').describe(
      'A managed image is removed once it has been out of the desired set this long (and no container uses it).',
    ),
    highWatermark: z
      .number()
      .min(1)
      .max(100)
      .default(85)
      .describe(
        "Disk use (%) of the image store's file system above which managed unused images go, least recently desired first, in any pass.",
      ),
    lowWatermark: z
      .number()
      .min(1)
      .max(100)
      .default(75)
      .describe('Disk-pressure pruning stops once use is below this (%).'),
    labelSelector: z
      .string()
      .optional()
      .describe(
        'Images carrying this label (`key=value` or `key`) are managed too, besides those the runner pulled itself.',
      ),
  })
  .strict()
  .refine((s) => s.lowWatermark < s.highWatermark, {
    message: 'lowWatermark must be below highWatermark',
    path: ['lowWatermark'],
  });
export type RunnerPruneSection = z.infer<typeof RunnerPruneSection>;
