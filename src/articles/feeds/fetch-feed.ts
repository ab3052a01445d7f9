/**
 * fetchFeed: the I/O edge of feed sources. One GET with Node's fetch, bounded in every way a
 * remote server can hurt a run: a time limit for the whole exchange, a size cap on the body
 * (read as a stream and abandoned past the cap), a bounded number of redirects (followed by
 * hand, so that each hop is checked to be http(s) and a loop is seen), and conditional requests
 * (If-None-Match / If-Modified-Since) answered from the cache on 304. Whatever goes wrong becomes
 * a Problem naming the URL; this function does not throw.
 */
import type { Clock } from '../../domain/types.js';
import { systemClock } from '../../domain/types.js';
import type { Problem } from '../../domain/errors.js';
import { parseFeed, type FeedResult } from './parse-feed.js';
import { mergeFirstSeen, readFeedCache, writeFeedCache, type FeedCacheEntry } from './feed-cache.js';
import { decodeFeedBytes } from './feed-text.js';

export interface FetchFeedOptions {
  /** Folder of the fetch cache (one JSON file per feed URL). */
  cacheDir: string;
  /** Time limit for the whole exchange, redirects and body included (10 s). */
  timeoutMs?: number;
  /** Largest body read, in bytes (5 MB). */
  maxBytes?: number;
  /** Redirects followed before giving up (5). */
  maxRedirects?: number;
  /** Node's global fetch unless a test injects another. */
  fetchImpl?: typeof fetch;
  /** Extra page-chrome patterns (config `articles.noticePatterns`). */
  notices?: readonly RegExp[];
  clock?: Clock;
}

export interface FetchFeedResult extends FeedResult {
  /** True when the server answered 304 and the articles are the cached ones. */
  fromCache: boolean;
}

export const FEED_FETCH_DEFAULTS = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024, maxRedirects: 5 } as const;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

class FetchProblem extends Error {}

export async function fetchFeed(url: string, options: FetchFeedOptions): Promise<FetchFeedResult> {
  const timeoutMs = options.timeoutMs ?? FEED_FETCH_DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? FEED_FETCH_DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? FEED_FETCH_DEFAULTS.maxRedirects;
  const doFetch = options.fetchImpl ?? fetch;
  const clock = options.clock ?? systemClock;
  const fail = (message: string): FetchFeedResult => ({ articles: [], problems: [{ place: url, message }], fromCache: false });

  let current = webUrl(url);
  if (!current) return fail('not an http or https URL; only those are fetched');
  const cached = readFeedCache(options.cacheDir, url);
  const headers: Record<string, string> = { accept: ACCEPT, 'user-agent': 'newsletter-feed-reader/1 (+self-hosted digest)' };
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;

  const signal = AbortSignal.timeout(timeoutMs);
  const visited = new Set<string>([current.href]);
  try {
    for (let hop = 0; ; hop++) {
      const res = await doFetch(current, { headers, redirect: 'manual', signal });
      if (REDIRECTS.has(res.status)) {
        await discard(res);
        current = nextHop(current, res.headers.get('location'), res.status, visited, hop, maxRedirects);
        continue;
      }
      if (res.status === 304) {
        await discard(res);
        if (!cached) return fail(`answered 304 Not Modified${hop > 0 ? ` at ${current.href}` : ''} but nothing is cached for it`);
        return fromCache(options.cacheDir, cached, res, clock);
      }
      if (res.status < 200 || res.status > 299) {
        await discard(res);
        return fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${hop > 0 ? ` from ${current.href}` : ''}`);
      }
      const body = await readCapped(res, maxBytes);
      const now = clock.now().toISOString();
      const parsed = parseFeed(decodeFeedBytes(body, res.headers.get('content-type')), url, {
        notices: options.notices ?? [],
        firstSeen: { now, known: cached?.firstSeen ?? {} },
      });
      const problems: Problem[] = [...parsed.problems];
      try {
        writeFeedCache(options.cacheDir, {
          url,
          ...validators(res),
          fetchedAt: now,
          articles: parsed.articles,
          problems: parsed.problems,
          firstSeen: mergeFirstSeen(parsed.firstSeen, cached?.firstSeen),
        });
      } catch (e) {
        problems.push({ place: url, message: `the feed was read but cannot be cached in ${options.cacheDir}: ${(e as Error).message}` });
      }
      return { articles: parsed.articles, problems, fromCache: false };
    }
  } catch (e) {
    if (e instanceof FetchProblem) return fail(e.message);
    if (signal.aborted || (e as Error).name === 'TimeoutError') return fail(`no complete answer within ${timeoutMs} ms (timed out)`);
    return fail(`cannot fetch: ${networkReason(e)}`);
  }
}

function webUrl(href: string, base?: URL): URL | undefined {
  try {
    const u = new URL(href, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

function nextHop(from: URL, location: string | null, status: number, visited: Set<string>, hop: number, maxRedirects: number): URL {
  if (!location) throw new FetchProblem(`HTTP ${status} redirect from ${from.href} without a Location header`);
  const next = webUrl(location, from);
  if (!next) throw new FetchProblem(`redirect from ${from.href} to "${location.slice(0, 200)}", which is not an http or https URL`);
  if (visited.has(next.href)) throw new FetchProblem(`redirect loop: ${from.href} leads back to ${next.href}`);
  if (hop + 1 > maxRedirects) throw new FetchProblem(`more than ${maxRedirects} redirects (last to ${next.href})`);
  visited.add(next.href);
  return next;
}

function validators(res: Response): Pick<FeedCacheEntry, 'etag' | 'lastModified'> {
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

function fromCache(cacheDir: string, cached: FeedCacheEntry, res: Response, clock: Clock): FetchFeedResult {
  const problems = [...cached.problems];
  try {
    // A 304 may carry fresher validators; either way the copy is now confirmed as of this time.
    writeFeedCache(cacheDir, { ...cached, ...validators(res), fetchedAt: clock.now().toISOString() });
  } catch (e) {
    problems.push({ place: cached.url, message: `cannot update the cache in ${cacheDir}: ${(e as Error).message}` });
  }
  return { articles: cached.articles, problems, fromCache: true };
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // the connection is going away anyway
  }
}

/** The body, read chunk by chunk; past `maxBytes` the stream is cancelled and the fetch reported. */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(res);
    throw new FetchProblem(`response larger than ${maxBytes} bytes (Content-Length ${declared}); not read`);
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchProblem(`response larger than ${maxBytes} bytes; reading stopped there`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function networkReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? err.message ?? String(e);
}
