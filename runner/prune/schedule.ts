// When the scheduled (retention) prune runs: in a pass where a cron time (cron-parser v5, in
// the configured time zone) has passed since the last prune recorded in node state. Passes run
// hourly or so, so "at 03:00" means "the first pass at or after 03:00".
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { ConfigError, errorMessage } from '../../core/errors.ts';

/** What the prune step keeps in node state (`lastPrune`). */
export const LastPrune = z.object({
  at: z.string(),
  removed: z.number().int().nonnegative(),
  reclaimedBytes: z.number().nonnegative(),
});
export type LastPrune = z.infer<typeof LastPrune>;

export interface ScheduleDecision {
  due: boolean;
  /** The latest scheduled time at or before now. */
  scheduledAt: string;
  /** Why, in words, for the report. */
  why: string;
}

/** Throws ConfigError naming `runner.prune.schedule` for a bad expression or time zone. */
export function pruneDue(
  schedule: string,
  timeZone: string,
  lastPrune: unknown,
  now: Date,
): ScheduleDecision {
  let previous: Date;
  try {
    // prev() is strictly before currentDate: step a millisecond on so a pass at exactly 03:00 counts.
    const interval = CronExpressionParser.parse(schedule, {
      currentDate: new Date(now.getTime() + 1),
      tz: timeZone,
    });
    previous = interval.prev().toDate();
  } catch (error) {
    throw new ConfigError(
      'invalid prune schedule',
      [`runner.prune.schedule: ${errorMessage(error)} (got ${JSON.stringify(schedule)})`],
      { cause: error },
    );
  }
  const scheduledAt = previous.toISOString();
  const last = LastPrune.safeParse(lastPrune);
  if (!last.success)
    return { due: true, scheduledAt, why: `no prune recorded; last scheduled time ${scheduledAt}` };
  const lastAt = Date.parse(last.data.at);
  if (Number.isNaN(lastAt) || lastAt < previous.getTime()) {
    return { due: true, scheduledAt, why: `scheduled ${scheduledAt}, last prune ${last.data.at}` };
  }
  return {
    due: false,
    scheduledAt,
    why: `last prune ${last.data.at} is after the last scheduled time ${scheduledAt}`,
  };
}
