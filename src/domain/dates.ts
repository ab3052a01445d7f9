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
