import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { startPreview, type RunningPreview } from '../../src/preview/serve.js';
import type { App } from '../../src/app.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';

describe('editor preview in Chromium', () => {
  let project: TestProject;
  let sink: SmtpSink;
  let app: App;
  let preview: RunningPreview;
  let browser: Browser;
  let page: Page;
  const layout = () => join(project.dir, 'templates', 'default', 'layout.mjml.hbs');

  beforeAll(async () => {
    project = makeProject();
    sink = await startSmtpSink();
    const env = { ...TEST_ENV, SMTP_URL: sink.url };
    app = await openTestApp(project, { env, clock: fixedClock('2026-11-28T15:00:00Z') });
    preview = await startPreview(app, { env, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  // A page per test: a reload a file edit caused in one test must not land in the next.
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  afterEach(async () => {
    await page.close();
  });
  afterAll(async () => {
    await browser?.close();
    await preview?.close();
    await app?.close();
    await sink?.close();
    project?.cleanup();
  });

  const frameText = (id: string) => page.frameLocator(`#${id}`).locator('body').innerText();

  it('shows the next issue with subject, preheader, text part, headers and the articles it left out', async () => {
    await page.goto(preview.url);
    await expect.poll(() => page.locator('#subject').innerText()).toContain('6 new articles');
    expect(await page.locator('#preheader').innerText()).toContain('stories worth your time');
    expect(await page.locator('#text').innerText()).toContain('Hello Sample Reader,');
    expect(await page.locator('table').first().innerText()).toContain('List-Unsubscribe-Post');
    expect((await frameText('desktop')).toLowerCase()).toContain('top story');
    expect(await page.locator('#mobile').getAttribute('width')).toBe('375');
  });

  it('switches to French and to a reader from the list, then to the mobile width alone', async () => {
    await page.goto(preview.url);
    await Promise.all([page.waitForURL(/locale=fr/), page.selectOption('select[name=locale]', 'fr')]);
    expect(await page.locator('#subject').innerText()).toContain('nouveaux articles');
    expect(await frameText('desktop')).toContain('Lire la suite');
    await Promise.all([page.waitForURL(/reader=jean/), page.selectOption('select[name=reader]', 'jean.dupont@example.fr')]);
    expect(await page.locator('#text').innerText()).toContain('Bonjour Jean Dupont,');
    await Promise.all([page.waitForURL(/view=mobile/), page.selectOption('select[name=view]', 'mobile')]);
    expect(await page.locator('#desktop').count()).toBe(0);
    const mobile = page.frameLocator('#mobile');
    const widths = await mobile.locator('html').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(widths.client).toBeLessThanOrEqual(375);
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  });

  it("updates the open page when a template is edited, and shows a broken template's error with its line", async () => {
    await page.goto(preview.url);
    const original = readFileSync(layout(), 'utf8');
    writeFileSync(layout(), original.replace('{{t "intro" count=issue.count}}', 'EDITED-IN-PLACE {{t "intro" count=issue.count}}'));
    await expect.poll(() => frameText('desktop'), { timeout: 5_000 }).toContain('EDITED-IN-PLACE');

    writeFileSync(layout(), original.replace('{{t "intro" count=issue.count}}', '{{t "intro" count=isue.count}}'));
    await expect.poll(() => page.locator('#error').count(), { timeout: 5_000 }).toBe(1);
    const error = await page.locator('#error').innerText();
    const line = original.split('\n').findIndex((l) => l.includes('{{t "intro"')) + 1;
    expect(error).toContain(`layout.mjml.hbs:${line}`);
    expect(error).toContain('isue.count');
    writeFileSync(layout(), original);
    await expect.poll(() => page.locator('#error').count(), { timeout: 5_000 }).toBe(0);
  });

  it('sends a test through the configured transport, marked [TEST], without recording a delivery', async () => {
    await page.goto(preview.url);
    await page.fill('input[name=to]', 'editor@example.org');
    await Promise.all([page.waitForURL(/sent=/), page.click('button:has-text("Send test")')]);
    expect(await page.locator('.warn').first().innerText()).toContain('Test sent to editor@example.org');
    await expect.poll(() => sink.received.length).toBe(1);
    expect(sink.received[0]!.to).toEqual(['editor@example.org']);
    const sent = await simpleParser(sink.received[0]!.raw);
    expect(sent.subject).toMatch(/^\[TEST\] The Weekly Brief: 6 new articles/);
    // The page's form carried its same-origin token; the links in the test are dummies (preview-inert-links.test.ts).
    expect(sent.text).toMatch(/https:\/\/news\.example\.test\/u\/\S+\?preview-test/);
    expect(await app.store.listIssues('weekly-brief', 10)).toEqual([]);
    await page.goto(new URL('/archive', preview.url).href);
    expect(await page.locator('#archive').innerText()).toContain('No issue yet');
  });
});

describe('preview without a browser', () => {
  it('shows dates in a time zone chosen in the page, and says so when the zone does not exist', async () => {
    const project = makeProject();
    // The next slot is Monday 30 November, 08:00 in Paris: still Sunday the 29th in Honolulu.
    const app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z') });
    try {
      const { createPreviewApp } = await import('../../src/preview/preview-app.js');
      const web = createPreviewApp(app, { env: TEST_ENV });
      const subject = (page: string) => /<p id="subject"[^>]*>([^<]*)<\/p>/.exec(page)?.[1] ?? '';
      const own = await (await web.request('/n/weekly-brief?locale=en')).text();
      expect(subject(own)).toContain('November 30, 2026');
      expect(own).toContain('placeholder="Europe/Paris"');
      // The editor reads the slot as people read a time, in the newsletter's zone, named.
      expect(own).toContain('Next issue: slot of Monday 30 November 2026, 08:00 (Europe/Paris)');
      const away = await (await web.request('/n/weekly-brief?locale=en&tz=Pacific%2FHonolulu')).text();
      expect(subject(away)).toContain('November 29, 2026');
      // The frames and the test-send form carry the zone on.
      expect(away).toContain('tz=Pacific%2FHonolulu');
      const frame = await (await web.request('/html?newsletter=weekly-brief&locale=en&tz=Pacific%2FHonolulu')).text();
      expect(frame).toContain('November 29, 2026');
      // A reader from the list (in Montreal: Monday 02:00), then seen from another zone than their own.
      expect(subject(await (await web.request('/n/weekly-brief?reader=jean.dupont%40example.fr')).text())).toContain('30 novembre 2026');
      const jean = await (await web.request('/n/weekly-brief?reader=jean.dupont%40example.fr&tz=Pacific%2FHonolulu')).text();
      expect(jean).toContain('Bonjour Jean Dupont');
      expect(subject(jean)).toContain('29 novembre 2026');
      const bad = await (await web.request('/n/weekly-brief?locale=en&tz=Mars%2FOlympus_Mons')).text();
      expect(bad).toMatch(/<p class="warn" id="tz-problem">&quot;Mars\/Olympus_Mons&quot; is not an IANA time zone[^<]*Europe\/Paris/);
      expect(away).not.toContain('tz-problem');
      expect(subject(bad)).toContain('November 30, 2026');
    } finally {
      await app.close();
      project.cleanup();
    }
  });

  it('lists what the capture transport wrote and opens a message as sent', async () => {
    const project = makeProject();
    const app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z') });
    try {
      const { sendNewsletter } = await import('../../src/service/send-issue.js');
      await sendNewsletter(app, app.config.newsletters[0]!);
      const { createPreviewApp } = await import('../../src/preview/preview-app.js');
      const web = createPreviewApp(app, { env: TEST_ENV });
      const list = await (await web.request('/mailbox')).text();
      const links = [...list.matchAll(/href="(\/mailbox\/view\?file=[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      expect(links).toHaveLength(5);
      const one = await (await web.request(links[0]!)).text();
      expect(one).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect((await web.request('/mailbox/view?file=../../newsletter.config.yaml')).status).toBe(404);
      const archive = await (await web.request('/archive')).text();
      expect(archive).toContain('sent 5');
    } finally {
      await app.close();
      project.cleanup();
    }
  });
});
