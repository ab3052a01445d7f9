import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { unsubscribeUrl } from '../../src/audience/reader-links.js';
import { signToken } from '../../src/domain/tokens.js';
import type { App } from '../../src/app.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

describe('HTTP: one-click unsubscribe (RFC 8058) and archive', () => {
  let project: TestProject;
  let sink: SmtpSink;
  let app: App;
  const clock = fixedClock('2026-11-28T15:00:00Z');

  beforeEach(async () => {
    project = makeProject();
    sink = await startSmtpSink();
    app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock });
  });
  afterEach(async () => {
    await app.close();
    await sink.close();
    project.cleanup();
  });

  const http = () => createHttpApp({ store: app.store, config: app.config, clock, logger: app.logger, transport: app.transport });
  const pathOf = (url: string) => new URL(url).pathname;

  it('GET shows a confirmation page and changes nothing; POST List-Unsubscribe=One-Click withdraws with 200 and no redirect', async () => {
    await sendNewsletter(app, app.config.newsletters[0]!); // syncs the list
    const ada = (await app.store.findSubscriberByEmail('ada@example.com'))!;
    const url = unsubscribeUrl(app.config.publicUrl, app.config.secrets[0]!, ada.id, 'weekly-brief');

    const get = await http().request(pathOf(url));
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<form method="post">');
    expect((await app.store.getSubscription(ada.id, 'weekly-brief'))?.state).toBe('consent');

    const post = await http().request(pathOf(url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('location')).toBeNull();
    const sub = await app.store.getSubscription(ada.id, 'weekly-brief');
    expect(sub).toMatchObject({ state: 'withdrawn', source: 'one-click' });

    // Multipart works too, and a repeat is harmless.
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await http().request(pathOf(url), { method: 'POST', body: form })).status).toBe(200);
  });

  it('a forged or altered token changes nothing and says so', async () => {
    await sendNewsletter(app, app.config.newsletters[0]!);
    const grace = (await app.store.findSubscriberByEmail('grace@example.com'))!;
    const forged = signToken({ p: 'unsubscribe', s: grace.id, n: 'weekly-brief' }, 'not-the-secret-at-all!!');
    const genuine = unsubscribeUrl(app.config.publicUrl, app.config.secrets[0]!, grace.id, 'weekly-brief');
    const [body, mac] = pathOf(genuine).slice(3).split('.');
    const otherReader = Buffer.from(JSON.stringify({ p: 'unsubscribe', s: grace.id + 1, n: 'weekly-brief' })).toString('base64url');
    for (const token of [forged, `${otherReader}.${mac}`, `${body}.${mac!.slice(0, -2)}xx`, 'garbage']) {
      const r = await http().request(`/u/${token}`, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/not valid|incomplete/);
    }
    const states = await Promise.all(CONSENTING.map(async (e) => (await app.store.getSubscription((await app.store.findSubscriberByEmail(e))!.id, 'weekly-brief'))?.state));
    expect(states.every((s) => s === 'consent')).toBe(true);
  });

  it('a reader who unsubscribes is not mailed the next issue', async () => {
    const first = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(first.counts.sent).toBe(CONSENTING.length);
    const jean = (await app.store.findSubscriberByEmail('jean.dupont@example.fr'))!;
    const url = unsubscribeUrl(app.config.publicUrl, app.config.secrets[0]!, jean.id, 'weekly-brief');
    await http().request(pathOf(url), { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
    // A new article arrives; the next slot's issue goes to everyone else.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${project.dir}/articles/new.md`, '---\ntitle: Fresh news\ndate: 2026-11-29\nlang: en\ntopics: [climate]\n---\nSomething happened.\n');
    clock.set('2026-11-30T09:00:00Z');
    sink.received.length = 0;
    const second = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(second.issue?.articles).toBe(1);
    expect(sink.received.flatMap((r) => r.to).sort()).toEqual(CONSENTING.filter((e) => e !== 'jean.dupont@example.fr'));
  });

  it('serves health, the web version of an issue and the page of an article without a URL', async () => {
    const s = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(await (await http().request('/healthz')).json()).toEqual({ status: 'ok' });
    const web = await http().request(`/archive/weekly-brief/issues/${s.issue!.id}?lang=fr`);
    expect(web.status).toBe(200);
    const html = await web.text();
    expect(html).toContain('Lire la suite');
    expect(html).not.toContain('@@NLR_');
    const article = await http().request('/archive/weekly-brief/articles/north-korea-iran');
    expect(article.status).toBe(200);
    const text = await article.text();
    expect(text).toContain('If North Korea and Iran hook up, will China be jealous?');
    expect(text).not.toContain('Privacy Policy');
    expect((await http().request('/archive/weekly-brief/articles/nope')).status).toBe(404);
  });
});
