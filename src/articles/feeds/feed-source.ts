/**
 * A feed source of a newsletter (config `{ type: feed, url }` or `{ type: feed, file }`): the
 * articles of one RSS, Atom or JSON feed, fetched over HTTP(S) through the fetch cache or read
 * from a local file. A broken feed is reported and gives no articles; it never throws, so the
 * newsletter's other sources still count.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseFeed, type FeedResult } from './parse-feed.js';
import { fetchFeed, FEED_FETCH_DEFAULTS, type FetchFeedOptions } from './fetch-feed.js';
import { decodeFeedBytes } from './feed-text.js';

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
  if (file) return readFeedFile(resolve(options.baseDir, file), options.maxBytes ?? FEED_FETCH_DEFAULTS.maxBytes, options.notices ?? []);
  return failed('feed source', 'give the feed\'s "url" or its "file"');
}

function readFeedFile(path: string, maxBytes: number, notices: readonly RegExp[]): FeedResult {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > maxBytes) return failed(path, `the feed file is larger than ${maxBytes} bytes (${size}); not read`);
    bytes = readFileSync(path);
  } catch (e) {
    return failed(path, `cannot read the feed file: ${(e as Error).message}`);
  }
  return parseFeed(decodeFeedBytes(bytes), path, { notices });
}

function failed(place: string, message: string): FeedResult {
  return { articles: [], problems: [{ place, message }] };
}
