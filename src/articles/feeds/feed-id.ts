/**
 * Stable article ids for feed items (DESIGN: the guid, else the URL, else a content hash). The
 * same item gives the same id on every run, so an article is never sent twice in a newsletter.
 */
import { createHash } from 'node:crypto';

const MAX_ID_LENGTH = 500;

/** An http(s) URL resolved against `base`, or undefined. */
export function httpUrl(href: string | undefined, base?: string): string | undefined {
  const s = href?.trim();
  if (!s) return undefined;
  try {
    const u = new URL(s, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL without its fragment and without utm_* tracking parameters, so that the same page
 * shared with different campaign tags has one id. Other parameters keep their order and spelling.
 */
export function canonicalUrl(href: string | undefined, base?: string): string | undefined {
  const url = httpUrl(href, base);
  if (!url) return undefined;
  const u = new URL(url);
  u.hash = '';
  const kept = u.search
    .slice(1)
    .split('&')
    .filter((part) => part !== '' && !/^utm_/i.test(safeDecode(part.split('=')[0]!)));
  u.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return u.href;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** `sha256:<hex>` of the item's title and text: the id of an item with neither guid nor URL. */
export function contentHashId(title: string, paragraphs: readonly string[]): string {
  return `sha256:${createHash('sha256').update([title, ...paragraphs].join('\n')).digest('hex')}`;
}

/**
 * A guid as an id: Unicode-normalised, without control characters or runs of white space; an
 * absurdly long one is replaced by its hash. Undefined when nothing is left.
 */
export function safeId(raw: string | undefined): string | undefined {
  const s = raw
    ?.normalize('NFC')
    // Cc (C0 and C1 controls) and the line and paragraph separators.
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!s) return undefined;
  return s.length > MAX_ID_LENGTH ? `sha256:${createHash('sha256').update(s).digest('hex')}` : s;
}
