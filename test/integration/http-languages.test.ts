import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { syncListFile } from '../../src/audience/sync.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { preferencesUrl, unsubscribeUrl } from '../../src/audience/reader-links.js';
import { signToken } from '../../src/domain/tokens.js';
import type { App } from '../../src/app.js';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { recordingTransport } from '../helpers/recording-transport.js';
import { launchChromium } from '../helpers/browser.js';
import { htmlErrors, seriousAxeViolations, textReport } from '../helpers/page-checks.js';

/**
 * Issue 21: every page the service serves speaks the reader's language (the token's reader, else
 * Accept-Language, else the newsletter's default), right to left for Arabic, and reads right in
 * Chromium in light and dark mode (axe-core, html-validate, contrast, computed direction).
 */
const NOW = '2026-11-28T15:00:00Z';
const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');

describe('service pages in the reader language', { timeout: 120_000 }, () => {
  let project: TestProject;
  let app: App;
  let http: HttpApp;
  let browser: Browser;
  const clock = fixedClock(NOW);
  const pages = new Map<string, { html: string; status: number }>();
  const path = (url: string) => new URL(url).pathname;
  const get = async (p: string, headers: Record<string, string> = {}, init: RequestInit = {}) => {
    const r = await http.request(p, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    return { status: r.status, html: await r.text() };
  };

  beforeAll(async () => {
    project = makeProject();
    const recording = recordingTransport();
    app = await openTestApp(project, { clock });
    await syncListFile(app.store, 'weekly-brief', app.config.paths.subscribers, NOW);
    await sendNewsletter(app, app.config.newsletters[0]!); // an issue for the archive pages
    http = createHttpApp({ store: app.store, config: app.config, clock, logger: app.logger, transport: recording });
    const layla = (await app.store.findSubscriberByEmail('layla@example.net'))!;
    const camille = (await app.store.findSubscriberByEmail('camille@example.fr'))!;
    const secret = app.config.secrets[0]!;
    const arabic = { 'accept-language': 'ar' };
    pages.set('ar /u/', await get(path(unsubscribeUrl(app.config.publicUrl, secret, layla.id, 'weekly-brief'))));
    pages.set('ar /p/', await get(path(preferencesUrl(app.config.publicUrl, secret, layla.id, 'weekly-brief'))));
    pages.set('fr /p/ (reader, whatever the browser)', await get(path(preferencesUrl(app.config.publicUrl, secret, camille.id, 'weekly-brief')), { 'accept-language': 'en' }));
    // A pending sign-up in Arabic: its confirmation page.
    await http.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nour@example.org', newsletter: 'weekly-brief', locale: 'ar' }),
    });
    await http.settled();
    const nour = (await app.store.findSubscriberByEmail('nour@example.org'))!;
    const pending = (await app.store.getSubscription(nour.id, 'weekly-brief'))!;
    const confirm = signToken({ p: 'confirm', s: nour.id, n: 'weekly-brief', e: Math.floor(Date.parse(NOW) / 1000) + 3600, w: pending.stateAt }, secret);
    pages.set('ar /c/', await get(`/c/${confirm}`));
    pages.set('ar /c/ POST', await get(`/c/${confirm}`, {}, { method: 'POST' }));
    pages.set(
      'ar /u/ POST',
      await get(path(unsubscribeUrl(app.config.publicUrl, secret, layla.id, 'weekly-brief')), { 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'confirm=yes' }),
    );
    pages.set('fr /subscribe', await get('/subscribe', { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' }));
    pages.set('ar /subscribe', await get('/subscribe', arabic));
    pages.set('en /subscribe (unknown language)', await get('/subscribe', { 'accept-language': 'de-DE' }));
    pages.set(
      'ar /subscribe POST',
      await get('/subscribe', { ...arabic, 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'email=someone%40example.org&newsletter=weekly-brief' }),
    );
    pages.set(
      'fr /subscribe POST bad address',
      await get('/subscribe', { 'accept-language': 'fr', 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'email=not-an-address&newsletter=weekly-brief' }),
    );
    pages.set('ar forged link', await get(`/u/${signToken({ p: 'unsubscribe', s: layla.id, n: 'weekly-brief' }, 'not-the-secret-at-all!!')}`, arabic));
    pages.set('ar /', await get('/', arabic));
    pages.set('fr /', await get('/', { 'accept-language': 'fr' }));
    pages.set('ar archive', await get('/archive/weekly-brief/issues/1', arabic));
    pages.set('ar article', await get('/archive/weekly-brief/articles/heat-pumps-winter', arabic));
    pages.set('ar 404', await get('/archive/weekly-brief/issues/999', arabic));
    pages.set('ar unknown path', await get('/no/such/page', arabic));
    pages.set('fr expired link', await get(`/p/${signToken({ p: 'preferences', s: layla.id, n: 'weekly-brief', e: Math.floor(Date.parse(NOW) / 1000) - 60 }, secret)}`, { 'accept-language': 'fr' }));
    pages.set(
      'fr body too large',
      await get('/subscribe', { 'accept-language': 'fr', 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: `email=x%40example.org&name=${'a'.repeat(40_000)}` }),
    );
    pages.set(
      'ar unknown newsletter',
      await get('/subscribe', { ...arabic, 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'email=someone%40example.org&newsletter=no-such-letter' }),
    );
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    project?.cleanup();
  });

  it("answers each page in the reader's language, lang and dir on <html>", () => {
    const expectPage = (name: string, lang: string, dir: string, words: string) => {
      const p = pages.get(name)!;
      expect(p.html, name).toMatch(new RegExp(`<html lang="${lang}" dir="${dir}"[ >]`));
      expect(p.html, name).toContain(words);
    };
    expectPage('ar /u/', 'ar', 'rtl', 'إلغاء الاشتراك في The Weekly Brief؟');
    expectPage('ar /u/ POST', 'ar', 'rtl', 'تم إلغاء اشتراكك');
    expectPage('ar /p/', 'ar', 'rtl', 'تفضيلاتك');
    expectPage('fr /p/ (reader, whatever the browser)', 'fr', 'ltr', 'Vos préférences');
    expectPage('ar /c/', 'ar', 'rtl', 'أكّد اشتراكك في The Weekly Brief');
    expectPage('ar /c/ POST', 'ar', 'rtl', 'أنت الآن مشترك في The Weekly Brief');
    expectPage('fr /subscribe', 'fr', 'ltr', 'S’abonner');
    expectPage('ar /subscribe', 'ar', 'rtl', 'البريد الإلكتروني');
    expectPage('en /subscribe (unknown language)', 'en', 'ltr', 'We will send you one email to confirm.');
    expectPage('ar /subscribe POST', 'ar', 'rtl', 'تفقّد بريدك الوارد');
    expectPage('fr /subscribe POST bad address', 'fr', 'ltr', 'Cette adresse e-mail semble incorrecte.');
    expectPage('ar forged link', 'ar', 'rtl', 'هذا الرابط غير صالح');
    expectPage('ar /', 'ar', 'rtl', 'النشرات');
    expectPage('fr /', 'fr', 'ltr', 'Lettres d’information');
    expectPage('ar archive', 'ar', 'rtl', 'مرحبًا');
    expectPage('ar 404', 'ar', 'rtl', 'لا يوجد هذا العدد');
    // The article keeps its own language and direction inside the Arabic page.
    expectPage('ar article', 'ar', 'rtl', '<article lang="en" dir="ltr">');
    expectPage('ar unknown path', 'ar', 'rtl', 'لا توجد صفحة على هذا العنوان');
    expectPage('fr expired link', 'fr', 'ltr', 'Ce lien a expiré.');
    expectPage('fr body too large', 'fr', 'ltr', 'Envoi trop volumineux');
    expectPage('ar unknown newsletter', 'ar', 'rtl', 'نشرة غير معروفة');
    expect(pages.get('ar forged link')!.status).toBe(400);
    expect(pages.get('ar 404')!.status).toBe(404);
    expect(pages.get('ar unknown path')!.status).toBe(404);
    expect(pages.get('fr expired link')!.status).toBe(400);
    expect(pages.get('fr body too large')!.status).toBe(413);
    expect(pages.get('ar unknown newsletter')!.status).toBe(400);
  });

  it("a reader's own language wins over the browser's; a reader whose language the newsletter lacks gets the browser's, else the default", async () => {
    const secret = app.config.secrets[0]!;
    const layla = (await app.store.findSubscriberByEmail('layla@example.net'))!;
    const french = await get(path(preferencesUrl(app.config.publicUrl, secret, layla.id, 'weekly-brief')), { 'accept-language': 'fr-FR,fr;q=0.9' });
    expect(french.html).toMatch(/<html lang="ar" dir="rtl">/);
    await app.store.updateProfile(layla.id, { locale: 'de-AT' }, NOW);
    try {
      const link = path(unsubscribeUrl(app.config.publicUrl, secret, layla.id, 'weekly-brief'));
      expect((await get(link, { 'accept-language': 'de;q=0.9, fr;q=0.8' })).html).toMatch(/<html lang="fr" dir="ltr">[\s\S]*Se désabonner de The Weekly Brief/);
      expect((await get(link, { 'accept-language': 'de' })).html).toMatch(/<html lang="en" dir="ltr">[\s\S]*Unsubscribe from The Weekly Brief/);
      expect((await get(link)).html).toMatch(/<html lang="en" dir="ltr">/);
    } finally {
      await app.store.updateProfile(layla.id, { locale: 'ar' }, NOW);
    }
  });

  it('the archive index and a sign-up fall back to the first newsletter’s default; a star or junk asks for nothing in particular', async () => {
    for (const header of ['*', 'de-DE, *;q=0.5, ar;q=0.1', '<script>alert(1)</script>', 'x'.repeat(5000), '']) {
      const r = await get('/', header ? { 'accept-language': header } : {});
      expect(r.html, header).toMatch(/<html lang="en" dir="ltr">/);
    }
    expect((await get('/', { 'accept-language': 'de-DE, ar-SA;q=0.2, *;q=0.1' })).html).toMatch(/<html lang="ar" dir="rtl">/);
  });

  it('JSON clients get JSON errors; a JSON sign-up without a locale keeps the browser’s preferred language', async () => {
    const unknown = await http.request('/no/such/page', { headers: { accept: 'application/json', 'accept-language': 'ar' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not found' });
    const big = await http.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.org', name: 'a'.repeat(40_000) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: 'request body too large' });
    const signUp = await http.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'en;q=0.5, fr-CA;q=0.9, *;q=0.1' },
      body: JSON.stringify({ email: 'mathis@example.org', newsletter: 'weekly-brief' }),
    });
    expect(signUp.status).toBe(202);
    await http.settled();
    expect((await app.store.findSubscriberByEmail('mathis@example.org'))?.locale).toBe('fr-CA');
  });

  it('a failure inside a page is a 500 page in the browser’s language, logged without the reader’s token', async () => {
    const logged: string[] = [];
    const logger = { ...app.logger, error: (msg: string, fields?: Record<string, unknown>) => void logged.push(`${msg} ${JSON.stringify(fields)}`) };
    const store = new Proxy(app.store, {
      get: (target, key) => {
        if (key === 'getSubscriber' || key === 'listIssues') return () => Promise.reject(new Error('database is locked'));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const failing = createHttpApp({ store, config: app.config, clock, logger, transport: recordingTransport() });
    const layla = (await app.store.findSubscriberByEmail('layla@example.net'))!;
    const token = path(unsubscribeUrl(app.config.publicUrl, app.config.secrets[0]!, layla.id, 'weekly-brief'));
    const page = await failing.request(token, { headers: { 'accept-language': 'ar' } });
    expect(page.status).toBe(500);
    expect(await page.text()).toMatch(/<html lang="ar" dir="rtl">[\s\S]*حدث خطأ ما/);
    const json = await failing.request('/', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(500);
    expect(await json.json()).toEqual({ error: 'internal error' });
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain('/u/:token');
    expect(logged[0]).toContain('database is locked');
    expect(logged.join('\n')).not.toContain(token.slice(3));
  });

  it('the confirmation mail of a sign-up from the Arabic form is Arabic', async () => {
    const nour = (await app.store.findSubscriberByEmail('nour@example.org'))!;
    expect(nour.locale).toBe('ar');
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`every page passes axe-core (no serious or critical), computes rtl for Arabic, and reads at 4.5:1 in ${scheme} mode`, async () => {
      const context = await browser.newContext({ viewport: { width: 375, height: 800 }, colorScheme: scheme });
      const problems: string[] = [];
      for (const [name, p] of pages) {
        if (name === 'ar archive') continue; // the mail's web version: checked with the mail (reader-rendering tests)
        const page = await context.newPage();
        await page.setContent(p.html, { waitUntil: 'domcontentloaded' });
        for (const v of await seriousAxeViolations(page)) problems.push(`${name}: ${v}`);
        for (const t of await textReport(page)) {
          if (t.ratio < t.needed) problems.push(`${name}: "${t.text}" contrast ${t.ratio}:1 < ${t.needed}:1`);
          if (t.fontSize < 14) problems.push(`${name}: "${t.text}" at ${t.fontSize}px`);
          const arabicText = t.lang.startsWith('ar');
          if (arabicText && t.direction !== 'rtl') problems.push(`${name}: "${t.text}" computes ${t.direction}`);
          if (!arabicText && t.lang && t.direction !== 'ltr') problems.push(`${name}: "${t.text}" (${t.lang}) computes ${t.direction}`);
        }
        if (name.startsWith('ar ')) await page.screenshot({ path: join(SCREENSHOTS, `page.${name.replace(/[^a-z]+/g, '-').replace(/-+$/, '')}.${scheme}.png`), fullPage: true });
        await page.close();
      }
      await context.close();
      expect(problems).toEqual([]);
    });
  }

  it('every page is valid HTML (html-validate, recommended rules)', () => {
    const problems: string[] = [];
    for (const [name, p] of pages) if (name !== 'ar archive') for (const e of htmlErrors(p.html)) problems.push(`${name}: ${e}`);
    expect(problems).toEqual([]);
  });
});
