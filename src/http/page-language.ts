import type { Context } from 'hono';
import { fileURLToPath } from 'node:url';
import type { NewsletterConfig } from '../config/schema.js';
import { languageFromHeader } from '../domain/accept-language.js';
import { isRtl, negotiateLocale } from '../domain/locale.js';
import { createMessages, type Catalog } from '../render/messages.js';
import { readLocaleCatalogs } from '../render/template-files.js';

/** The words of a page in one language, and its direction. */
export interface PageText {
  lang: string;
  dir: 'ltr' | 'rtl';
  t(key: string, values?: Record<string, unknown>): string;
}

/** The locales shipped with the service (this package's templates/locales), under the operator's. */
const BUILT_IN = fileURLToPath(new URL('../../templates', import.meta.url));

/**
 * The service's pages speak the reader's language, from the same ICU locale files as the mails
 * (`page_…` keys). The catalogues are read once, when the HTTP app is made (the preview re-reads
 * its own). A key the operator's locale files lack (an older copy of templates/) comes from
 * the service's own files, so a page never fails for a missing string.
 */
export class PageLanguages {
  private catalogs?: Record<string, Catalog>;
  private localeFile?: (l: string) => string;

  constructor(private readonly templatesDir: string) {}

  private load(): void {
    if (this.catalogs) return;
    const builtIn = readLocaleCatalogs(BUILT_IN).catalogs;
    const own = readLocaleCatalogs(this.templatesDir);
    const merged: Record<string, Catalog> = {};
    // English last of all: a language the service does not ship still gets every page's words.
    for (const locale of new Set([...Object.keys(builtIn), ...Object.keys(own.catalogs)])) merged[locale] = { ...builtIn.en, ...builtIn[locale], ...own.catalogs[locale] };
    this.catalogs = merged;
    this.localeFile = own.localeFile;
  }

  /**
   * A page about `newsletter`, in the first of: the language asked for explicitly (`?lang=`),
   * the reader's own (a token's subscriber), the browser's (`Accept-Language`), the newsletter's
   * default; each negotiated against the newsletter's locales (`fr-CA` → `fr`).
   */
  for(c: Context, newsletter: NewsletterConfig, choices: { explicit?: string; reader?: string } = {}): PageText {
    this.load();
    const { supported, default: fallback } = newsletter.locales;
    const pick = (tag: string | undefined) => (tag ? negotiateLocale(tag, supported, '') || undefined : undefined);
    const lang = pick(choices.explicit) ?? pick(choices.reader) ?? languageFromHeader(c.req.header('accept-language'), supported) ?? fallback;
    const messages = createMessages(lang, this.catalogs!, fallback, this.localeFile!);
    return { lang, dir: isRtl(lang) ? 'rtl' : 'ltr', t: messages.t };
  }
}
