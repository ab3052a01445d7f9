import type { Article, Issue, IssueArticle } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import { isRtl } from '../domain/locale.js';
import { textDirection } from '../domain/bidi.js';
import { READER_FIELDS, sentinel } from './reader-fill.js';
import { forLocale } from '../domain/review.js';
import { noteHtml } from './editor-note.js';

function noteFor(issue: Issue, locale: string, fallback: string): string | null {
  const text = forLocale(issue.review?.note, locale, fallback);
  return text ? noteHtml(text) : null;
}

export interface ArticleView {
  id: string;
  title: string;
  url: string;
  date: string;
  excerpt: string;
  author: string | null;
  image: { url: string; alt: string } | null;
  lang: string | null;
  /** The article's own writing direction, so an English story reads right in an Arabic issue ('auto' only for text without letters). */
  textDir: 'ltr' | 'rtl' | 'auto';
  /** The side the article's card is aligned to: its own start side (the reader's when its language is unknown). */
  align: 'left' | 'right';
}

export interface IssueView {
  lang: string;
  dir: 'ltr' | 'rtl';
  align: 'left' | 'right';
  newsletter: { id: string; name: string; postalAddress: string };
  issue: { id: number; date: string; count: number };
  lead: ArticleView | null;
  articles: ArticleView[];
  /** The editor's note for this locale as HTML (render/editor-note.ts), or null. */
  note: string | null;
  /** A welcome mail's words (pipeline.ts), or null in the issue itself. */
  welcome: { intro: string; archive: string; archiveUrl: string } | null;
  links: { viewInBrowser: string };
  /** Per-reader values stand here as sentinels; `reader-fill` puts the real values in. */
  reader: Record<(typeof READER_FIELDS)[number], string>;
}

export function articleUrl(publicUrl: string, newsletterId: string, articleId: string): string {
  return `${publicUrl}/archive/${encodeURIComponent(newsletterId)}/articles/${encodeURIComponent(articleId)}`;
}

export function issueUrl(publicUrl: string, newsletterId: string, issueId: number, locale: string): string {
  return `${publicUrl}/archive/${encodeURIComponent(newsletterId)}/issues/${issueId}?lang=${encodeURIComponent(locale)}`;
}

/** The version of an article for a locale: its translation into that language, if any. */
export function articleFor(a: IssueArticle, locale: string): Article {
  const l = locale.toLowerCase();
  return a.translations[l] ?? a.translations[l.split('-')[0]!] ?? a;
}

/** Issue-level data for one locale (pure): everything but the reader's own values. */
export function buildIssueView(issue: Issue, newsletter: NewsletterConfig, locale: string, publicUrl: string, timezone?: string): IssueView {
  const rtl = isRtl(locale);
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: timezone || newsletter.timezone });
  const articles = issue.articles.map((ia): ArticleView => {
    const a = articleFor(ia, locale);
    // Unknown language: the text's first strong character decides, as dir="auto" would.
    const textDir = a.lang ? (isRtl(a.lang) ? 'rtl' : 'ltr') : (textDirection(`${a.title} ${a.excerpt}`) ?? 'auto');
    return {
      id: a.id,
      title: a.title,
      url: a.url ?? articleUrl(publicUrl, newsletter.id, ia.id),
      date: dateFmt.format(new Date(a.publishedAt)),
      excerpt: a.excerpt,
      author: a.author ?? null,
      // A picture that says nothing in words would be read out as its file name: the title stands in.
      image: a.image ? { url: a.image.url, alt: a.image.alt.trim() || a.title } : null,
      lang: a.lang ?? null,
      textDir,
      align: textDir === 'auto' ? (rtl ? 'right' : 'left') : textDir === 'rtl' ? 'right' : 'left',
    };
  });
  return {
    lang: locale,
    dir: rtl ? 'rtl' : 'ltr',
    align: rtl ? 'right' : 'left',
    newsletter: { id: newsletter.id, name: newsletter.name, postalAddress: newsletter.postalAddress },
    issue: { id: issue.id, date: dateFmt.format(new Date(issue.slot)), count: articles.length },
    lead: articles[0] ?? null,
    note: noteFor(issue, locale, newsletter.locales.default),
    welcome: null,
    articles: articles.slice(1),
    links: { viewInBrowser: issueUrl(publicUrl, newsletter.id, issue.id, locale) },
    reader: Object.fromEntries(READER_FIELDS.map((f) => [f, sentinel(f)])) as IssueView['reader'],
  };
}
