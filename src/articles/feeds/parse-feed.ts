/**
 * parseFeed: the text of an RSS 2.0, RSS 1.0, Atom 1.0 or JSON Feed document → articles. Pure.
 * A document that is not a feed gives one problem and no articles; an item that cannot become an
 * article (a date that does not parse, a repeated id) is reported and skipped, and the other items
 * still count. An item without any date (RSS 0.91 and 0.92 have none) is dated by when it was
 * first seen, given by the caller (see ParseFeedOptions.firstSeen).
 */
import { parseFeed as parseAnyFeed, DetectError, MalformedError, type AnyFeed } from 'feedsmith';
import type { Article } from '../../domain/types.js';
import type { Problem } from '../../domain/errors.js';
import { excerpt } from '../excerpt.js';
import { isNoticeParagraph } from '../chrome.js';
import { feedEntries, type FeedEntry, type Text } from './feed-entries.js';
import { htmlParagraphs, plainLine, textParagraphs } from './feed-html.js';
import { parseFeedDate } from './feed-date.js';
import { canonicalUrl, contentHashId, httpUrl, safeId } from './feed-id.js';

export interface FeedResult {
  articles: Article[];
  problems: Problem[];
}

/** First-seen times of undated items, by article id (ISO 8601 UTC). */
export type FirstSeen = Record<string, string>;

export interface ParsedFeed extends FeedResult {
  /** The time each undated article of this document was dated with, by id: for the caller to keep. */
  firstSeen: FirstSeen;
}

export interface ParseFeedOptions {
  /** Extra page-chrome patterns (config `articles.noticePatterns`), compiled. */
  notices?: readonly RegExp[];
  /**
   * Dates items that have none. An undated item takes the time it was first seen: `known[id]`
   * from an earlier run, else `now`. It must be the same time on every run, not the time of each
   * run: an item re-dated "now" on every run would always be published after the slot and never
   * make an issue. Without this option (a pure parse has no clock) such items are reported and
   * skipped.
   */
  firstSeen?: { now: string; known: Readonly<FirstSeen> };
}

const TITLE_FROM_TEXT = 80;
/** Alt text taken from a media description is cut to this many characters: a video's description can run to pages. */
const ALT_LENGTH = 150;

