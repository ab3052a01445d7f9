import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createHttpApp } from '../../src/http/app.js';
import { createPreviewApp } from '../../src/preview/preview-app.js';
import { listMailbox } from '../../src/preview/mailbox.js';
import { unsubscribeUrl } from '../../src/audience/reader-links.js';
import type { App } from '../../src/app.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

const PUBLIC = TEST_ENV.PUBLIC_URL;
const links = (text: string, kind: 'u' | 'p') => [...new Set([...text.matchAll(new RegExp(`${PUBLIC.replace(/\./g, '\\.')}/${kind}/[A-Za-z0-9._~?=&%-]+`, 'g'))].map((m) => m[0]))];
const unescape = (html: string) =>
  html
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

describe("preview: a listed reader's links in previews and test sends do nothing", () => {
  let project: TestProject;
  let app: App;
  const clock = fixedClock('2026-11-28T15:00:00Z');

  beforeEach(async () => {
    project = makeProject();
    app = await openTestApp(project, { clock });
  });
  afterEach(async () => {
    await app.close();
    project.cleanup();
  });

  const http = () => createHttpApp({ store: app.store, config: app.config, clock, logger: app.logger, transport: app.transport });
  const local = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };

  /** Uses every link as a reader (or their mail client) would; none may change anything. */
  async function tryAll(unsubscribe: string[], preferences: string[]): Promise<void> {
    const web = http();
    for (const url of unsubscribe) {
      expect((await web.request(local(url))).status, url).toBe(400);
      const oneClick = await web.request(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(oneClick.status, url).toBe(400);
      const button = await web.request(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=yes' });
      expect(button.status, url).toBe(400);
    }
    for (const url of preferences) {
      expect((await web.request(local(url))).status, url).toBe(400);
      const all = await web.request(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=unsubscribe-all' });
      expect(all.status, url).toBe(400);
      const save = await web.request(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=save&locale=en&topics=nothing' });
      expect(save.status, url).toBe(400);
    }
  }

  it('the preview of a listed reader shows dummy links, marked as a test, that the public routes refuse', async () => {
    const web = createPreviewApp(app, { env: TEST_ENV });
    const page = unescape(await (await web.request('/n/weekly-brief?reader=jean.dupont%40example.fr')).text());
    expect(page).toContain('Bonjour Jean Dupont');
    const jean = (await app.store.findSubscriberByEmail('jean.dupont@example.fr'))!;
    const before = await app.store.getSubscription(jean.id, 'weekly-brief');
    expect(before?.state).toBe('consent');

    const header = /<tr><td>List-Unsubscribe<\/td><td><([^>]+)><\/td><\/tr>/.exec(page)?.[1];
    expect(header).toBeDefined();
    const unsubscribe = [...links(page, 'u'), header!];
    const preferences = links(page, 'p');
    expect(unsubscribe.length).toBeGreaterThanOrEqual(2);
    expect(preferences.length).toBeGreaterThanOrEqual(1);
    for (const url of [...unsubscribe, ...preferences]) expect(url).toMatch(/\?preview-test$/);
    // Not the reader's live link.
    expect(unsubscribe).not.toContain(unsubscribeUrl(PUBLIC, app.config.secrets[0]!, jean.id, 'weekly-brief'));

    await tryAll(unsubscribe, preferences);
    expect(await app.store.getSubscription(jean.id, 'weekly-brief')).toEqual(before);
    expect((await app.store.getSubscriber(jean.id))?.topics).toEqual(jean.topics);

    // The same checks do catch a live link: the reader's real one unsubscribes them.
    const live = await http().request(local(unsubscribeUrl(PUBLIC, app.config.secrets[0]!, jean.id, 'weekly-brief')), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(live.status).toBe(200);
    expect((await app.store.getSubscription(jean.id, 'weekly-brief'))?.state).toBe('withdrawn');
  });

  it('a test sent as a listed reader carries dummy links and no one-click List-Unsubscribe', async () => {
    const web = createPreviewApp(app, { env: TEST_ENV });
    const query = 'newsletter=weekly-brief&locale=fr&reader=jean.dupont%40example.fr';
    const page = await (await web.request(`/n/weekly-brief?${query}`, { headers: { host: '127.0.0.1:4000' } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const sent = await web.request(`/test?${query}`, {
      method: 'POST',
      headers: { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ to: 'someone.else@example.org', csrf }).toString(),
    });
    expect(sent.status).toBe(302);

    const [entry] = await listMailbox(app.transport.location!);
    expect(entry?.to).toBe('someone.else@example.org');
    const mail = await simpleParser(readFileSync(join(app.transport.location!, entry!.file)));
    expect(mail.subject).toMatch(/^\[TEST\] /);
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(mail.headers.has('list-unsubscribe-post')).toBe(false);
    const body = `${mail.text}\n${typeof mail.html === 'string' ? unescape(mail.html) : ''}`;
    expect(body).toContain('Jean Dupont');
    const unsubscribe = links(body, 'u');
    const preferences = links(body, 'p');
    expect(unsubscribe.length).toBeGreaterThanOrEqual(1);
    expect(preferences.length).toBeGreaterThanOrEqual(1);
    for (const url of [...unsubscribe, ...preferences]) expect(url).toMatch(/\?preview-test$/);

    const jean = (await app.store.findSubscriberByEmail('jean.dupont@example.fr'))!;
    const before = await app.store.getSubscription(jean.id, 'weekly-brief');
    await tryAll(unsubscribe, preferences);
    expect(await app.store.getSubscription(jean.id, 'weekly-brief')).toEqual(before);
    expect(before?.state).toBe('consent');
  });
});
