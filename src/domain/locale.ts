/** Languages written right to left; a reader whose negotiated locale is one of these gets dir="rtl". */
const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

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

// A list has few distinct zones and tags but many rows: remember each answer (Intl is slow to ask).
const zoneChecks = new Map<string, boolean>();
const tagChecks = new Map<string, boolean>();

function remembered(cache: Map<string, boolean>, key: string, check: () => boolean): boolean {
  let ok = cache.get(key);
  if (ok === undefined) {
    try {
      ok = check();
    } catch {
      ok = false;
    }
    if (cache.size < 10_000) cache.set(key, ok);
  }
  return ok;
}

/** True when Intl knows the IANA time zone name. */
export function isValidTimeZone(tz: string): boolean {
  return remembered(zoneChecks, tz, () => Boolean(new Intl.DateTimeFormat('en', { timeZone: tz })));
}

/** True when Intl accepts the tag as a BCP 47 locale. */
export function isValidLocaleTag(tag: string): boolean {
  return remembered(tagChecks, tag, () => Intl.getCanonicalLocales(tag).length === 1);
}
