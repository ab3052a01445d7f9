/**
 * A feed source of a newsletter (config `{ type: feed, url }` or `{ type: feed, file }`): the
 * articles of one RSS, Atom or JSON feed, fetched over HTTP(S) through the fetch cache or read
 * from a local file. A broken feed is reported and gives no articles; it never throws, so the
 * newsletter's other sources still count.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../../domain/types.js';
import { parseFeed, type FeedResult } from './parse-feed.js';
import { fetchFeed, FEED_FETCH_DEFAULTS, type FetchFeedOptions } from './fetch-feed.js';
import { decodeFeedBytes } from './feed-text.js';
import { mergeFirstSeen, readFeedCache, writeFeedCache } from './feed-cache.js';

export interface FeedSource {
  url?: string;
  /** A feed file, relative to `baseDir` (the config file's folder). */
  file?: string;
}

/** The fetch's own options, plus the folder a `file` source is relative to. */
export type FeedSourceOptions = FetchFeedOptions & { baseDir: string };

export async function readFeedSource(source: FeedSource, options: FeedSourceOptions): Promise<FeedResult> {
  const url = source.url?.trim();
  const file = source.file?.trim();
  if (url && file) return failed(url, 'a feed source takes either "url" or "file", not both');
  if (url) {
    const { articles, problems } = await fetchFeed(url, options);
    return { articles, problems };
  }
  if (file) return readFeedFile(resolve(options.baseDir, file), options);
  return failed('feed source', 'give the feed\'s "url" or its "file"');
}

function readFeedFile(path: string, options: FeedSourceOptions): FeedResult {
  const maxBytes = options.maxBytes ?? FEED_FETCH_DEFAULTS.maxBytes;
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > maxBytes) return failed(path, `the feed file is larger than ${maxBytes} bytes (${size}); not read`);
    bytes = readFileSync(path);
  } catch (e) {
    return failed(path, `cannot read the feed file: ${(e as Error).message}`);
  }
  // A feed file has no HTTP cache, but its undated items need first-seen times kept like a URL's.
  const key = pathToFileURL(path).href;
  const cached = readFeedCache(options.cacheDir, key);
  const now = (options.clock ?? systemClock).now().toISOString();
  const parsed = parseFeed(decodeFeedBytes(bytes), path, { notices: options.notices ?? [], firstSeen: { now, known: cached?.firstSeen ?? {} } });
  const problems = [...parsed.problems];
  if (Object.keys(parsed.firstSeen).length > 0) {
    try {
      writeFeedCache(options.cacheDir, { url: key, fetchedAt: now, articles: parsed.articles, problems: parsed.problems, firstSeen: mergeFirstSeen(parsed.firstSeen, cached?.firstSeen) });
    } catch (e) {
      problems.push({ place: path, message: `the first-seen times of its undated items cannot be kept in ${options.cacheDir}: ${(e as Error).message}; they will count as new on the next run` });
    }
  }
  return { articles: parsed.articles, problems };
}

function failed(place: string, message: string): FeedResult {
  return { articles: [], problems: [{ place, message }] };
}
