/**
 * Feed dates: ISO 8601 / RFC 3339 (Atom, JSON Feed, dc:date) and RFC 822 (RSS pubDate). The
 * engine's Date parser is not used on raw input: it accepts "1" or "Item 5" as dates and reads
 * a time without an offset as local time. Times without an offset are read as UTC.
 *
 * RFC 822 names days and months in English only, but feeds written by software running in
 * another locale localise them ("Seg, 24 Set 2018 19:42:40 -0300", "Di, 23 Jan 2018 …",
 * "ven., 03 juil. 2020 …"). Such dates are read too: the day name is not checked (many feeds get
 * it wrong even in English), and the month is looked up in the names CLDR gives, through Intl,
 * for the languages such feeds come in most.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const RFC822 = /^(?:\p{L}{2,12}\.?,?\s+)?(\d{1,2})\.?\s+(\p{L}{3,12})\.?\s+(\d{2}|\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([a-z]{1,5}|[+-]\d{4}|[+-]\d{2}:\d{2})?$/iu;

/** Languages whose month names are read: English (RFC 822), then those feeds most often use instead. */
const MONTH_LANGUAGES = ['en', 'pt', 'de', 'fr', 'es', 'it', 'nl'];

/** Lower case, without accents or a final dot: "Févr." and "fevr" are the same name. */
function fold(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').replace(/\.$/, '').toLowerCase();
}

/** Each language's abbreviated and full month names (folded) → month 1–12; and the full names. */
const { MONTH_NAMES, FULL_MONTH_NAMES } = (() => {
  const names = new Map<string, number>();
  const full: [string, number][] = [];
  for (const lang of MONTH_LANGUAGES) {
    for (let month = 1; month <= 12; month++) {
      const day = new Date(Date.UTC(2000, month - 1, 15));
      for (const style of ['short', 'long'] as const) {
        // Both the stand-alone form ("Juni") and the form inside a date ("Jun") occur in feeds.
        const alone = new Intl.DateTimeFormat(lang, { month: style, timeZone: 'UTC' }).format(day);
        const inDate = new Intl.DateTimeFormat(lang, { day: 'numeric', month: style, timeZone: 'UTC' }).formatToParts(day).find((p) => p.type === 'month')?.value;
        for (const name of [alone, inDate]) {
          if (!name) continue;
          names.set(fold(name), month);
          if (style === 'long') full.push([fold(name), month]);
        }
      }
    }
  }
  return { MONTH_NAMES: names, FULL_MONTH_NAMES: full };
})();

/**
 * The month a name stands for, in any of MONTH_LANGUAGES: a known name, else the start (three
 * letters or more) of exactly one month's full name ("Sept", "juil", "Mär"). A start shared by two
 * months ("jui": juin or juillet) is refused rather than guessed.
 */
export function monthNumber(name: string): number | undefined {
  const folded = fold(name);
  const known = MONTH_NAMES.get(folded);
  if (known !== undefined) return known;
  if (folded.length < 3) return undefined;
  const months = new Set(FULL_MONTH_NAMES.filter(([full]) => full.startsWith(folded)).map(([, month]) => month));
  return months.size === 1 ? [...months][0] : undefined;
}

/** Zone names RFC 822 allows, plus a few that feeds use in practice; offsets in minutes. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  cet: 60, cest: 120, bst: 60, eet: 120, eest: 180, wet: 0, west: 60, jst: 540, aest: 600, aedt: 660,
  // German feeds write CET and CEST as MEZ and MESZ.
  mez: 60, mesz: 120,
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
    const month = monthNumber(rfc[2]!);
    const offset = offsetMinutes(rfc[7]);
    if (month === undefined || offset === undefined) return undefined;
    let year = Number(rfc[3]);
    if (rfc[3]!.length === 2) year += year < 50 ? 2000 : 1900;
    return build(year, month, Number(rfc[1]), Number(rfc[4]), Number(rfc[5]), Number(rfc[6] ?? 0), 0, offset);
  }
  return undefined;
}
