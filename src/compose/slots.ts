import { CronExpressionParser } from 'cron-parser';

/**
 * A slot is one scheduled time of a newsletter (its cron expression read in its time zone).
 * The issue for a moment is the one for the latest slot at or before it.
 */
export function latestSlotAtOrBefore(schedule: string, timezone: string, at: Date): Date {
  const candidate = CronExpressionParser.parse(schedule, { currentDate: new Date(at.getTime() + 1), tz: timezone })
    .prev()
    .toDate();
  // A wall-clock time repeated when summer time ends gives cron-parser two slots going back but
  // one going forward. Name the one the forward walk (and so nextSlotAfter) gives, so a daily
  // newsletter gets one issue that day, not two.
  const prior = CronExpressionParser.parse(schedule, { currentDate: candidate, tz: timezone }).prev().toDate();
  const forward = nextSlotAfter(schedule, timezone, prior);
  return forward.getTime() === candidate.getTime() ? candidate : prior;
}

export function nextSlotAfter(schedule: string, timezone: string, at: Date): Date {
  const it = CronExpressionParser.parse(schedule, { currentDate: at, tz: timezone });
  return it.next().toDate();
}
