import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ParsedMail } from 'mailparser';
import type { App } from '../../src/app.js';
import type { NewsletterConfig } from '../../src/config/schema.js';
import { startPreview, type RunningPreview } from '../../src/preview/serve.js';
import { approveIssue, openDueDrafts } from '../../src/service/review.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { CONSENTING, makeProject, REPO, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/browser.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { seriousAxeViolations } from '../helpers/page-checks.js';
import { hashPassword } from '../../src/domain/password-hash.js';

const PASSWORD = 'correct horse battery staple';
const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');
// Mondays 08:00 Europe/Paris: the slot of Monday 30 November 2026 is 07:00 UTC.
const SLOT = '2026-11-30T07:00:00.000Z';

function article(id: string, title: string, date: string, summary: string): string {
  return `---\nid: ${id}\ntitle: ${title}\ndate: ${date}\nlang: en\ntopics: [technology]\nsummary: ${summary}\n---\n\n${summary}\n`;
}

const to = (m: ParsedMail) => (m.to as { value: { address: string }[] }).value[0]!.address;

describe('editors review a draft in Chromium, and it goes as they left it', () => {
  let project: TestProject;
  let app: App;
  let newsletter: NewsletterConfig;
  let sink: SmtpSink;
  let preview: RunningPreview;
  let browser: Browser;
  let attacker: Server;
  let draftId: number;
  const clock = fixedClock('2026-11-23T07:00:00Z');

  beforeAll(async () => {
    const hash = await hashPassword(PASSWORD);
    project = makeProject({
      config: (yaml) =>
        yaml
          .replace('newsletters:', `preview:\n  editors:\n    - { name: Inès, passwordHash: "${hash}" }\n\nnewsletters:`)
          .replace('    catchUpGrace: 6h\n', '    catchUpGrace: 6h\n    review:\n      mode: required\n      opensBefore: 24h\n      notify: [editor@example.org]\n'),
      articles: {
        'tram.md': article('tram-returns', 'The tram returns to the old town', '2026-11-24', 'Twenty years after the last line closed, the old town has trams again.'),
        'bees.md': article('city-bees', 'City bees outnumber country bees', '2026-11-25', 'Urban hives now produce more honey per colony than rural ones.'),
        'ferry.md': article('electric-ferry', 'The first electric ferry crosses the strait', '2026-11-26', 'Forty minutes, no diesel, and a quiet deck.'),
      },
    });
    sink = await startSmtpSink();
    const env = { ...TEST_ENV, SMTP_URL: sink.url };
    app = await openTestApp(project, { env, clock });
    newsletter = app.config.newsletters[0]!;
    // The first issue (firstIssue: immediate) goes at the slot before, without review of its own.
    const first = await sendNewsletter(app, newsletter, { slot: new Date('2026-11-23T07:00:00Z') });
    // Under review mode required, it waits for approval too: approved, it goes.
    if (first.status === 'waiting') await approveIssue(app, 'setup', newsletter.id, first.issue!.id);
    expect((await sendNewsletter(app, newsletter, { slot: new Date('2026-11-23T07:00:00Z') })).counts.sent).toBe(CONSENTING.length);
    clock.set('2026-11-29T12:00:00Z');
    const [opened] = await openDueDrafts(app, clock.now());
    draftId = opened!.issue!.id;
    sink.received.length = 0;
    preview = await startPreview(app, { env, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    // Another site (localhost is not 127.0.0.1 to a browser) whose page posts to the preview.
    const target = new URL(`/issues/${draftId}/approve`, preview.url).href;
    attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id="f" method="post" action="${target}"><input name="csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    await preview?.close();
    await app?.close();
    await sink?.close();
    project?.cleanup();
  });

  it('signs in, excludes, pins, writes notes in en and fr, approves; a forged request changes nothing; the readers get the edited issue', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      // A wrong password changes nothing and shows nothing.
      await page.goto(new URL('/issues', preview.url).href);
      expect(page.url()).toContain('/sign-in?next=%2Fissues');
      await page.fill('input[name=name]', 'Inès');
      await page.fill('input[name=password]', 'not the password');
      await Promise.all([page.waitForURL(/\/sign-in$/), page.click('button:has-text("Sign in")')]);
      expect(await page.locator('#problem').innerText()).toBe('Wrong name or password.');
      const anonymous = await context.request.post(new URL(`/issues/${draftId}/edit`, preview.url).href, {
        form: { action: 'exclude', article: 'electric-ferry' },
        headers: { origin: new URL(preview.url).origin },
        maxRedirects: 0,
      });
      expect(anonymous.status()).toBe(401);

      await page.fill('input[name=name]', 'Inès');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(/\/issues$/), page.click('button:has-text("Sign in")')]);
      expect(await page.locator(`#issues tr:has(a[href="/issues/${draftId}"]) .state`).innerText()).toBe('draft');
      await Promise.all([page.waitForURL(new RegExp(`issue=${draftId}`)), page.click(`a[href="/issues/${draftId}"]`)]);
      expect(await page.locator('#review-state').innerText()).toMatch(/nothing is sent until an editor approves it/);
      expect(await page.locator('#review-articles li').evaluateAll((li) => li.map((l) => l.getAttribute('data-article')))).toEqual(['electric-ferry', 'city-bees', 'tram-returns']);

      await Promise.all([page.waitForURL(/sent=Saved/), page.click('button[aria-label="Exclude: City bees outnumber country bees"]')]);
      await Promise.all([page.waitForURL(/sent=Saved/), page.click('button[aria-label="Pin as lead: The tram returns to the old town"]')]);
      await page.fill('#note-en', 'A **busy** week for cities. <b>not bold</b>');
      await Promise.all([page.waitForURL(/sent=Saved/), page.click('button:has-text("Save en note")')]);
      await page.fill('#note-fr', 'Une semaine *chargée* pour les villes.');
      await Promise.all([page.waitForURL(/sent=Saved/), page.click('button:has-text("Save fr note")')]);
      await page.fill('#subject-fr', 'Trams, ferries et abeilles');
      await Promise.all([page.waitForURL(/sent=Saved/), page.click('button:has-text("Save fr subject")')]);
      expect(await page.locator('#review-articles li').evaluateAll((li) => li.map((l) => l.getAttribute('data-article')))).toEqual(['tram-returns', 'electric-ferry']);
      expect(await page.locator('#review-excluded li').getAttribute('data-article')).toBe('city-bees');
      // The email in the page shows the note, as readers will get it.
      const frame = page.frameLocator('#desktop');
      expect(await frame.locator('.editor-note').innerText()).toContain('A busy week for cities. <b>not bold</b>');
      expect(await frame.locator('.editor-note strong').innerText()).toBe('busy');
      expect(await page.locator('#edits').innerText()).toMatch(/Inès\s+excluded "City bees outnumber country bees"/);
      expect(await seriousAxeViolations(page)).toEqual([]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'review-draft.png'), fullPage: true });

      // Another site's form, posted from this very browser, approves nothing: from localhost (another
      // site to the browser) the Strict cookie stays home (401); from another port of 127.0.0.1 (same
      // site, so the cookie goes) the same-origin check refuses it (403).
      const port = (attacker.address() as AddressInfo).port;
      for (const [origin, status] of [
        [`http://localhost:${port}/`, 401],
        [`http://127.0.0.1:${port}/`, 403],
      ] as const) {
        const forged = await context.newPage();
        const answer = forged.waitForResponse((r) => r.url().includes(`/issues/${draftId}/approve`));
        await forged.goto(origin);
        expect((await answer).status(), origin).toBe(status);
        await forged.close();
      }
      expect((await app.store.getIssue(draftId))!.review?.state).toBe('draft');
      expect(await app.store.issueEdits(draftId)).toHaveLength(5);

      // The slot comes and nobody approved: nothing goes to readers; the editor is reminded.
      clock.set('2026-11-30T07:00:05Z');
      const waiting = await sendNewsletter(app, newsletter, { slot: new Date(SLOT) });
      expect(waiting.status).toBe('waiting');
      expect(sink.received.flatMap((r) => r.to)).toEqual(['editor@example.org']);

      // Approved half an hour late, within catchUpGrace: the next tick sends it.
      clock.set('2026-11-30T07:30:00Z');
      // The next morning the session (12 h) has ended: the editor signs in again and lands on the issue.
      await page.goto(new URL(`/issues/${draftId}`, preview.url).href);
      expect(page.url()).toContain(`/sign-in?next=%2Fissues%2F${draftId}`);
      await page.fill('input[name=name]', 'Inès');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(new RegExp(`issue=${draftId}$`)), page.click('button:has-text("Sign in")')]);
      await Promise.all([page.waitForURL(/sent=Approved/), page.click('#approve')]);
      expect(await page.locator('#review-state').innerText()).toMatch(/^Approved by Inès/);
      expect(await page.locator('#approve').count()).toBe(0);
      expect(await page.locator('textarea, input[name=text]').count()).toBe(0);
      expect(await page.locator('pre#note-fr').innerText()).toBe('Une semaine *chargée* pour les villes.');
      sink.received.length = 0;
      const sent = await sendNewsletter(app, newsletter, { slot: new Date(SLOT) });
      expect(sent.status).toBe('delivered');
      const mails = await sink.parsed();
      expect(mails.map(to).sort()).toEqual([...CONSENTING].sort());
      const en = mails.find((m) => to(m) === 'ada@example.com')!;
      const fr = mails.find((m) => to(m) === 'camille@example.fr')!;
      expect(fr.subject).toBe('Trams, ferries et abeilles');
      expect(String(fr.html)).toContain('<em>chargée</em>');
      expect(String(en.html)).toContain('<strong>busy</strong>');
      expect(String(en.html)).toContain('&lt;b&gt;not bold&lt;/b&gt;');
      expect(String(en.html)).not.toContain('City bees');
      expect(String(en.html).indexOf('The tram returns')).toBeLessThan(String(en.html).indexOf('The first electric ferry'));
      expect(en.text).toContain('A busy week for cities.');
    } finally {
      await context.close();
    }
  });

  it("speaks the editor's browser language in its own chrome (French, Arabic right to left), the email still in the reader's", async () => {
    for (const [locale, lang, heading, dir] of [
      ['fr-FR', 'fr', 'Numéros', 'ltr'],
      ['ar', 'ar', 'الأعداد', 'rtl'],
    ] as const) {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      try {
        await page.goto(new URL('/issues', preview.url).href);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        expect(await page.locator('button').innerText()).toBe(lang === 'fr' ? 'Se connecter' : 'تسجيل الدخول');
        await page.fill('input[name=name]', 'Inès');
        await page.fill('input[name=password]', PASSWORD);
        await Promise.all([page.waitForURL(/\/issues$/), page.click('button')]);
        expect(await page.locator('h1').innerText()).toBe(heading);
        expect(await page.evaluate(() => getComputedStyle(document.body).direction)).toBe(dir);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await Promise.all([page.waitForURL(new RegExp(`issue=${draftId}`)), page.click(`a[href="/issues/${draftId}"]`)]);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        expect(await page.locator('#review-title').innerText()).toContain(lang === 'fr' ? 'Relecture : numéro n° ' : 'مراجعة: العدد رقم');
        expect(await page.evaluate(() => getComputedStyle(document.querySelector('#review')!).direction)).toBe(dir);
        // The email in the frame is the reader's, not the editor's: the sample reader reads English.
        expect(await page.frameLocator('#desktop').locator('html').getAttribute('lang')).toBe('en');
        expect(await seriousAxeViolations(page)).toEqual([]);
        await page.screenshot({ path: join(SCREENSHOTS, `review-chrome-${lang}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    }
  });
});
