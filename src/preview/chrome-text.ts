import { acceptedLanguages } from '../domain/accept-language.js';
import { isRtl, negotiateLocale } from '../domain/locale.js';
import { createMessages, type Catalog, type Messages } from '../render/messages.js';
import { localeCatalogsWithBuiltIn } from '../render/template-files.js';

/** The preview's own words in one language, and its direction. */
export interface ChromeText {
  lang: string;
  dir: 'ltr' | 'rtl';
  t(key: string, values?: Record<string, unknown>): string;
}

/**
 * The preview's chrome (its controls, headings, the review panel, sign-in) speaks the editor's
 * browser language (`Accept-Language`) where a locale file has its words (`preview_…` keys in
 * templates/locales/<locale>.json, the operator's over the service's own), else English. The
 * email it shows keeps the reader's language: that is what is previewed.
 */
export class PreviewLanguages {
  private catalogs?: Record<string, Catalog>;
  private available: string[] = [];
  private readonly messages = new Map<string, Messages>();

  /** `templatesDir`: the operator's templates; undefined: the service's own locale files alone. */
  constructor(private readonly templatesDir: string | undefined) {}

  private load(): Record<string, Catalog> {
    if (this.catalogs) return this.catalogs;
    const { catalogs: merged, builtIn, own } = localeCatalogsWithBuiltIn(this.templatesDir);
    // Only a language whose own file has the preview's words is offered (else English would stand in anyway).
    this.available = Object.keys(merged).filter((l) => l === 'en' || Object.keys({ ...builtIn[l], ...own[l] }).some((k) => k.startsWith('preview_')));
    return (this.catalogs = merged);
  }

  /** The words for a browser's Accept-Language. */
  for(acceptLanguage: string | undefined): ChromeText {
    const catalogs = this.load();
    let lang = 'en';
    for (const tag of acceptedLanguages(acceptLanguage)) {
      if (tag === '*') break;
      const hit = negotiateLocale(tag, this.available, '');
      if (hit) {
        lang = hit;
        break;
      }
    }
    let messages = this.messages.get(lang);
    if (!messages) this.messages.set(lang, (messages = createMessages(lang, catalogs, 'en', (l) => `templates/locales/${l}.json`)));
    return { lang, dir: isRtl(lang) ? 'rtl' : 'ltr', t: messages.t };
  }
}

/** English, for pages made without a request (and tests). */
export const ENGLISH: ChromeText = new PreviewLanguages(undefined).for('en');