/** Parses a feed document; `origin` (its URL or file) is each article's origin and each problem's place. */
export function parseFeed(text: string, origin: string, options: ParseFeedOptions = {}): ParsedFeed {
  const parsed = readDocument(text);
  if ('problem' in parsed) return { articles: [], problems: [{ place: origin, message: parsed.problem }], firstSeen: {} };
  const doc = feedEntries(parsed.feed);
  const base = httpUrl(doc.link, httpUrl(origin)) ?? httpUrl(origin);
  const articles: Article[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  const firstSeen: FirstSeen = {};
  doc.entries.forEach((entry, index) => {
    const made = toArticle(entry, index, origin, base, options.notices ?? [], options.firstSeen);
    if ('problem' in made) {
      problems.push({ place: origin, message: `${made.label}: ${made.problem}; skipped` });
      return;
    }
    const first = seen.get(made.article.id);
    if (first !== undefined) {
      problems.push({ place: origin, message: `${made.label}: duplicate id "${made.article.id}" (first used by ${first}); skipped` });
      return;
    }
    seen.set(made.article.id, made.label);
    articles.push(made.article);
    if (made.undated) firstSeen[made.article.id] = made.article.publishedAt;
  });
  return { articles, problems, firstSeen };
}

function readDocument(text: string): { feed: AnyFeed<string> } | { problem: string } {
  const src = typeof text === 'string' ? text.replace(/^\uFEFF/, '').trim() : '';
  if (src === '') return { problem: 'the document is empty, not a feed' };
  let feed: AnyFeed<string>;
  try {
    feed = parseAnyFeed(src);
  } catch (e) {
    if (e instanceof MalformedError) return { problem: `the feed's XML is malformed (${causeOf(e)}); no article read` };
    if (e instanceof DetectError) return { problem: `not an RSS, Atom or JSON feed (${describe(src)}); no article read` };
    return { problem: `the feed cannot be read: ${(e as Error).message}; no article read` };
  }
  // fast-xml-parser forgives a document cut off between two elements; a feed must end with its root.
  if (feed.format !== 'json' && !/<\/(?:[\w-]+:)?(?:rss|feed|rdf)\s*>(?:\s|<!--[\s\S]*?-->)*$/i.test(src)) {
    return { problem: 'the feed\'s XML is cut off or broken: it does not end with its closing root element; no article read' };
  }
  return { feed };
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message.split('\n')[0]!.slice(0, 160) : e.message;
}

function describe(src: string): string {
  if (/^(?:<!doctype html|<html[\s>])/i.test(src) || /<(?:head|body)[\s>]/i.test(src.slice(0, 2000))) return 'it is an HTML page';
  if (/^[[{]/.test(src)) {
    try {
      JSON.parse(src);
      return 'it is JSON without the JSON Feed "version", "title" and "items"';
    } catch {
      return 'it is neither XML nor valid JSON';
    }
  }
  return src.startsWith('<') ? 'the XML has no <rss>, <feed> or <rdf:RDF> root' : 'it is neither XML nor JSON';
}

type Made = { article: Article; label: string; undated: boolean } | { problem: string; label: string };

function paragraphsOf(t: Text | undefined, notices: readonly RegExp[]): string[] {
  if (!t) return [];
  return (t.html ? htmlParagraphs(t.value) : textParagraphs(t.value)).filter((p) => !isNoticeParagraph(p, notices));
}

/** A paragraph of prose rather than a heading, a credit or a "Read more" link. */
function isRealParagraph(p: string): boolean {
  return p.split(' ').length >= 6 || /[.!?…»"”)]$/.test(p);
}

function toArticle(entry: FeedEntry, index: number, origin: string, base: string | undefined, notices: readonly RegExp[], firstSeen: ParseFeedOptions['firstSeen']): Made {
  const url = httpUrl(entry.link, base);
  const paragraphs = paragraphsOf(entry.body, notices);
  const summary = paragraphsOf(entry.summary, notices).join(' ');
  const lead = paragraphs.find(isRealParagraph) ?? paragraphs[0] ?? '';
  const title = (entry.title ? plainLine(entry.title.value, entry.title.html) : '') || (lead ? excerpt(lead, TITLE_FROM_TEXT) : '');
  const label = title ? `item "${excerpt(title, 60)}"${url ? ` (${url})` : ''}` : url ? `item ${url}` : `item ${index + 1}`;
  if (!title) return { label, problem: 'has no title and no text' };
  const id = safeId(entry.guid) ?? canonicalUrl(entry.link, base) ?? contentHashId(title, paragraphs);
  const undated = entry.date === undefined || entry.date.trim() === '';
  let publishedAt: string | undefined;
  if (undated) {
    if (!firstSeen) return { label, problem: 'has no date (pubDate, published, updated or date_published)' };
    publishedAt = firstSeen.known[id] ?? firstSeen.now;
  } else {
    publishedAt = parseFeedDate(entry.date);
    if (!publishedAt) return { label, problem: `date "${entry.date?.slice(0, 80)}" does not parse` };
  }
  const imageUrl = httpUrl(entry.image?.url, base);
  const author = entry.author ? plainLine(entry.author, true) : '';
  return {
    label,
    undated,
    article: {
      id,
      title,
      ...(url ? { url } : {}),
      publishedAt,
      ...(language(entry.lang) ? { lang: language(entry.lang) } : {}),
      topics: entry.topics.map((t) => plainLine(t, true)).filter(Boolean),
      excerpt: excerpt(summary || lead),
      paragraphs,
      ...(author ? { author } : {}),
      ...(imageUrl ? { image: { url: imageUrl, alt: entry.image?.alt ? excerpt(plainLine(entry.image.alt, true), ALT_LENGTH) : '' } } : {}),
      origin,
    },
  };
}

/** A BCP 47 tag in canonical case ("en-GB"), or undefined when the feed's value is not one. */
function language(raw: string | undefined): string | undefined {
  const s = raw?.trim().replace(/_/g, '-');
  if (!s) return undefined;
  try {
    return Intl.getCanonicalLocales(s)[0];
  } catch {
    return undefined;
  }
}
