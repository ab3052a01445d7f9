import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feedCacheFile, FIRST_SEEN_LIMIT, mergeFirstSeen, readFeedCache, writeFeedCache } from '../../src/articles/feeds/feed-cache.js';

describe('mergeFirstSeen', () => {
  it('keeps the times of the items listed now, then earlier ones, newest first, up to the limit', () => {
    expect(mergeFirstSeen({ a: '2026-11-05T00:00:00.000Z' }, { a: '2026-01-01T00:00:00.000Z', b: '2026-11-01T00:00:00.000Z' })).toEqual({
      a: '2026-11-05T00:00:00.000Z',
      b: '2026-11-01T00:00:00.000Z',
    });
    const earlier = Object.fromEntries(Array.from({ length: FIRST_SEEN_LIMIT + 10 }, (_, i) => [`old-${i}`, new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString()]));
    const merged = mergeFirstSeen({ now: '2026-11-05T00:00:00.000Z' }, earlier);
    expect(Object.keys(merged)).toHaveLength(FIRST_SEEN_LIMIT);
    expect(merged.now).toBe('2026-11-05T00:00:00.000Z');
    // The oldest are the ones let go.
    expect(merged['old-0']).toBeUndefined();
    expect(merged[`old-${FIRST_SEEN_LIMIT + 9}`]).toBeDefined();
  });
});

describe('the first-seen times in the cache file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-feed-cache-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trip, and a damaged entry keeps only its well-formed times', () => {
    const url = 'https://x.example/feed';
    writeFeedCache(dir, { url, fetchedAt: '2026-11-05T12:00:00.000Z', articles: [], problems: [], firstSeen: { a: '2026-11-05T12:00:00.000Z' } });
    expect(readFeedCache(dir, url)?.firstSeen).toEqual({ a: '2026-11-05T12:00:00.000Z' });
    writeFileSync(
      feedCacheFile(dir, url),
      JSON.stringify({
        version: 1,
        url,
        fetchedAt: '2026-11-05T12:00:00.000Z',
        articles: [],
        problems: [],
        firstSeen: { a: '2026-11-05T12:00:00.000Z', b: 'yesterday', c: 42, d: '2026-02-30T00:00:00.000Z', e: '2026-11-05T12:00:00Z' },
      }),
    );
    expect(readFeedCache(dir, url)?.firstSeen).toEqual({ a: '2026-11-05T12:00:00.000Z' });
  });
});
