import type { Context } from 'hono';
import type { NewsletterConfig } from '../config/schema.js';
import { languageFromHeader } from '../domain/accept-language.js';
import { isRtl, negotiateLocale } from '../domain/locale.js';
import { createMessages, type Catalog, type Messages } from '../render/messages.js';
import { localeCatalogsWithBuiltIn } from '../render/template-files.js';

/** The words of a page in one language, and its direction. */
export interface PageText {
  lang: string;
  dir: 'ltr' | 'rtl';
  t(key: string, values?: Record<string, unknown>): string;
}

/**
 * The service's pages speak the reader's language, from the same ICU locale files as the mails
 * (`page_…` keys). The catalogues are read once, at the first page (the preview re-reads its
 * own; a public server need not read files per request), and each language's formatted
 * messages are kept: at most one `Messages` per (language, default) pair the config names. A key
 * the operator's locale files lack (an older copy of templates/) comes from the service's own
 * files, so a page never fails for a missing string.
 */
export class PageLanguages {
  private catalogs?: Record<string, Catalog>;
  private localeFile?: (l: string) => string;
  private readonly messages = new Map<string, Messages>();

  constructor(
    private readonly templatesDir: string,
    private readonly newsletters: readonly NewsletterConfig[],
  ) {}

  private load(): Record<string, Catalog> {
    if (this.catalogs) return this.catalogs;
    const { catalogs, localeFile } = localeCatalogsWithBuiltIn(this.templatesDir);
    this.localeFile = localeFile;
    return (this.catalogs = catalogs);
  }

  private text(lang: string, fallback: string): PageText {
    const catalogs = this.load();
    const key = `${lang}\u0000${fallback}`;
    let messages = this.messages.get(key);
    if (!messages) this.messages.set(key, (messages = createMessages(lang, catalogs, fallback, this.localeFile!)));
    return { lang, dir: isRtl(lang) ? 'rtl' : 'ltr', t: messages.t };
  }

  /**
   * A page about `newsletter`, in the first of: the language asked for explicitly (`?lang=`),
   * the reader's own (a token's subscriber), the browser's (`Accept-Language`), the newsletter's
   * default; each negotiated against the newsletter's locales (`fr-CA` → `fr`, as `readerLocale`
   * does for the mails). A reader whose stored language the newsletter lacks (or who has none)
   * gets the browser's before the default.
   */
  for(c: Context, newsletter: NewsletterConfig, choices: { explicit?: string; reader?: string } = {}): PageText {
    const { supported, default: fallback } = newsletter.locales;
    const pick = (tag: string | undefined) => (tag ? negotiateLocale(tag, supported, '') || undefined : undefined);
    const lang = pick(choices.explicit) ?? pick(choices.reader) ?? languageFromHeader(c.req.header('accept-language'), supported) ?? fallback;
    return this.text(lang, fallback);
  }

  /** A page not tied to one newsletter (the sign-up form, a bad link, a 404): the browser's language among the first newsletter's. */
  browser(c: Context): PageText {
    return this.for(c, this.newsletters[0]!);
  }

  /** A page for the reader a token names, about one newsletter (the first one if the config no longer has it). */
  reader(c: Context, newsletterId: string, locale: string | undefined): PageText {
    return this.for(c, this.newsletters.find((n) => n.id === newsletterId) ?? this.newsletters[0]!, { reader: locale });
  }
}
