import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchFeed } from '../../src/articles/feeds/fetch-feed.js';
import { feedCacheFile } from '../../src/articles/feeds/feed-cache.js';
import { readFeedSource } from '../../src/articles/feeds/feed-source.js';
import type { Clock } from '../../src/domain/types.js';
import { fixedClock } from '../helpers/app.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/feeds/', import.meta.url));
const REAL = join(FIXTURES, 'real');
const RSS = readFileSync(join(FIXTURES, 'rss.xml'));
const ATOM = readFileSync(join(FIXTURES, 'atom.xml'));
const clock: Clock = { now: () => new Date('2026-11-05T12:00:00Z') };

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

interface TestServer {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0; it records each request's path and headers. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('feeds over HTTP', () => {
  let dir: string;
  let cacheDir: string;
  const cleanups: (() => Promise<void> | void)[] = [];
  const server = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> => {
    const s = await serve(handler);
    cleanups.push(() => s.close());
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-feeds-'));
    cacheDir = join(dir, 'cache');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('fetchFeed', () => {
    it('sends If-None-Match after a 200 with an ETag and takes the articles from the cache on 304', async () => {
      const s = await server((req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: '"v1"' }).end(RSS);
      });
      const url = `${s.base}/feed.xml`;
      const first = await fetchFeed(url, { cacheDir, clock });
      expect(first.problems).toEqual([]);
      expect(first.fromCache).toBe(false);
      expect(first.articles.map((a) => a.id)).toEqual(['gazette-2026-1103-ferry', 'https://gazette.example.org/news/lighthouse-open-day']);
      expect(first.articles.every((a) => a.origin === url)).toBe(true);

      const second = await fetchFeed(url, { cacheDir, clock });
      expect(s.seen.map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"']);
      expect(second).toEqual({ articles: first.articles, problems: [], fromCache: true });

      const entry = JSON.parse(readFileSync(feedCacheFile(cacheDir, url), 'utf8'));
      expect(entry).toMatchObject({ url, etag: '"v1"', fetchedAt: '2026-11-05T12:00:00.000Z' });
      expect(entry.articles).toEqual(first.articles);
      expect(readdirSync(cacheDir)).toEqual([feedCacheFile(cacheDir, url).slice(cacheDir.length + 1)]);
    });

    it('sends If-Modified-Since after a 200 with Last-Modified and honours the 304', async () => {
      const lastModified = 'Wed, 04 Nov 2026 08:00:00 GMT';
      const s = await server((req, res) => {
        if (req.headers['if-modified-since'] === lastModified) {
          res.writeHead(304).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/atom+xml', 'last-modified': lastModified }).end(ATOM);
      });
      const url = `${s.base}/atom.xml`;
      const first = await fetchFeed(url, { cacheDir, clock });
      expect(first.articles).toHaveLength(2);
      const second = await fetchFeed(url, { cacheDir, clock });
      expect(s.seen.map((r) => r.headers['if-modified-since'])).toEqual([undefined, lastModified]);
      expect(s.seen[1]!.headers['if-none-match']).toBeUndefined();
      expect(second.fromCache).toBe(true);
      expect(second.articles).toEqual(first.articles);
    });

    it('a changed feed (200 again) replaces the cached copy', async () => {
      let version = 1;
      const s = await server((_req, res) => {
        res.writeHead(200, { etag: `"v${version}"` }).end(version === 1 ? RSS : ATOM);
      });
      const url = `${s.base}/feed`;
      await fetchFeed(url, { cacheDir, clock });
      version = 2;
      const second = await fetchFeed(url, { cacheDir, clock });
      expect(s.seen[1]!.headers['if-none-match']).toBe('"v1"');
      expect(second.fromCache).toBe(false);
      expect(second.articles[0]!.id).toBe('tag:carnet.example.net,2026-11-02:/quais-maree');
      expect(JSON.parse(readFileSync(feedCacheFile(cacheDir, url), 'utf8')).etag).toBe('"v2"');
    });

    it('follows a chain of redirects within the bound', async () => {
      const s = await server((req, res) => {
        const hops: Record<string, string> = { '/a': '/b', '/b': `http://127.0.0.1:${req.socket.localPort}/c`, '/c': 'd' };
        const next = hops[req.url ?? ''];
        if (next) res.writeHead(req.url === '/b' ? 301 : 307, { location: next }).end();
        else if (req.url === '/d') res.writeHead(200).end(RSS);
        else res.writeHead(404).end();
      });
      const result = await fetchFeed(`${s.base}/a`, { cacheDir });
      expect(result.problems).toEqual([]);
      expect(result.articles).toHaveLength(2);
      expect(result.articles[0]!.origin).toBe(`${s.base}/a`);
      expect(s.seen.map((r) => r.path)).toEqual(['/a', '/b', '/c', '/d']);
    });

    it('reports a redirect loop', async () => {
      const s = await server((req, res) => {
        res.writeHead(302, { location: req.url === '/one' ? '/two' : '/one' }).end();
      });
      const result = await fetchFeed(`${s.base}/one`, { cacheDir });
      expect(result.articles).toEqual([]);
      expect(result.problems).toEqual([{ place: `${s.base}/one`, message: `redirect loop: ${s.base}/two leads back to ${s.base}/one` }]);
      expect(s.seen).toHaveLength(2);
    });

    it('reports more redirects than the bound, and a redirect to another scheme', async () => {
      const s = await server((req, res) => {
        const n = Number(req.url?.slice(1));
        if (req.url === '/ftp') res.writeHead(301, { location: 'ftp://127.0.0.1/feed' }).end();
        else res.writeHead(301, { location: `/${n + 1}` }).end();
      });
      const far = await fetchFeed(`${s.base}/0`, { cacheDir, maxRedirects: 2 });
      expect(far.problems).toEqual([{ place: `${s.base}/0`, message: `more than 2 redirects (last to ${s.base}/3)` }]);
      expect(s.seen.map((r) => r.path)).toEqual(['/0', '/1', '/2']);
      const ftp = await fetchFeed(`${s.base}/ftp`, { cacheDir });
      expect(ftp.problems[0]!.message).toMatch(/not an http or https URL/);
    });

    it('stops reading a 20 MB response at the size cap and reports it', async () => {
      const total = 20 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      let closed!: Promise<void>;
      const s = await server((_req, res) => {
        closed = new Promise((resolve) => res.on('close', () => resolve()));
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><description>');
        // Writes as fast as the client reads (backpressure), never the whole 20 MB at once.
        const pump = (): void => {
          while (sent < total && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end('</description></channel></rss>');
        };
        pump();
      });
      const result = await fetchFeed(`${s.base}/huge.xml`, { cacheDir });
      expect(result.articles).toEqual([]);
      expect(result.problems).toEqual([{ place: `${s.base}/huge.xml`, message: 'response larger than 5242880 bytes; reading stopped there' }]);
      await closed;
      expect(sent).toBeLessThan(total);
    });

    it('refuses a body whose Content-Length is over the cap without reading it', async () => {
      const s = await server((_req, res) => {
        res.writeHead(200, { 'content-length': String(20 * 1024 * 1024) });
        res.write('<rss version="2.0">');
      });
      const result = await fetchFeed(`${s.base}/declared.xml`, { cacheDir, maxBytes: 1000 });
      expect(result.problems[0]!.message).toBe('response larger than 1000 bytes (Content-Length 20971520); not read');
    });

    it('reports a server that does not answer within the time limit', async () => {
      const s = await server(() => {
        // never answers; afterEach closes the connection
      });
      const result = await fetchFeed(`${s.base}/slow.xml`, { cacheDir, timeoutMs: 300 });
      expect(result).toEqual({ articles: [], problems: [{ place: `${s.base}/slow.xml`, message: 'no complete answer within 300 ms (timed out)' }], fromCache: false });
    });

    it('reports a server that stops in the middle of the body within the time limit', async () => {
      const s = await server((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
      });
      const result = await fetchFeed(`${s.base}/stalled.xml`, { cacheDir, timeoutMs: 300 });
      expect(result.problems[0]!.message).toMatch(/timed out/);
    });

    it('reports a 500, a 404 and a refused connection, and keeps the cached copy untouched', async () => {
      const s = await server((req, res) => {
        res.writeHead(req.url === '/missing' ? 404 : 500).end('oops');
      });
      expect((await fetchFeed(`${s.base}/feed`, { cacheDir })).problems).toEqual([{ place: `${s.base}/feed`, message: 'HTTP 500 Internal Server Error' }]);
      expect((await fetchFeed(`${s.base}/missing`, { cacheDir })).problems).toEqual([{ place: `${s.base}/missing`, message: 'HTTP 404 Not Found' }]);
      const gone = await serve(() => undefined);
      await gone.close();
      const refused = await fetchFeed(`${gone.base}/feed`, { cacheDir });
      expect(refused.problems[0]!.message).toMatch(/^cannot fetch: ECONNREFUSED/);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('refuses URLs that are not http(s) without any request', async () => {
      const calls: unknown[] = [];
      const fetchImpl = (async (...args: unknown[]) => {
        calls.push(args);
        throw new Error('not expected');
      }) as typeof fetch;
      for (const url of ['file:///etc/passwd', 'ftp://x.org/feed', 'not a url']) {
        const r = await fetchFeed(url, { cacheDir, fetchImpl });
        expect(r.problems).toEqual([{ place: url, message: 'not an http or https URL; only those are fetched' }]);
      }
      expect(calls).toEqual([]);
    });
  });

  describe('undated items keep the time they were first seen, across runs', () => {
    it('over HTTP: a real RSS 0.91 feed, fetched again with and without changes, and answered 304', async () => {
      // WriteTheWeb, the RSS 0.91 sample: items with no date at all.
      const original = readFileSync(join(REAL, 'feed-rs', 'rss_0.91_spec_1.xml'), 'latin1');
      const withNewItem = original.replace(
        '<item>',
        '<item><title>A third story</title><link>http://writetheweb.com/read.php?item=25</link><description>New today.</description></item>\n        <item>',
      );
      let body = original;
      const s = await server((req, res) => {
        const etag = `"${body.length}"`;
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
        res.writeHead(200, { 'content-type': 'text/xml', etag }).end(Buffer.from(body, 'latin1'));
      });
      const url = `${s.base}/rss091.xml`;
      const times = (r: { articles: { url?: string; publishedAt: string }[] }) => Object.fromEntries(r.articles.map((a) => [a.url, a.publishedAt]));
      const run = fixedClock('2026-11-05T12:00:00Z');

      const first = await fetchFeed(url, { cacheDir, clock: run });
      expect(first.problems).toEqual([]);
      expect(times(first)).toEqual({ 'http://writetheweb.com/read.php?item=24': '2026-11-05T12:00:00.000Z', 'http://writetheweb.com/read.php?item=23': '2026-11-05T12:00:00.000Z' });

      run.set('2026-11-06T12:00:00Z');
      const unchanged = await fetchFeed(url, { cacheDir, clock: run });
      expect(unchanged.fromCache).toBe(true);
      expect(times(unchanged)).toEqual(times(first));

      run.set('2026-11-07T12:00:00Z');
      body = withNewItem;
      const changed = await fetchFeed(url, { cacheDir, clock: run });
      expect(changed.fromCache).toBe(false);
      expect(times(changed)).toEqual({ 'http://writetheweb.com/read.php?item=25': '2026-11-07T12:00:00.000Z', ...times(first) });

      expect(JSON.parse(readFileSync(feedCacheFile(cacheDir, url), 'utf8')).firstSeen).toEqual(times(changed));
    });

    it('from a file: the times are kept in the cache folder, keyed by the file', async () => {
      mkdirSync(join(dir, 'feeds'));
      copyFileSync(join(REAL, 'feed-rs', 'rss_0.91_encoding_2.xml'), join(dir, 'feeds', 'tjrs.xml'));
      const run = fixedClock('2026-11-05T12:00:00Z');
      const first = await readFeedSource({ file: 'feeds/tjrs.xml' }, { cacheDir, baseDir: dir, clock: run });
      expect(first.problems).toEqual([]);
      expect(first.articles.map((a) => [a.title, a.publishedAt])).toEqual([
        ['13/08/2020 21:27 - Comitê completa 150 dias de atuação na prevenção contra o novo Coronavírus', '2026-11-05T12:00:00.000Z'],
      ]);
      run.set('2026-11-09T12:00:00Z');
      const second = await readFeedSource({ file: 'feeds/tjrs.xml' }, { cacheDir, baseDir: dir, clock: run });
      expect(second.articles.map((a) => a.publishedAt)).toEqual(['2026-11-05T12:00:00.000Z']);
      expect(readdirSync(cacheDir)).toHaveLength(1);
    });

    it('reports a cache folder it cannot write, and still gives the articles', async () => {
      mkdirSync(join(dir, 'feeds'));
      copyFileSync(join(REAL, 'feed-rs', 'rss_0.91_spec_1.xml'), join(dir, 'feeds', 'wtw.xml'));
      const blocked = join(dir, 'not-a-folder');
      writeFileSync(blocked, 'a file where the cache folder should be');
      const r = await readFeedSource({ file: 'feeds/wtw.xml' }, { cacheDir: blocked, baseDir: dir, clock });
      expect(r.articles).toHaveLength(2);
      expect(r.problems).toEqual([{ place: join(dir, 'feeds', 'wtw.xml'), message: expect.stringMatching(/first-seen times .* cannot be kept in .*not-a-folder.*count as new on the next run$/) }]);
    });
  });

  describe('the charset of a fetched feed', () => {
    it('a real ISO-8859-1 feed served without a charset is read by its declaration (Mail Online, node-feedparser)', async () => {
      const s = await server((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(readFileSync(join(REAL, 'node-feedparser', 'mediacontent-dupes.xml')));
      });
      const r = await fetchFeed(`${s.base}/dm.xml`, { cacheDir, clock });
      expect(r.problems).toEqual([]);
      expect(r.articles[0]!.title).toMatch(/^Could the infamous Black Dahlia case be about to be solved\?/);
      expect(r.articles[0]!.lang).toBe('en-GB');
    });

    it('a server that transcoded a Latin-1 feed to UTF-8 without rewriting its declaration: the header, or a byte order mark, wins', async () => {
      // Dicas-L's RSS 0.91 feed declares ISO-8859-1; here it arrives as UTF-8.
      const transcoded = Buffer.from(readFileSync(join(REAL, 'feed-rs', 'rss_0.91_encoding_1.xml'), 'latin1'), 'utf8');
      const s = await server((req, res) => {
        if (req.url === '/header') res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' }).end(transcoded);
        // A byte order mark is part of the bytes: it beats a header that got the charset wrong.
        else res.writeHead(200, { 'content-type': 'text/xml; charset=ISO-8859-1' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), transcoded]));
      });
      for (const path of ['/header', '/bom']) {
        const r = await fetchFeed(`${s.base}${path}`, { cacheDir, clock });
        expect(r.problems, path).toEqual([]);
        expect(
          r.articles.map((a) => a.title),
          path,
        ).toEqual(['bash - Expansão de Parâmetros']);
      }
    });
  });

  describe('readFeedSource', () => {
    it('a broken source does not stop a good one', async () => {
      const s = await server((req, res) => {
        if (req.url === '/good.xml') res.writeHead(200).end(RSS);
        else if (req.url === '/page') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Moved</body></html>');
        else res.writeHead(500).end();
      });
      const options = { cacheDir, baseDir: dir, timeoutMs: 2000 };
      const broken = await readFeedSource({ url: `${s.base}/down.xml` }, options);
      const page = await readFeedSource({ url: `${s.base}/page` }, options);
      const good = await readFeedSource({ url: `${s.base}/good.xml` }, options);
      expect(broken).toEqual({ articles: [], problems: [{ place: `${s.base}/down.xml`, message: 'HTTP 500 Internal Server Error' }] });
      expect(page.articles).toEqual([]);
      expect(page.problems).toEqual([{ place: `${s.base}/page`, message: expect.stringContaining('it is an HTML page') }]);
      expect(good.problems).toEqual([]);
      expect(good.articles.map((a) => [a.id, a.origin])).toEqual([
        ['gazette-2026-1103-ferry', `${s.base}/good.xml`],
        ['https://gazette.example.org/news/lighthouse-open-day', `${s.base}/good.xml`],
      ]);
    });

    it('reads a feed file relative to the base folder; a missing or broken file is reported', async () => {
      mkdirSync(join(dir, 'feeds'));
      copyFileSync(join(FIXTURES, 'json-feed.json'), join(dir, 'feeds', 'tides.json'));
      copyFileSync(join(FIXTURES, 'bad', 'random.json'), join(dir, 'feeds', 'random.json'));
      const options = { cacheDir, baseDir: dir };
      const good = await readFeedSource({ file: 'feeds/tides.json' }, options);
      expect(good.problems).toEqual([]);
      expect(good.articles.map((a) => a.id)).toEqual(['https://tides.example.com/posts/spring-tides', 'neap-2026-11']);
      expect(good.articles.every((a) => a.origin === join(dir, 'feeds', 'tides.json'))).toBe(true);

      const missing = await readFeedSource({ file: 'feeds/nope.xml' }, options);
      expect(missing.articles).toEqual([]);
      expect(missing.problems).toEqual([{ place: join(dir, 'feeds', 'nope.xml'), message: expect.stringMatching(/^cannot read the feed file: ENOENT/) }]);
      const random = await readFeedSource({ file: 'feeds/random.json' }, options);
      expect(random.problems).toEqual([{ place: join(dir, 'feeds', 'random.json'), message: expect.stringContaining('not an RSS, Atom or JSON feed') }]);
      const big = await readFeedSource({ file: 'feeds/tides.json' }, { ...options, maxBytes: 100 });
      expect(big.problems[0]!.message).toMatch(/larger than 100 bytes/);
    });

    it('needs exactly one of url and file', async () => {
      const options = { cacheDir, baseDir: dir };
      expect((await readFeedSource({}, options)).problems).toEqual([{ place: 'feed source', message: 'give the feed\'s "url" or its "file"' }]);
      expect((await readFeedSource({ url: 'https://x.org/f', file: 'f.xml' }, options)).problems[0]!.message).toMatch(/either "url" or "file"/);
    });
  });
});
