import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { createHttpApp } from '../../src/http/app.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { syncList } from '../../src/service/sync-list.js';
import { preferencesUrl, unsubscribeUrl } from '../../src/audience/reader-links.js';
import type { App } from '../../src/app.js';
import type { Transport } from '../../src/transport/transport.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

const NOW = '2026-11-28T15:00:00Z';

describe('audience over HTTP: double opt-in, preferences, unsubscribe mid-send', () => {
  let project: TestProject;
  let sink: SmtpSink;
  let app: App;
  const clock = fixedClock(NOW);
  beforeEach(async () => {
    clock.set(NOW);
    project = makeProject();
    sink = await startSmtpSink();
    app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock });
  });
  afterEach(async () => {
    await app.close();
    await sink.close();
    project.cleanup();
  });
  const http = (transport: Transport = app.transport) => createHttpApp({ store: app.store, config: app.config, clock, logger: app.logger, transport });
  const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const mails = (): Promise<ParsedMail[]> => sink.parsed();
  const linkIn = (m: ParsedMail, prefix: string) => new URL((m.text ?? '').match(new RegExp(`https://news\\.example\\.test/${prefix}/[\\w.-]+`))![0]).pathname;

  it("subscribe records a pending consent with its proof and mails a confirmation in the reader's language; confirming records consent once", async () => {
    const h = http();
    const r = await h.request('/subscribe', json({ email: ' Zoe@Example.org ', name: 'Zoé', newsletter: 'weekly-brief' }, { 'accept-language': 'fr-CA,fr;q=0.9', 'user-agent': 'TestBrowser/1.0' }));
    expect(r.status).toBe(202);
    await h.settled(); // the sign-up is handled after the answer
    const [confirm] = await mails();
    expect(confirm!.subject).toBe('Merci de confirmer votre abonnement à The Weekly Brief');
    expect(confirm!.text).toContain('Confirmer mon abonnement');
    expect(confirm!.headerLines.some((l) => l.key === 'list-unsubscribe')).toBe(false); // not on the list yet, no advertising
    const zoe = (await app.store.findSubscriberByEmail('zoe@example.org'))!;
    expect((await app.store.getSubscription(zoe.id, 'weekly-brief'))?.state).toBe('pending');
    const [pending] = await app.store.consentEvents(zoe.id);
    expect(pending).toMatchObject({ kind: 'pending', source: 'subscribe-form', userAgent: 'TestBrowser/1.0', wording: 'signup-form-v1' });

    const path = linkIn(confirm!, 'c');
    const page = await h.request(path); // a GET changes nothing, and speaks Zoé's language
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html lang="fr" dir="ltr">[\s\S]*<h1>Confirmez votre abonnement à The Weekly Brief<\/h1>/);
    expect((await app.store.getSubscription(zoe.id, 'weekly-brief'))?.state).toBe('pending');
    expect((await h.request(path, { method: 'POST' })).status).toBe(200);
    expect((await app.store.getSubscription(zoe.id, 'weekly-brief'))?.state).toBe('consent');
    const again = await h.request(path, { method: 'POST' }); // replayed
    expect(await again.text()).toContain('Vous êtes déjà abonné·e à The Weekly Brief');
    expect((await app.store.consentEvents(zoe.id)).filter((e) => e.kind === 'consent')).toHaveLength(1);

    // Re-subscribing an active address sends nothing new, and answers exactly as before.
    const repeat = await h.request('/subscribe', json({ email: 'zoe@example.org' }));
    expect(repeat.status).toBe(202);
    expect(await repeat.json()).toEqual(await (await h.request('/subscribe', json({ email: 'someone-new@example.org' }))).json());
    await h.settled();
    expect((await mails()).map((m) => (m.to as { value: { address: string }[] }).value[0]!.address)).toEqual(['zoe@example.org', 'someone-new@example.org']);
  });

  it('refuses what must not reach a header or the store: bad addresses, header injection, oversized posts, forged or expired confirm links', async () => {
    const h = http();
    expect((await h.request('/subscribe', json({ email: 'not an address' }))).status).toBe(400);
    expect((await h.request('/subscribe', json({ email: 'a@b.c\r\nBcc: victim@example.com' }))).status).toBe(400);
    const r = await h.request('/subscribe', json({ email: 'eve@example.org', name: 'Eve\r\nBcc: victim@example.com', timezone: 'Mars/Olympus', locale: 'xx-!!' }));
    expect(r.status).toBe(202);
    await h.settled();
    expect(sink.received.flatMap((m) => m.to)).toEqual(['eve@example.org']);
    const eve = (await app.store.findSubscriberByEmail('eve@example.org'))!;
    expect(eve).toMatchObject({ name: 'Eve Bcc: victim@example.com', timezone: '', locale: '' });
    const raw = sink.received[0]!.raw.toString('utf8');
    expect(raw).not.toMatch(/^Bcc:/im);

    const big = await h.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `email=x@example.org&name=${'a'.repeat(40_000)}` });
    expect(big.status).toBe(413);

    const [confirm] = await sink.parsed();
    const path = linkIn(confirm!, 'c');
    const tampered = path.replace(/\.(\w)/, (_, ch: string) => `.${ch === 'A' ? 'B' : 'A'}`);
    expect((await h.request(tampered, { method: 'POST' })).status).toBe(400);
    clock.set('2026-12-06T15:00:00Z'); // 8 days later: the 7-day link has expired
    const expired = await h.request(path, { method: 'POST' });
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('expired');
    expect((await app.store.getSubscription(eve.id, 'weekly-brief'))?.state).toBe('pending');
  });

  it('rate-limits sign-ups per client and confirmation mails per address', async () => {
    const h = http();
    for (let i = 0; i < 3; i++) expect((await h.request('/subscribe', json({ email: 'target@example.org' }))).status).toBe(202);
    expect((await h.request('/subscribe', json({ email: 'target@example.org' }))).status).toBe(202);
    await h.settled();
    expect(sink.received.filter((m) => m.to.includes('target@example.org'))).toHaveLength(3);
    for (let i = 0; i < 6; i++) await h.request('/subscribe', json({ email: `n${i}@example.org` }));
    expect((await h.request('/subscribe', json({ email: 'late@example.org' }))).status).toBe(429);
  });

  it('the preference page changes language and topics and can unsubscribe from everything', async () => {
    await sendNewsletter(app, app.config.newsletters[0]!);
    const ada = (await app.store.findSubscriberByEmail('ada@example.com'))!;
    const path = new URL(preferencesUrl(app.config.publicUrl, app.config.secrets[0]!, ada.id, 'weekly-brief')).pathname;
    const page = await (await http().request(path)).text();
    expect(page).toContain('ada@example.com');
    expect(page).toContain('name="newsletters" value="weekly-brief" checked');
    const form = new URLSearchParams({ action: 'save', locale: 'fr', topics: 'climate, culture', newsletters: 'weekly-brief' });
    expect((await http().request(path, { method: 'POST', body: form })).status).toBe(200);
    expect(await app.store.getSubscriber(ada.id)).toMatchObject({ locale: 'fr', topics: ['climate', 'culture'] });
    expect((await app.store.getSubscription(ada.id, 'weekly-brief'))?.state).toBe('consent');
    await http().request(path, { method: 'POST', body: new URLSearchParams({ action: 'unsubscribe-all' }) });
    expect(await app.store.getSubscription(ada.id, 'weekly-brief')).toMatchObject({ state: 'withdrawn', source: 'preferences-unsubscribe-all' });
    // Every issue carries the preferences link.
    const [m] = await sink.parsed();
    expect(m!.text).toMatch(/Preferences|Préférences|التفضيلات/);
    expect(m!.text).toContain('https://news.example.test/p/');
  });

  it('a reader who unsubscribes by one-click POST while the issue is sending gets nothing further', async () => {
    await app.close();
    const p2 = makeProject({ config: (y) => y.replace('batchSize: 50', 'batchSize: 1') });
    app = await openTestApp(p2, { env: { SMTP_URL: sink.url }, clock });
    const real = app.transport;
    let unsubscribed = false;
    // After the first message goes out, the last reader in line unsubscribes (as if from an earlier issue).
    const watching: Transport = {
      name: real.name,
      async send(m) {
        const r = await real.send(m);
        if (!unsubscribed) {
          unsubscribed = true;
          const layla = (await app.store.findSubscriberByEmail('layla@example.net'))!;
          const res = await http(real).request(new URL(unsubscribeUrl(app.config.publicUrl, app.config.secrets[0]!, layla.id, 'weekly-brief')).pathname, {
            method: 'POST',
            body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
          });
          expect(res.status).toBe(200);
        }
        return r;
      },
      close: () => real.close(),
    };
    const summary = await sendNewsletter({ ...app, transport: watching }, app.config.newsletters[0]!);
    expect(summary.counts).toMatchObject({ sent: CONSENTING.length - 1, skipped: 1 });
    expect(sink.received.flatMap((m) => m.to)).not.toContain('layla@example.net');
    p2.cleanup();
  });

  it('callers that sync the list at the same time share one sync, and a later caller starts its own', async () => {
    const at = new Date(NOW);
    const [a, b] = [syncList(app, 'weekly-brief', at), syncList(app, 'weekly-brief', at)];
    expect(b).toBe(a);
    expect((await a).changed).toBe(true);
    const later = syncList(app, 'weekly-brief', at);
    expect(later).not.toBe(a);
    expect((await later).changed).toBe(false);
  });

  it('a fr-CA reader gets French with Montreal dates; a Paris reader the Paris date', async () => {
    await app.close();
    // 01:30 in Paris on Monday the 23rd is still Sunday the 22nd in Montreal.
    const p2 = makeProject({ config: (y) => y.replace('schedule: "0 8 * * 1"', 'schedule: "30 1 * * 1"') });
    app = await openTestApp(p2, { env: { SMTP_URL: sink.url }, clock });
    await sendNewsletter(app, app.config.newsletters[0]!);
    const all = await sink.parsed();
    const to = (m: ParsedMail) => (m.to as { value: { address: string }[] }).value[0]!.address;
    const jean = all.find((m) => to(m) === 'jean.dupont@example.fr')!; // fr-CA, America/Montreal
    const camille = all.find((m) => to(m) === 'camille@example.fr')!; // fr, Europe/Paris
    expect(jean.text).toContain('22 novembre 2026');
    expect(jean.subject).toContain('22 novembre 2026');
    expect(camille.text).toContain('23 novembre 2026');
    p2.cleanup();
  });
});
