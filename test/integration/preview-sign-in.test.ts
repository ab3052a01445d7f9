import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Hono } from 'hono';
import { createPreviewApp } from '../../src/preview/preview-app.js';
import { startPreview, type RunningPreview } from '../../src/preview/serve.js';
import { assertSafeBinding } from '../../src/preview/hosts.js';
import { clientKey } from '../../src/preview/sign-in.js';
import { listMailbox } from '../../src/preview/mailbox.js';
import { NewsletterError } from '../../src/domain/errors.js';
import type { Logger } from '../../src/domain/logger.js';
import { main } from '../../src/cli/main.js';
import type { App } from '../../src/app.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';

const PASSWORD = 'correct horse battery staple';
const FORM = 'application/x-www-form-urlencoded';

/** Keeps what is logged, to show the password, tokens and session ids never are. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

describe('preview beyond loopback: a password is required', () => {
  let project: TestProject;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    project.cleanup();
  });

  it('startPreview (what `preview --host` and `start` call) refuses a non-loopback address without preview.password, naming the key', async () => {
    const app = await openTestApp(project);
    try {
      const refused = await startPreview(app, { env: TEST_ENV, host: '192.0.2.10', port: 0 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NewsletterError);
      expect((refused as NewsletterError).code).toBe('CONFIG_INVALID');
      expect((refused as NewsletterError).place).toBe('preview.password');
      expect((refused as Error).message).toMatch(/192\.0\.2\.10.*preview\.password.*PREVIEW_PASSWORD/);
      for (const host of ['0.0.0.0', '::', '[::]', '10.1.2.3', 'preview.example.org']) expect(() => assertSafeBinding(host, undefined), host).toThrow(/preview\.password/);
      for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(() => assertSafeBinding(host, undefined), host).not.toThrow();
      expect(() => assertSafeBinding('0.0.0.0', PASSWORD)).not.toThrow();
      // On loopback it starts as before.
      const ok = await startPreview(app, { env: TEST_ENV, host: '127.0.0.1', port: 0 });
      await ok.close();
    } finally {
      await app.close();
    }
  });

  it('`newsletter preview --host ADDRESS` exits 2 with the message, and never logs a password', async () => {
    for (const [k, v] of Object.entries(TEST_ENV)) vi.stubEnv(k, v);
    vi.stubEnv('PREVIEW_PASSWORD', '');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    const code = await main(['node', 'newsletter', 'preview', '--config', project.configFile, '--host', '192.0.2.10', '--port', '0']);
    expect(code).toBe(2);
    expect(written.join('')).toMatch(/newsletter: preview\.password: the preview would listen on 192\.0\.2\.10/);
  });
});

describe('preview with a password: sign in first', () => {
  let project: TestProject;
  let app: App;
  let web: Hono<any>;
  let logger: ReturnType<typeof recordingLogger>;
  const clock = fixedClock('2026-11-28T15:00:00Z');
  const host = 'preview.news.example.org';

  beforeEach(async () => {
    clock.set('2026-11-28T15:00:00Z');
    project = makeProject({ config: (y) => y.replace('newsletters:', `preview:\n  allowedHosts: [${host}]\n\nnewsletters:`) });
    logger = recordingLogger();
    app = await openTestApp(project, { env: { PREVIEW_PASSWORD: PASSWORD }, clock, logger });
    web = createPreviewApp(app, { env: { ...TEST_ENV, PREVIEW_PASSWORD: PASSWORD } });
  });
  afterEach(async () => {
    await app.close();
    project.cleanup();
  });

  const from = (client: string) => ({ incoming: { socket: { remoteAddress: client } } });
  const signInToken = async (cookie = '') => /name="csrf" value="([^"]+)"/.exec(await (await web.request('/sign-in', { headers: { host, cookie } })).text())?.[1] ?? '';
  const signIn = async (password: string, options: { client?: string; origin?: string; next?: string; csrf?: string } = {}) =>
    web.request(
      '/sign-in',
      {
        method: 'POST',
        headers: { host, origin: options.origin ?? `http://${host}`, 'content-type': FORM },
        body: new URLSearchParams({ password, csrf: options.csrf ?? (await signInToken()), next: options.next ?? '/n/weekly-brief' }).toString(),
      },
      from(options.client ?? '192.0.2.1'),
    );
  const cookieOf = (res: Response) => /^preview_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';

  it('lets no one past the sign-in page until signed in: pages redirect there, the rest gets 401', async () => {
    const page = await web.request('/n/weekly-brief?locale=fr', { headers: { host, accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/sign-in?next=%2Fn%2Fweekly-brief%3Flocale%3Dfr');
    for (const path of ['/', '/mailbox', '/archive', '/html?newsletter=weekly-brief']) {
      expect((await web.request(path, { headers: { host, accept: 'text/html' } })).status, path).toBe(303);
    }
    for (const path of ['/events', '/html?newsletter=weekly-brief', '/n/weekly-brief']) {
      expect((await web.request(path, { headers: { host } })).status, path).toBe(401);
    }
    const anonymous = await signInToken();
    const test = await web.request('/test?newsletter=weekly-brief', {
      method: 'POST',
      headers: { host, origin: `http://${host}`, 'content-type': FORM },
      body: `to=x%40example.org&csrf=${anonymous}`,
    });
    expect(test.status).toBe(401);
    expect(await listMailbox(app.transport.location!)).toEqual([]);
    const form = await (await web.request('/sign-in', { headers: { host } })).text();
    expect(form).toContain('type="password"');
    expect(form).not.toContain('EventSource');
  });

  it("signs in with the password: an HttpOnly SameSite=Strict session cookie, Secure over https; the session's own token; sign out ends it", async () => {
    const wrong = await signIn('not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('Wrong password.');

    const ok = await signIn(PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/n/weekly-brief');
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^preview_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).not.toMatch(/; Secure/);
    const over = await signIn(PASSWORD, { origin: `https://${host}` });
    expect(over.headers.get('set-cookie')).toMatch(/; Secure/);
    expect(cookieOf(over)).not.toBe(cookieOf(ok));

    const cookie = `preview_session=${cookieOf(ok)}`;
    const page = await web.request('/n/weekly-brief', { headers: { host, cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Sign out');
    const token = /name="csrf" value="([^"]+)"/.exec(text)![1]!;
    // A token from before signing in (or another session's) is no good.
    const post = (csrf: string, c = cookie) =>
      web.request('/test?newsletter=weekly-brief', {
        method: 'POST',
        headers: { host, cookie: c, origin: `http://${host}`, 'content-type': FORM },
        body: new URLSearchParams({ to: 'editor@example.org', csrf }).toString(),
      });
    expect((await post(await signInToken())).status).toBe(403);
    expect((await post(token, `preview_session=${cookieOf(over)}`)).status).toBe(403);
    expect((await post(token)).status).toBe(302);
    expect(await listMailbox(app.transport.location!)).toHaveLength(1);

    // Sessions last 12 hours.
    clock.set('2026-11-29T02:59:00Z');
    expect((await web.request('/archive', { headers: { host, cookie: `preview_session=${cookieOf(over)}` } })).status).toBe(200);
    clock.set('2026-11-29T03:00:01Z');
    expect((await web.request('/n/weekly-brief', { headers: { host, cookie: `preview_session=${cookieOf(over)}` } })).status).toBe(401);

    clock.set('2026-11-28T15:00:00Z');
    const out = await web.request('/sign-out', { method: 'POST', headers: { host, cookie, origin: `http://${host}`, 'content-type': FORM }, body: `csrf=${token}` });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^preview_session=;.*Max-Age=0/);
    expect((await web.request('/n/weekly-brief', { headers: { host, cookie } })).status).toBe(401);

    const all = logger.lines.join('\n');
    expect(all).toContain('preview sign-in');
    for (const secret of [PASSWORD, cookieOf(ok), cookieOf(over), token]) expect(all).not.toContain(secret);
  });

  it('needs the same-origin token and Origin to sign in, and sends nowhere but a path of its own afterwards', async () => {
    expect((await signIn(PASSWORD, { csrf: '' })).status).toBe(403);
    expect((await signIn(PASSWORD, { origin: 'http://attacker.example' })).status).toBe(403);
    for (const next of ['//attacker.example/x', '/\\attacker.example', 'https://attacker.example/', 'javascript:alert(1)']) {
      expect((await signIn(PASSWORD, { next })).headers.get('location'), next).toBe('/');
    }
  });

  it('limits wrong passwords per client: after 5 in 15 minutes even the right one waits; other clients are not held', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(`guess ${i} is wrong`)).status).toBe(401);
    clock.set('2026-11-28T15:05:00Z');
    const held = await signIn(PASSWORD);
    expect(held.status).toBe(429);
    expect(held.headers.get('retry-after')).toBe('600');
    expect(held.headers.get('set-cookie')).toBeNull();
    expect(await held.text()).toContain('try again in 10 minutes');
    expect((await signIn(PASSWORD, { client: '192.0.2.2' })).status).toBe(303);
    // IPv6: the neighbours of a /64 share its count.
    for (let i = 0; i < 5; i++) expect((await signIn(`guess ${i} is wrong`, { client: `2001:db8:1:2::${i + 1}` })).status).toBe(401);
    expect((await signIn(PASSWORD, { client: '2001:db8:1:2:abcd::9' })).status).toBe(429);
    expect((await signIn(PASSWORD, { client: '2001:db8:1:3::1' })).status).toBe(303);
    clock.set('2026-11-28T15:15:00Z');
    expect((await signIn(PASSWORD)).status).toBe(303);
    expect(logger.lines.filter((l) => l.includes('wrong password'))).toHaveLength(10);
    expect(logger.lines.join('\n')).not.toContain('is wrong');
  });
});

describe('preview sign-in limits: whom failures count against', () => {
  it("an IPv4 address, or an IPv6 address's /64 (one host often holds a whole /64)", () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0DB8:0001:0002:abcd:ef01:2345:6789')).toBe('2001:db8:1:2::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
  });
});

describe('preview with a password, in Chromium', () => {
  let project: TestProject;
  let app: App;
  let preview: RunningPreview;
  let browser: Browser;

  beforeAll(async () => {
    project = makeProject();
    const env = { ...TEST_ENV, PREVIEW_PASSWORD: PASSWORD };
    app = await openTestApp(project, { env, clock: fixedClock('2026-11-28T15:00:00Z') });
    preview = await startPreview(app, { env, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await preview?.close();
    await app?.close();
    project?.cleanup();
  });

  it('asks for the password, then shows the preview, sends a test and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(new URL('/n/weekly-brief?locale=fr', preview.url).href);
      expect(page.url()).toContain('/sign-in?next=');
      await page.fill('input[name=password]', 'not it at all');
      await Promise.all([page.waitForURL(/\/sign-in$/), page.click('button:has-text("Sign in")')]);
      expect(await page.locator('#problem').innerText()).toBe('Wrong password.');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(/\/n\/weekly-brief\?locale=fr$/), page.click('button:has-text("Sign in")')]);
      expect(await page.locator('#subject').innerText()).toContain('nouveaux articles');
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ name: 'preview_session', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });

      await page.fill('input[name=to]', 'editor@example.org');
      await Promise.all([page.waitForURL(/sent=/), page.click('button:has-text("Send test")')]);
      expect(await page.locator('.warn').first().innerText()).toContain('Test sent to editor@example.org');

      await Promise.all([page.waitForURL(/\/sign-in$/), page.click('button:has-text("Sign out")')]);
      const again = await page.goto(new URL('/archive', preview.url).href);
      expect(again?.url()).toContain('/sign-in?next=%2Farchive');
    } finally {
      await context.close();
    }
  });
});
