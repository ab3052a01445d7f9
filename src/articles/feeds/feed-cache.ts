/**
 * The HTTP cache of feed fetches: one JSON file per feed URL under the cache folder, named by
 * the URL's sha256, holding the validators (ETag, Last-Modified) of the last 200 and the
 * articles parsed from it, so that a 304 Not Modified gives the same articles without a download;
 * and the first-seen times of the feed's undated items, which must outlive any one response (a
 * feed file, which has no validators, keeps only these). Deleting the folder loses nothing sent:
 * an undated item then counts as new again, but the store still knows it was sent.
 * Files are written to a temporary name and renamed, so a crash never leaves half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Article } from '../../domain/types.js';
import type { Problem } from '../../domain/errors.js';
import type { FirstSeen } from './parse-feed.js';

export interface FeedCacheEntry {
  url: string;
  etag?: string;
  lastModified?: string;
  /** When the feed was last fetched or confirmed unchanged (ISO 8601 UTC). */
  fetchedAt: string;
  articles: Article[];
  /** The items of that response that were reported and skipped; they are reported again on a 304. */
  problems: Problem[];
  /** When each undated item (by article id) was first seen; see mergeFirstSeen. */
  firstSeen?: FirstSeen;
}

const VERSION = 1;

export function feedCacheFile(cacheDir: string, url: string): string {
  return join(cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`);
}

/** The cached fetch of `url`, or undefined when there is none or the file is unreadable. */
export function readFeedCache(cacheDir: string, url: string): FeedCacheEntry | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(feedCacheFile(cacheDir, url), 'utf8'));
  } catch {
    return undefined;
  }
  const e = data as Partial<FeedCacheEntry> & { version?: unknown };
  if (e.version !== VERSION || e.url !== url || !Array.isArray(e.articles) || typeof e.fetchedAt !== 'string') return undefined;
  return {
    url,
    ...(typeof e.etag === 'string' ? { etag: e.etag } : {}),
    ...(typeof e.lastModified === 'string' ? { lastModified: e.lastModified } : {}),
    fetchedAt: e.fetchedAt,
    articles: e.articles,
    problems: Array.isArray(e.problems) ? e.problems : [],
    ...(e.firstSeen !== undefined ? { firstSeen: validFirstSeen(e.firstSeen) } : {}),
  };
}

function validFirstSeen(value: unknown): FirstSeen {
  const out: FirstSeen = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [id, at] of Object.entries(value)) {
    // Written by toISOString(), so anything else was not written by us.
    if (typeof at === 'string' && isCanonicalTime(at)) out[id] = at;
  }
  return out;
}

function isCanonicalTime(s: string): boolean {
  const t = new Date(s);
  return !Number.isNaN(t.getTime()) && t.toISOString() === s;
}

/** How many first-seen times a feed keeps: far more than any feed lists at once. */
export const FIRST_SEEN_LIMIT = 1000;

/**
 * The first-seen times to keep after a fetch: those of the items the feed lists now, then the
 * earlier ones, newest first, up to FIRST_SEEN_LIMIT. Earlier ones are kept because an item can
 * drop out of a feed that lists only its latest few and come back; it must come back with its
 * old time, not as new.
 */
export function mergeFirstSeen(current: Readonly<FirstSeen>, earlier: Readonly<FirstSeen> | undefined): FirstSeen {
  const merged: FirstSeen = { ...current };
  const rest = Object.entries(earlier ?? {})
    .filter(([id]) => !(id in merged))
    .sort(([, a], [, b]) => (a < b ? 1 : a > b ? -1 : 0));
  for (const [id, at] of rest) {
    if (Object.keys(merged).length >= FIRST_SEEN_LIMIT) break;
    merged[id] = at;
  }
  return merged;
}

/** Writes the entry atomically (temporary file + rename). Throws when the folder is not writable. */
export function writeFeedCache(cacheDir: string, entry: FeedCacheEntry): void {
  mkdirSync(cacheDir, { recursive: true });
  const file = feedCacheFile(cacheDir, entry.url);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify({ version: VERSION, ...entry }, null, 1)}\n`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
