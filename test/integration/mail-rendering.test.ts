import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { doIUseEmail } from 'doiuse-email';
import { renderIssue, type RenderResult } from '../../src/service/render-issue.js';
import { confirmationMail } from '../../src/audience/confirmation-mail.js';
import { createMessages } from '../../src/render/messages.js';
import { readTemplateFiles } from '../../src/render/template-files.js';
import type { App } from '../../src/app.js';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';
import { textDirection } from '../../src/domain/bidi.js';
import { isRtl } from '../../src/domain/locale.js';
import { htmlErrors, seriousAxeViolations, textReport } from '../helpers/page-checks.js';
import { EMAIL_CLIENTS, EMAIL_CONVENTIONS, SUPPORT_FALLBACKS } from '../helpers/email-clients.js';

/**
 * Issue 21: the sample issue as readers see it, in en, fr and ar, light and dark, at 375 and
 * 600 px, checked by real tools: axe-core and computed styles in Chromium, html-validate, the
 * caniemail data (doiuse-email), and its size against Gmail's clipping. The confirmation mail too.
 */
const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');
const AT = '2026-11-28T15:00:00Z';

describe('the mail as readers see it', { timeout: 120_000 }, () => {
  let project: TestProject;
  let app: App;
  let rendered: RenderResult;
  let browser: Browser;
  const mails = new Map<string, string>();

  beforeAll(async () => {
    project = makeProject();
    app = await openTestApp(project, { clock: fixedClock(AT) });
    rendered = await renderIssue(app, app.config.newsletters[0]!, {});
    for (const l of rendered.locales) mails.set(l.locale, l.html);
    const newsletter = app.config.newsletters[0]!;
    const files = readTemplateFiles(app.config.paths.templates, newsletter.template);
    for (const locale of ['en', 'ar']) {
      const t = createMessages(locale, files.catalogs, 'en', files.localeFile).t;
      const mail = confirmationMail({ newsletter, email: 'reader@example.org', name: 'Reader', confirmUrl: 'https://news.example.test/c/token', t, locale, id: '1.x' });
      mails.set(`confirmation.${locale}`, mail.fields.html);
    }
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    project?.cleanup();
  });

  it('is valid HTML (html-validate), outside the listed email conventions', () => {
    const problems = [...mails].flatMap(([name, html]) => htmlErrors(html, EMAIL_CONVENTIONS).map((e) => `${name}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('is built for assistive technology: lang and dir on <html>, a <title>, one <h1>, headings in order, layout tables presentational, images described', () => {
    for (const [name, html] of mails) {
      const locale = name.replace('confirmation.', '');
      expect(html, name).toMatch(new RegExp(`^<!DOCTYPE html>\\s*<html lang="${locale}" dir="${locale === 'ar' ? 'rtl' : 'ltr'}"`));
      expect(html, name).toMatch(/<title>[^<]+<\/title>/);
      expect(html.match(/<h1[ >]/g), name).toHaveLength(1);
      const levels = [...html.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]));
      levels.forEach((level, i) => expect(level - (levels[i - 1] ?? 0), `${name}: h${levels[i - 1]} then h${level}`).toBeLessThanOrEqual(1));
      for (const table of html.match(/<table\b[^>]*>/g) ?? []) expect(table, name).toContain('role="presentation"');
      for (const img of html.match(/<img\b[^>]*>/g) ?? []) expect(img, name).toMatch(/alt="[^"]*\S[^"]*"/);
    }
  });

  it('uses no feature that Gmail, Outlook, Apple Mail or Yahoo lacks without a written fallback (caniemail data)', () => {
    const unexplained = new Set<string>();
    for (const [name, html] of mails) {
      const result = doIUseEmail(html, { emailClients: EMAIL_CLIENTS as never }) as { errors?: string[] };
      for (const e of result.errors ?? []) {
        const feature = /^`(.+)` is not supported by `(.+)`$/.exec(e)?.[1] ?? e;
        if (!(feature in SUPPORT_FALLBACKS)) unexplained.add(`${name}: ${e}`);
      }
    }
    expect([...unexplained]).toEqual([]);
  });

  it("stays under Gmail's 102 KB clipping with a full issue at maxArticles", async () => {
    const extra = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [
        `filler-${i}.md`,
        `---\ntitle: A long headline number ${i} about a subject that takes two lines in the column\ndate: 2026-11-2${i % 3}\nimage: https://news.example.org/img/${i}.jpg\nimageAlt: A picture for story ${i}\n---\n${'A paragraph of the article that the excerpt is cut from, long enough to be cut. '.repeat(20)}\n`,
      ]),
    );
    const full = makeProject({ articles: extra });
    const fullApp = await openTestApp(full, { clock: fixedClock(AT) });
    try {
      const r = await renderIssue(fullApp, fullApp.config.newsletters[0]!, {});
      expect(r.issue.articles.length).toBe(fullApp.config.newsletters[0]!.maxArticles);
      for (const l of r.locales) {
        const bytes = Buffer.byteLength(l.html);
        console.log(`${l.locale}: HTML part ${(bytes / 1024).toFixed(1)} KB with ${r.issue.articles.length} articles`);
        expect(bytes, l.locale).toBeLessThan(102 * 1024);
      }
    } finally {
      await fullApp.close();
      full.cleanup();
    }
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [375, 600]) {
      it(`reads right in Chromium at ${width} px in ${scheme} mode: axe-core clean, every text at 4.5:1 (3:1 large) and 14 px, Arabic computing rtl`, async () => {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const problems: string[] = [];
        for (const [name, html] of mails) {
          const page = await context.newPage();
          await page.setContent(html, { waitUntil: 'domcontentloaded' });
          for (const v of await seriousAxeViolations(page)) problems.push(`${name}: ${v}`);
          for (const t of await textReport(page)) {
            if (t.ratio < t.needed) problems.push(`${name}: "${t.text}" contrast ${t.ratio}:1 < ${t.needed}:1`);
            if (t.fontSize < 14) problems.push(`${name}: "${t.text}" at ${t.fontSize}px`);
            // Arabic letters always read right to left; Latin ones left to right unless they sit
            // in an Arabic sentence (a name, an address), where either direction is right.
            const script = textDirection(t.text);
            if (script === 'rtl' && t.direction !== 'rtl') problems.push(`${name}: "${t.text}" computes ${t.direction}`);
            if (script === 'ltr' && !isRtl(t.lang || 'en') && t.direction !== 'ltr') problems.push(`${name}: "${t.text}" (lang ${t.lang}) computes ${t.direction}`);
          }
          const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
          if (scrollWidth > clientWidth) problems.push(`${name}: scrolls sideways at ${width}px`);
          const file = name.startsWith('confirmation') ? `${name}.${width}.${scheme}.png` : `weekly-brief.${name}.${width}.${scheme}.png`;
          await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
          await page.close();
        }
        await context.close();
        expect(problems).toEqual([]);
      });
    }
  }

  it('writes Arabic in logical order: greeting, intro, dates and footer inside rtl blocks, dates as Intl formats them for ar', async () => {
    const page = await browser.newPage();
    await page.setContent(mails.get('ar')!, { waitUntil: 'domcontentloaded' });
    const directionOf = (text: string) =>
      page.evaluate((t) => {
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent?.includes(t)) return getComputedStyle(n.parentElement!).direction;
        return 'missing';
      }, text);
    const slotDate = new Intl.DateTimeFormat('ar', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(new Date(rendered.issue.slot));
    for (const text of ['مرحبًا', 'إليك', slotDate, 'لأنك اشتركت', 'إلغاء الاشتراك', 'اقرأ المزيد']) expect(await directionOf(text), text).toBe('rtl');
    // An English story in the Arabic mail reads left to right, aligned to its own start.
    const english = await page.evaluate(() => {
      const h = [...document.querySelectorAll('h3[lang="en"]')][0]!;
      return { direction: getComputedStyle(h).direction, align: getComputedStyle(h).textAlign };
    });
    expect(english).toEqual({ direction: 'ltr', align: 'left' });
    // So does a scraped story of unknown language, by its first strong letter.
    const scraped = await page.evaluate(() => {
      const h = [...document.querySelectorAll('h3')].find((x) => x.textContent?.startsWith('If North Korea'))!;
      return { lang: h.getAttribute('lang'), direction: getComputedStyle(h).direction, align: getComputedStyle(h).textAlign };
    });
    expect(scraped).toEqual({ lang: null, direction: 'ltr', align: 'left' });
    await page.close();
  });
});
