import { CronExpressionParser } from 'cron-parser';

/**
 * A slot is one scheduled time of a newsletter (its cron expression read in its time zone).
 * The issue for a moment is the one for the latest slot at or before it.
 */
export function latestSlotAtOrBefore(schedule: string, timezone: string, at: Date): Date {
  const it = CronExpressionParser.parse(schedule, { currentDate: new Date(at.getTime() + 1), tz: timezone });
  return it.prev().toDate();
}

export function nextSlotAfter(schedule: string, timezone: string, at: Date): Date {
  const it = CronExpressionParser.parse(schedule, { currentDate: at, tz: timezone });
  return it.next().toDate();
}
