import { readdirSync, realpathSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Article } from '../domain/types.js';
import type { Problem } from '../domain/errors.js';
import { splitFrontMatter } from './front-matter.js';
import { excerpt, markdownParagraphs } from './excerpt.js';
import { looksScraped, parseScrapedPage } from './scraped-text.js';
import { isNoticeParagraph } from './chrome.js';
import { ARTICLE_MAX_BYTES, readFolderFile } from './folder-file.js';
import { parseDate } from '../domain/dates.js';

export interface SourceResult {
  articles: Article[];
  problems: Problem[];
}

const EXTENSIONS = new Set(['.md', '.markdown', '.txt']);

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
}

function strList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter((x): x is string => x !== undefined);
  const one = str(v);
  return one ? one.split(',').map((t) => t.trim()).filter(Boolean) : [];
}

/**
 * The front matter's `lang` as a canonical BCP 47 tag ("en-gb" gives "en-GB"), undefined when
 * absent. Anything else is refused here, at the boundary: the archive page and the renderer hand
 * the tag to Intl, which throws a RangeError on "en_US!!" or 42.
 */
function languageTag(v: unknown): string | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const given = typeof v === 'string' ? v.trim() : undefined;
  const canonical = given === undefined ? undefined : canonicalTag(given);
  if (canonical) return canonical;
  const hyphenated = given?.includes('_') ? canonicalTag(given.replace(/_/g, '-')) : undefined;
  const shown = typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v);
  throw new Error(`lang ${shown} is not a BCP 47 language tag; ${hyphenated ? `write "${hyphenated}"` : 'use a tag such as "en", "fr-CA" or "pt-BR"'}`);
}

function canonicalTag(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical;
  } catch {
    return undefined;
  }
}

function httpUrl(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one file's text into an article; throws with a reader-facing reason. */
export function parseArticleFile(text: string, fileName: string, notices: readonly RegExp[] = []): Article {
  const id0 = basename(fileName, extname(fileName));
  if (looksScraped(text)) {
    const page = parseScrapedPage(text);
    const paragraphs = page.paragraphs.filter((p) => !isNoticeParagraph(p, notices));
    if (paragraphs.length === 0) throw new Error('the page has a title but no body text');
    return {
      id: id0,
      title: page.title,
      publishedAt: parseDate(page.date) ?? (() => { throw new Error(`date "${page.date}" is not a calendar date`); })(),
      topics: [],
      excerpt: excerpt(paragraphs[0]!),
      paragraphs,
      origin: fileName,
    };
  }
  const { data, body } = splitFrontMatter(text);
  const title = str(data.title);
  if (!title) throw new Error('front matter has no "title"');
  if (data.date === undefined) throw new Error('front matter has no "date" (YYYY-MM-DD or ISO 8601 time)');
  const publishedAt = parseDate(data.date);
  if (!publishedAt) throw new Error(`date "${String(data.date)}" does not parse; use YYYY-MM-DD or an ISO 8601 time such as 2026-11-20T09:30:00Z`);
  const lang = languageTag(data.lang);
  if (data.url !== undefined && !httpUrl(data.url)) throw new Error(`url "${String(data.url)}" is not an http(s) URL`);
  const paragraphs = markdownParagraphs(body).filter((p) => !isNoticeParagraph(p, notices));
  const summary = str(data.summary);
  if (paragraphs.length === 0 && !summary) throw new Error('the article has no body and no summary');
  const imageUrl = httpUrl(data.image);
  return {
    id: str(data.id) ?? id0,
    title,
    url: httpUrl(data.url),
    publishedAt,
    lang,
    topics: strList(data.topics),
    excerpt: excerpt(summary ?? paragraphs[0]!),
    paragraphs,
    author: str(data.author),
    image: imageUrl ? { url: imageUrl, alt: str(data.imageAlt) ?? '' } : undefined,
    translationOf: str(data.translationOf),
    origin: fileName,
  };
}

export interface FolderSourceOptions {
  /** Config `articles.maxBytes`: a file over it is cut to it and reported (1 MiB). */
  maxBytes?: number;
}

/**
 * Reads every .md/.markdown/.txt file of a folder (not recursive). A file that fails to parse,
 * repeats an id already seen, or is a link leading out of the folder is reported and skipped; a
 * file over `maxBytes` is cut, reported and kept; the others still count.
 */
export function readFolderSource(dir: string, notices: readonly RegExp[] = [], options: FolderSourceOptions = {}): SourceResult {
  const maxBytes = options.maxBytes ?? ARTICLE_MAX_BYTES;
  const articles: Article[] = [];
  const problems: Problem[] = [];
  let names: string[];
  let realRoot: string;
  try {
    realRoot = realpathSync(dir);
    names = readdirSync(dir).filter((n) => EXTENSIONS.has(extname(n).toLowerCase()) && !n.startsWith('.')).sort();
  } catch (e) {
    problems.push({ place: dir, message: `cannot read the article folder: ${(e as Error).message}` });
    return { articles, problems };
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let cutNote = '';
    try {
      const read = readFolderFile(file, realRoot, maxBytes);
      if (read.kind === 'not-a-file') continue;
      if (read.kind === 'refused') {
        problems.push({ place: file, message: `${read.reason}; not followed, skipped` });
        continue;
      }
      if (read.cut) cutNote = `the file is ${read.cut.size} bytes, over articles.maxBytes (${maxBytes}); only its first ${read.cut.kept} bytes are used, the rest is ignored`;
      const article = parseArticleFile(read.text, file, notices);
      const first = seen.get(article.id);
      if (first) {
        problems.push({ place: file, message: `duplicate article id "${article.id}" (first used by ${first}); skipped` });
        continue;
      }
      seen.set(article.id, file);
      articles.push(article);
      if (cutNote) problems.push({ place: file, message: cutNote });
    } catch (e) {
      // A cut file may fail only because of the cut (front matter never closed): say both.
      problems.push({ place: file, message: `${(e as Error).message}${cutNote ? ` (${cutNote})` : ''}; skipped` });
    }
  }
  return { articles, problems };
}
