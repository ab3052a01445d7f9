import { IntlMessageFormat } from 'intl-messageformat';

/** Locale strings: `templates/locales/<locale>.json`, flat keys to ICU MessageFormat strings. */
export type Catalog = Record<string, string>;

export interface Messages {
  locale: string;
  /** Formats key with values; a key missing in this locale falls back to the default locale's. */
  t(key: string, values?: Record<string, unknown>): string;
  /** Keys that were looked up here but only found in the default locale (reported by render). */
  missing: Set<string>;
}

export function createMessages(locale: string, catalogs: Record<string, Catalog>, defaultLocale: string, source: (l: string) => string): Messages {
  const cache = new Map<string, IntlMessageFormat>();
  const missing = new Set<string>();
  const own = catalogs[locale] ?? {};
  const fallback = catalogs[defaultLocale] ?? {};
  return {
    locale,
    missing,
    t(key, values) {
      let pattern = own[key];
      let lang = locale;
      if (pattern === undefined) {
        missing.add(key);
        pattern = fallback[key];
        lang = defaultLocale;
        if (pattern === undefined) throw new Error(`locale key "${key}" is in neither ${source(locale)} nor ${source(defaultLocale)}`);
      }
      const cacheKey = `${lang}\u0000${key}`;
      let fmt = cache.get(cacheKey);
      if (!fmt) {
        try {
          fmt = new IntlMessageFormat(pattern, lang);
        } catch (e) {
          throw new Error(`${source(lang)}: key "${key}" is not valid ICU MessageFormat: ${(e as Error).message}`, { cause: e });
        }
        cache.set(cacheKey, fmt);
      }
      return String(fmt.format(values as Record<string, string | number>));
    },
  };
}
