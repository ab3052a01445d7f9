import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { Hono } from 'hono';
import { createPreviewApp } from '../../src/preview/preview-app.js';
import { startPreview, type RunningPreview } from '../../src/preview/serve.js';
import { listMailbox } from '../../src/preview/mailbox.js';
import type { App } from '../../src/app.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { CHROMIUM } from '../helpers/browser.js';

/** The preview's page and the token its forms carry. */
async function pageAndToken(web: Hono<any>, host = '127.0.0.1:4000'): Promise<string> {
  const page = await (await web.request('/n/weekly-brief', { headers: { host } })).text();
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(token, 'the page embeds a same-origin token').toBeTruthy();
  return token!;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const FORM = 'application/x-www-form-urlencoded';

describe('preview: who may reach it (Host, same origin, body size)', () => {
  let project: TestProject;
  let app: App;
  let web: Hono<any>;
  const mailbox = async () => (await listMailbox(app.transport.location!)).length;

  beforeEach(async () => {
    project = makeProject({ config: (y) => y.replace('newsletters:', 'preview:\n  allowedHosts: [preview.news.example.org, "fe80::1"]\n\nnewsletters:') });
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z') });
    web = createPreviewApp(app, { env: TEST_ENV });
  });
  afterEach(async () => {
    await app.close();
    project.cleanup();
  });

  it('answers only to loopback names and preview.allowedHosts, on every route; others get 421 and a short plain message', async () => {
    for (const host of ['127.0.0.1', '127.0.0.1:4000', 'localhost:4000', 'LOCALHOST', '[::1]:4000', '[::1]', 'preview.news.example.org', 'preview.news.example.org:8443', '[fe80::1]:4000']) {
      expect((await web.request('/n/weekly-brief', { headers: { host } })).status, host).toBe(200);
    }
    const routes = ['/', '/n/weekly-brief', '/html?newsletter=weekly-brief', '/events', '/mailbox', '/mailbox/view?file=x.eml', '/archive', '/no-such-page'];
    for (const host of [
      'attacker.example',
      'attacker.example:4000',
      '127.0.0.1.nip.io',
      'localhost.attacker.example',
      'preview.news.example.org.attacker.example',
      '127.0.0.1:4000@attacker.example',
      '',
    ]) {
      for (const path of routes) {
        const res = await web.request(path, { headers: { host } });
        expect(res.status, `${host} ${path}`).toBe(421);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await res.text()).toMatch(/does not answer to that host name/);
      }
      expect((await web.request('/test?newsletter=weekly-brief', { method: 'POST', headers: { host, 'content-type': FORM }, body: form({ to: 'x@example.org' }) })).status).toBe(421);
    }
    // The URL's host (an absolute request target) is checked too, not only the Host header.
    expect((await web.request('http://attacker.example/n/weekly-brief', { headers: { host: '127.0.0.1' } })).status).toBe(421);
    expect(await mailbox()).toBe(0);
  });

  it('refuses forged Host headers on the socket too, the live-reload event stream included', async () => {
    const preview = await startPreview(app, { env: TEST_ENV, host: '127.0.0.1', port: 0 });
    try {
      const { port } = new URL(preview.url);
      const get = (path: string, host: string) =>
        new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
          });
          req.on('error', reject).end();
        });
      const events = await get('/events', `rebound.attacker.example:${port}`);
      expect(events.status).toBe(421);
      expect(events.type).toMatch(/^text\/plain/);
      expect((await get('/n/weekly-brief', `rebound.attacker.example:${port}`)).status).toBe(421);
      expect((await get('/n/weekly-brief', `127.0.0.1:${port}`)).status).toBe(200);
    } finally {
      await preview.close();
    }
  });

  it('sends a test only with the page token and an Origin (or Referer) of its own host', async () => {
    const token = await pageAndToken(web);
    const post = (headers: Record<string, string>, fields: Record<string, string> = { to: 'editor@example.org', csrf: token }) =>
      web.request('/test?newsletter=weekly-brief', { method: 'POST', headers: { host: '127.0.0.1:4000', 'content-type': FORM, ...headers }, body: form(fields) });
    const origin = 'http://127.0.0.1:4000';

    const refused: [string, Response][] = [
      ['no token', await post({ origin }, { to: 'editor@example.org' })],
      ['wrong token', await post({ origin }, { to: 'editor@example.org', csrf: `${token.slice(0, -2)}xx` })],
      ['token of another preview process', await post({ origin }, { to: 'editor@example.org', csrf: await pageAndToken(createPreviewApp(app, { env: TEST_ENV })) })],
      ['no Origin nor Referer', await post({})],
      ['Origin of another site', await post({ origin: 'http://attacker.example' })],
      ['Origin of another port', await post({ origin: 'http://127.0.0.1:4001' })],
      ['Origin null (sandboxed frame)', await post({ origin: 'null' })],
      ['Referer of another site', await post({ referer: 'http://attacker.example/page' })],
      ['Sec-Fetch-Site cross-site', await post({ origin, 'sec-fetch-site': 'cross-site' })],
      ['Sec-Fetch-Site same-site', await post({ origin, 'sec-fetch-site': 'same-site' })],
      [
        'token in a JSON body',
        await web.request('/test?newsletter=weekly-brief', {
          method: 'POST',
          headers: { host: '127.0.0.1:4000', origin, 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'editor@example.org', csrf: token }),
        }),
      ],
    ];
    for (const [why, res] of refused) {
      expect(res.status, why).toBe(403);
      expect(await res.text(), why).toMatch(/^Refused/);
    }
    expect(await mailbox()).toBe(0);

    const ok = await post({ origin, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toContain('sent=');
    // A browser that leaves Origin out still sends the page as Referer; and the token may come as a header.
    expect((await post({ referer: `${origin}/n/weekly-brief` })).status).toBe(302);
    expect((await post({ origin, 'x-csrf-token': token }, { to: 'editor@example.org' })).status).toBe(302);
    // Default ports: Origin https://name with Host name (a TLS proxy in front).
    const proxied = await pageAndToken(web, 'preview.news.example.org');
    const viaProxy = await web.request('/test?newsletter=weekly-brief', {
      method: 'POST',
      headers: { host: 'preview.news.example.org', origin: 'https://preview.news.example.org', 'content-type': FORM },
      body: form({ to: 'editor@example.org', csrf: proxied }),
    });
    expect(viaProxy.status).toBe(302);
    expect(await mailbox()).toBe(4);
  });

  it('refuses cross-site loads that are not a plain navigation, and keeps other sites from framing it', async () => {
    const embedded = await web.request('/html?newsletter=weekly-brief', { headers: { host: '127.0.0.1', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' } });
    expect(embedded.status).toBe(403);
    expect((await web.request('/events', { headers: { host: '127.0.0.1', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } })).status).toBe(403);
    // A link followed from elsewhere still opens the page.
    const followed = await web.request('/n/weekly-brief', { headers: { host: '127.0.0.1', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
    expect(followed.status).toBe(200);
    expect(followed.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(followed.headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
    expect(followed.headers.get('referrer-policy')).toBe('same-origin');
    expect(followed.headers.get('cache-control')).toBe('no-store');
    // The email's frame runs no script.
    const frame = await web.request('/html?newsletter=weekly-brief', { headers: { host: '127.0.0.1' } });
    expect(frame.headers.get('content-security-policy')).toMatch(/^sandbox allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'$/);
  });

  it('refuses a body over 64 KiB with 413, declared or streamed, before reading it', async () => {
    const token = await pageAndToken(web);
    const big = form({ to: 'editor@example.org', csrf: token, pad: 'x'.repeat(65 * 1024) });
    const headers = { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', 'content-type': FORM };
    const declared = await web.request('/test?newsletter=weekly-brief', { method: 'POST', headers: { ...headers, 'content-length': String(big.length) }, body: big });
    expect(declared.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        controller.close();
      },
    });
    const streamed = await web.request('/test?newsletter=weekly-brief', { method: 'POST', headers, body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await web.request('/n/weekly-brief', { method: 'POST', headers: { ...headers, 'content-length': String(big.length) }, body: big })).status).toBe(413);
    expect(await mailbox()).toBe(0);
    // Just under the limit is read (and sent).
    const fits = form({ to: 'editor@example.org', csrf: token, pad: 'x'.repeat(60 * 1024) });
    expect((await web.request('/test?newsletter=weekly-brief', { method: 'POST', headers, body: fits })).status).toBe(302);
  });
});

describe('preview attacked from a browser (Chromium)', () => {
  let project: TestProject;
  let app: App;
  let preview: RunningPreview;
  let browser: Browser;
  let attacker: Server;
  let attackerPort: number;

  beforeAll(async () => {
    project = makeProject();
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z') });
    preview = await startPreview(app, { env: TEST_ENV, host: '127.0.0.1', port: 0 });
    // A site of the attacker's: a page that posts a test to the preview as soon as it opens.
    attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${preview.url}test?newsletter=weekly-brief"><input name="to" value="victim@example.org"><input name="csrf" value="guessed"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    attackerPort = (attacker.address() as AddressInfo).port;
    // rebind.test resolves to 127.0.0.1: what an attacker's DNS does after the page has loaded.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP rebind.test 127.0.0.1',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    await preview?.close();
    await app?.close();
    project?.cleanup();
  });

  it('a cross-site form post sends nothing', async () => {
    const page = await browser.newPage();
    try {
      // localhost and 127.0.0.1 are different sites to the browser.
      await Promise.all([page.waitForURL(/\/test\?/), page.goto(`http://localhost:${attackerPort}/`)]);
      expect(await page.locator('body').innerText()).toMatch(/^Refused/);
      expect(await listMailbox(app.transport.location!)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a rebound host name gets 421 and never the page', async () => {
    const page = await browser.newPage();
    try {
      const port = new URL(preview.url).port;
      const res = await page.goto(`http://rebind.test:${port}/n/weekly-brief`);
      expect(res?.status()).toBe(421);
      expect(await page.locator('body').innerText()).not.toContain('Weekly Brief');
      const events = await page.evaluate(async () => (await fetch('/events')).status);
      expect(events).toBe(421);
    } finally {
      await page.close();
    }
  });
});
