import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

describe('feeds as newsletter sources', () => {
  let project: TestProject | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    project?.cleanup();
  });

  it('an issue takes folder and feed articles together; a broken feed is reported and the rest still make the issue', async () => {
    const rss = readFileSync(join(REPO, 'test/fixtures/feeds/rss.xml'));
    let hits = 0;
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/feed.xml') {
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: '"v1"' });
        res.end(rss);
      } else {
        res.writeHead(500);
        res.end('broken');
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    project = makeProject({
      config: (y) =>
        y.replace(
          '      - type: folder\n        path: articles',
          `      - type: folder\n        path: articles\n      - type: feed\n        url: ${base}/feed.xml\n      - type: feed\n        url: ${base}/down.xml\n        timeout: 5s`,
        ),
    });
    const listed = await runCli(['articles', '--json', '--config', project.configFile, '--at', '2026-11-28T15:00:00Z']);
    expect(listed.code, listed.stderr).toBe(0);
    const [r] = JSON.parse(listed.stdout) as { taken: { id: string; title: string }[]; invalid: { place: string; message: string }[] }[];
    const titles = r!.taken.map((a) => a.title);
    expect(titles).toContain('Lighthouse open day draws record crowd');
    expect(titles).toContain('Automated ports are quietly rewriting global shipping'); // the folder still counts
    expect(titles.some((t) => t.includes('<b>'))).toBe(false); // feed HTML never reaches a title
    expect(r!.invalid.some((p) => p.place.endsWith('/down.xml') && /500/.test(p.message))).toBe(true);

    const send = await runCli(['send', '--config', project.configFile, '--at', '2026-11-28T15:00:00Z', '--json']);
    expect(send.code, send.stderr).toBe(0);
    expect(JSON.parse(send.stdout)[0].issue.articles).toBe(r!.taken.length);
    expect(hits).toBeGreaterThanOrEqual(4);
  });

  it('a Brazilian feed in ISO-8859-1 with a Portuguese pubDate makes the issue, its title decoded', async () => {
    // Dicas-L's real RSS 0.91 feed (feed-rs fixture), given a pubDate the way Portuguese-locale software writes one.
    const latin1 = readFileSync(join(REPO, 'test/fixtures/feeds/real/feed-rs/rss_0.91_encoding_1.xml'), 'latin1').replace(
      '<link>http://www.Dicas-L.com.br/dicas-l/20200406.php</link>',
      '<link>http://www.Dicas-L.com.br/dicas-l/20200406.php</link>\n\t<pubDate>Sex, 20 Nov 2026 19:42:40 -0300</pubDate>',
    );
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(Buffer.from(latin1, 'latin1'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    project = makeProject({
      config: (y) => y.replace('      - type: folder\n        path: articles', `      - type: folder\n        path: articles\n      - type: feed\n        url: ${base}/dicas.xml`),
    });
    const listed = await runCli(['articles', '--json', '--config', project.configFile, '--at', '2026-11-28T15:00:00Z']);
    expect(listed.code, listed.stderr).toBe(0);
    const [r] = JSON.parse(listed.stdout) as { taken: { id: string; title: string; publishedAt: string }[]; invalid: unknown[] }[];
    expect(r!.invalid).toEqual([]);
    expect(r!.taken).toContainEqual(expect.objectContaining({ title: 'bash - Expansão de Parâmetros', publishedAt: '2026-11-20T22:42:40.000Z' }));
  });

  it('refuses a feed source that names both a url and a file, naming the key', async () => {
    project = makeProject({ config: (y) => y.replace('      - type: folder\n        path: articles', '      - type: feed\n        url: https://example.org/feed.xml\n        file: feed.xml') });
    const r = await runCli(['send', '--config', project.configFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('newsletters[0] (weekly-brief).sources[0]');
    expect(r.stderr).toContain('either "url" or "file"');
  });
});
