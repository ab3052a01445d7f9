/** Dates as people write them in files (front matter, list files): one reading for all. */

/**
 * Parses "2024-04-24" (midnight UTC) or an ISO 8601 time; a time without an offset is UTC, like a
 * bare date, whatever the host's zone. A day the calendar does not have is refused, never rolled
 * over. Undefined when it does not parse.
 */
export function parseDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', offset] = m;
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (calendar.getUTCFullYear() !== Number(y) || calendar.getUTCMonth() !== Number(mo) - 1 || calendar.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  if (m[4] === undefined) return calendar.toISOString();
  const text = value.trim().replace(' ', 'T');
  const t = new Date(offset ? text : `${text}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/**
 * A time as an editor reads it, in the newsletter's zone and named with it:
 * "Monday 7 December 2026, 08:00 (Europe/Paris)". Another language gets its own long form
 * (French: "lundi 7 décembre 2026, 08:00 (Europe/Paris)"). A text that is not a time is returned as it is.
 */
export function editorTime(iso: string, timeZone: string, locale = 'en'): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const part = (options: Intl.DateTimeFormatOptions) => {
    const parts = new Intl.DateTimeFormat(locale, { ...options, timeZone }).formatToParts(at);
    return Object.fromEntries(parts.map((p) => [p.type, p.value]));
  };
  const { weekday, day, month, year } = part({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const { hour, minute } = part({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${weekday} ${day} ${month} ${year}, ${hour}:${minute} (${timeZone})`;
}
