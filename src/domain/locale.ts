/** Languages written right to left; a reader whose negotiated locale is one of these gets dir="rtl". */
const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

/** A newsletter's languages, as the config gives them. */
export interface Locales {
  supported: readonly string[];
  default: string;
}

/** The language a reader (or a request) gets of a newsletter: `negotiateLocale` over its locales. The one way to pick it. */
export function readerLocale(locales: Locales, tag: string | undefined): string {
  return negotiateLocale(tag, locales.supported, locales.default);
}

/**
 * Picks the best supported locale for a reader's BCP 47 tag: the exact tag, then each shorter
 * prefix (`fr-CA` → `fr`), then the newsletter's default. Case-insensitive, returns the supported
 * spelling.
 */
export function negotiateLocale(tag: string | undefined, supported: readonly string[], fallback: string): string {
  if (!tag) return fallback;
  const byLower = new Map(supported.map((s) => [s.toLowerCase(), s]));
  const parts = tag.trim().replace(/_/g, '-').toLowerCase().split('-');
  for (let n = parts.length; n > 0; n--) {
    const hit = byLower.get(parts.slice(0, n).join('-'));
    if (hit) return hit;
  }
  return fallback;
}

export function isRtl(locale: string): boolean {
  return RTL_LANGUAGES.has(locale.split('-')[0]!.toLowerCase());
}

/**
 * Remembers the answers of a check by key. A list has few distinct zones and tags but many rows,
 * and Intl is slow to ask. The public subscribe and preferences routes and the preview pass
 * what people type, so at most `maxKeys` answers are kept and only for keys of at most
 * `maxKeyLength` characters (IANA zone names and everyday language tags are shorter): otherwise
 * 10,000 long junk strings could hold over 100 MB for the life of the process.
 */
export function memoCheck(maxKeys = 10_000, maxKeyLength = 64): { check(key: string, fn: () => boolean): boolean; readonly size: number } {
  const answers = new Map<string, boolean>();
  return {
    check(key, fn) {
      let ok = answers.get(key);
      if (ok === undefined) {
        try {
          ok = fn();
        } catch {
          ok = false;
        }
        if (answers.size < maxKeys && key.length <= maxKeyLength) answers.set(key, ok);
      }
      return ok;
    },
    get size() {
      return answers.size;
    },
  };
}

const zoneChecks = memoCheck();
const tagChecks = memoCheck();

/** True when Intl knows the IANA time zone name. */
export function isValidTimeZone(tz: string): boolean {
  return zoneChecks.check(tz, () => Boolean(new Intl.DateTimeFormat('en', { timeZone: tz })));
}

/** True when Intl accepts the tag as a BCP 47 locale. */
export function isValidLocaleTag(tag: string): boolean {
  return tagChecks.check(tag, () => Intl.getCanonicalLocales(tag).length === 1);
}
