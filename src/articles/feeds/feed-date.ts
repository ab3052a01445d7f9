/**
 * Feed dates: ISO 8601 / RFC 3339 (Atom, JSON Feed, dc:date) and RFC 822 (RSS pubDate). The
 * engine's Date parser is not used on raw input: it accepts "1" or "Item 5" as dates and reads
 * a time without an offset as local time. Times without an offset are read as UTC.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const RFC822 = /^(?:[a-z]{3,9},?\s+)?(\d{1,2})\s+([a-z]{3,9})\.?\s+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([a-z]{1,5}|[+-]\d{4}|[+-]\d{2}:\d{2})?$/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Zone names RFC 822 allows, plus a few that feeds use in practice; offsets in minutes. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  cet: 60, cest: 120, bst: 60, eet: 120, eest: 180, wet: 0, west: 60, jst: 540, aest: 600, aedt: 660,
};

function offsetMinutes(zone: string | undefined): number | undefined {
  if (!zone) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return ZONES[zone.toLowerCase()];
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number): string | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  const check = new Date(local);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return new Date(local - offset * 60_000).toISOString();
}

/** The date as ISO 8601 UTC, or undefined when it does not parse. */
export function parseFeedDate(raw: string | undefined): string | undefined {
  const s = raw?.trim();
  if (!s) return undefined;
  const iso = ISO.exec(s);
  if (iso) {
    const offset = offsetMinutes(iso[8]);
    if (offset === undefined) return undefined;
    const ms = iso[7] ? Math.round(Number(iso[7]) * 1000) : 0;
    return build(Number(iso[1]), Number(iso[2]), Number(iso[3]), Number(iso[4] ?? 0), Number(iso[5] ?? 0), Number(iso[6] ?? 0), ms, offset);
  }
  const rfc = RFC822.exec(s);
  if (rfc) {
    const month = MONTHS.indexOf(rfc[2]!.slice(0, 3).toLowerCase()) + 1;
    const offset = offsetMinutes(rfc[7]);
    if (month === 0 || offset === undefined) return undefined;
    let year = Number(rfc[3]);
    if (rfc[3]!.length === 2) year += year < 50 ? 2000 : 1900;
    return build(year, month, Number(rfc[1]), Number(rfc[4]), Number(rfc[5]), Number(rfc[6] ?? 0), 0, offset);
  }
  return undefined;
}
