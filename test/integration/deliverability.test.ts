import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { renderIssue, type RenderResult } from '../../src/service/render-issue.js';
import type { App } from '../../src/app.js';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';
import { confirmationMail } from '../../src/audience/confirmation-mail.js';
import { createMessages } from '../../src/render/messages.js';
import { readTemplateFiles } from '../../src/render/template-files.js';
import { composeMessage } from '../../src/delivery/mime.js';
import { joinRaw } from '../../src/transport/transport.js';

const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');

describe('the sample issue as readers and filters see it', () => {
  let project: TestProject;
  let app: App;
  let rendered: RenderResult;
  let browser: Browser;
  beforeAll(async () => {
    project = makeProject();
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z') });
    rendered = await renderIssue(app, app.config.newsletters[0]!, {});
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    project?.cleanup();
  });

  it('has the parts of a digest: masthead, lead story, cards, footer with address, why, unsubscribe, preferences, web version', () => {
    const en = rendered.locales.find((l) => l.locale === 'en')!;
    expect(en.html).toMatch(/<h1[^>]*>The Weekly Brief<\/h1>/);
    expect(en.html).toContain('Top story');
    const cards = en.html.match(/<h3 /g) ?? [];
    expect(cards.length).toBe(rendered.issue.articles.length - 1);
    for (const text of ['12 rue des Exemples', 'because you subscribed as reader@example.com', 'Unsubscribe', 'Preferences', 'View in your browser']) expect(en.html).toContain(text);
    for (const img of en.html.match(/<img [^>]*>/g) ?? []) expect(img).toMatch(/alt="[^"]+"/);
    expect(en.text).toMatch(/Unsubscribe \[https:\/\/news\.example\.test\/u\//);
    expect(en.html).toContain('prefers-color-scheme: dark');
  });

  it("scores below 1.0 with SpamAssassin's local rules in every locale, and so does the confirmation mail", async () => {
    const bin = ['/usr/bin/spamassassin', '/usr/local/bin/spamassassin'].find(existsSync);
    expect(bin, 'SpamAssassin is missing: apt-get install spamassassin (.ci/run installs it)').toBeTruthy();
    const newsletter = app.config.newsletters[0]!;
    const files = readTemplateFiles(app.config.paths.templates, newsletter.template);
    const confirmations = [];
    for (const locale of ['en', 'ar']) {
      const t = createMessages(locale, files.catalogs, 'en', files.localeFile).t;
      const mail = confirmationMail({ newsletter, email: 'reader@example.org', name: 'Reader', confirmUrl: 'https://news.example.test/c/token', t, locale, id: '1.abc' });
      confirmations.push({ locale: `confirmation.${locale}`, eml: joinRaw((await composeMessage(mail.key, mail.fields)).raw) });
    }
    for (const l of [...rendered.locales, ...confirmations]) {
      const out = spawnSync(bin!, ['-L', '-t'], { input: l.eml, encoding: 'utf8', timeout: 60_000 });
      const m = /X-Spam-Status: \w+, score=(-?[\d.]+)/.exec(out.stdout);
      expect(m, out.stderr).toBeTruthy();
      expect(Number(m![1]), `${l.locale}:\n${out.stdout.split('Content analysis details')[1] ?? ''}`).toBeLessThan(1.0);
    }
  });

  for (const width of [375, 600]) {
    it(`renders at ${width} px in Chromium without horizontal scroll, with only https or mailto links`, async () => {
      for (const l of rendered.locales) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.setContent(l.html, { waitUntil: 'domcontentloaded' });
        const { scrollWidth, clientWidth, links, dir } = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? ''),
          dir: document.documentElement.getAttribute('dir'),
        }));
        expect(scrollWidth, `${l.locale} at ${width}px`).toBeLessThanOrEqual(clientWidth);
        expect(links.length).toBeGreaterThan(5);
        for (const href of links) expect(href, `${l.locale}: ${href}`).toMatch(/^(https:\/\/|mailto:)/);
        expect(dir).toBe(l.locale === 'ar' ? 'rtl' : 'ltr');
        await page.screenshot({ path: join(SCREENSHOTS, `weekly-brief.${l.locale}.${width}.png`), fullPage: true });
        await page.close();
      }
    });
  }

  it("follows the reader's dark mode", async () => {
    const en = rendered.locales.find((l) => l.locale === 'en')!;
    const page = await browser.newPage({ viewport: { width: 600, height: 900 }, colorScheme: 'dark' });
    await page.setContent(en.html, { waitUntil: 'domcontentloaded' });
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.body-bg')!).backgroundColor);
    expect(bg).toBe('rgb(17, 24, 39)');
    await page.screenshot({ path: join(SCREENSHOTS, 'weekly-brief.en.600.dark.png'), fullPage: true });
    await page.close();
  });
});
