import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { reportIssues } from '../../src/service/report.js';
import { showPerson } from '../../src/service/audience-admin.js';
import { startBounceReceiver, type BounceReceiver } from '../../src/inbound/smtp-receiver.js';
import type { App } from '../../src/app.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type Received, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { arf, dsn, header } from '../helpers/reports.js';

/**
 * Issue 22 end to end through the built-in receiver and `bounces import`: a send, reports that
 * come back later, and the row's and the address's state. Forged reports change nothing.
 */
const BOUNCE_DOMAIN = 'bounces.news.example.org';
const SENT_AT = '2026-11-28T15:00:00Z';

describe('reports after the 250: the bounce receiver and bounces import', () => {
  let project: TestProject;
  let sink: SmtpSink;
  let app: App;
  let receiver: BounceReceiver;
  const clock = fixedClock(SENT_AT);
  const mail = (email: string): Received => sink.received.find((m) => m.to[0] === email)!;
  const rowOf = async (m: Received) => (await app.store.outboxRows(1)).find((r) => r.email === m.to[0])!;
  const consentOf = async (email: string) => (await app.store.getSubscription((await app.store.findSubscriberByEmail(email))!.id, 'weekly-brief'))?.state;
  const suppressed = async (email: string) => app.store.suppression((await app.store.findSubscriberByEmail(email))!.id);
  const deliver = async (to: string, raw: Buffer) => {
    const client = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    try {
      return await client.sendMail({ envelope: { from: '', to: [to] }, raw });
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    project = makeProject({
      // For the second issue (sent despite the complaint guard): after the first issue's slot and the time it was sent.
      articles: { 'later.md': '---\ntitle: A later story\ndate: 2026-12-01\nurl: https://news.example.org/later\n---\nSomething new happened.\n' },
      config: (y) =>
        y.replace('retryLifetime: 3d', `retryLifetime: 3d\n  bounceAddress: "bounces+{id}@${BOUNCE_DOMAIN}"`) +
        `\nbounces:\n  smtp: { host: 127.0.0.1, port: 0 }\n  softBounces: { limit: 2, within: 30d }\n`,
    });
    sink = await startSmtpSink();
    app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock });
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBe(CONSENTING.length);
    receiver = await startBounceReceiver(app, { host: '127.0.0.1', port: 0 });
    clock.set('2026-11-28T16:00:00Z');
  });
  afterAll(async () => {
    await receiver?.close();
    await app?.close();
    await sink?.close();
    project?.cleanup();
  });

  it('sends with a signed VERP envelope sender and a mailto unsubscribe beside the https link', () => {
    for (const m of sink.received) {
      expect(m.from).toMatch(new RegExp(`^bounces\\+\\d+-[a-z2-7]{10}@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}$`));
      expect(header(m, 'List-Unsubscribe')).toMatch(new RegExp(`^<https://news\\.example\\.test/u/[^>]+>, <mailto:unsubscribe\\+\\d+-[a-z2-7]{10}@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}>$`));
    }
  });

  it('refuses mail for any other address at RCPT: not an open relay, not a mailbox', async () => {
    await expect(deliver(`someone@${BOUNCE_DOMAIN}`, Buffer.from('Subject: hi\r\n\r\nhello\r\n'))).rejects.toMatchObject({ responseCode: 550 });
    await expect(deliver('victim@example.org', Buffer.from('Subject: hi\r\n\r\nhello\r\n'))).rejects.toMatchObject({ responseCode: 550 });
  });

  it('a hard bounce to the VERP address marks the row bounced after sent, suppresses the address and records a consent event; the same report twice changes nothing more', async () => {
    const m = mail('ada@example.com');
    expect((await rowOf(m)).state).toBe('sent');
    await deliver(m.from, dsn(m));
    expect((await rowOf(m)).state).toBe('bounced');
    expect((await suppressed('ada@example.com'))?.reason).toMatch(/hard bounce \(smtp\): 5\.1\.1/);
    expect(await consentOf('ada@example.com')).toBe('bounced');
    const person = await showPerson(app, 'ada@example.com');
    expect(person.reports.map((e) => [e.kind, e.channel, e.matchedBy, e.effect])).toEqual([['hard-bounce', 'smtp', 'verp', 'bounced, suppressed']]);
    expect(person.reports[0]!.diagnostic).toMatch(/User unknown/);
    await deliver(m.from, dsn(m));
    expect((await showPerson(app, 'ada@example.com')).reports).toHaveLength(1);
  });

  it('a forged bounce (altered VERP tag, our Message-ID altered) changes nothing and is listed as unmatched', async () => {
    const m = mail('grace@example.com');
    const forgedTo = m.from.replace(/-([a-z2-7]{10})@/, (_, tag: string) => `-${tag.split('').reverse().join('')}@`);
    const forged = Buffer.from(
      dsn(m, { to: forgedTo })
        .toString('utf8')
        .replace(/^(Message-ID: <[^.]+\.\d+\.\d+-)[a-z2-7]{10}/m, '$1aaaaaaaaaa'),
    );
    await deliver(forgedTo, forged);
    expect((await rowOf(m)).state).toBe('sent');
    expect(await consentOf('grace@example.com')).toBe('consent');
    expect(await suppressed('grace@example.com')).toBeUndefined();
    const unmatched = await app.store.deliveryEvents({ unmatched: true });
    expect(unmatched.some((e) => e.recipient === 'grace@example.com' && e.effect === null)).toBe(true);
  });

  it('a complaint (ARF) marks the row complained, withdraws consent and suppresses; report counts and rates show it, and the guard holds the next issue', async () => {
    const m = mail('camille@example.fr');
    await deliver(m.from, arf(m, m.from));
    expect((await rowOf(m)).state).toBe('complained');
    expect(await consentOf('camille@example.fr')).toBe('complained');
    expect((await suppressed('camille@example.fr'))?.reason).toMatch(/complaint/);
    const [r] = await reportIssues(app, { issue: 1, recipients: true });
    expect(r!.counts).toMatchObject({ bounced: 1, complained: 1, sent: CONSENTING.length - 2 });
    expect(r!.rates).toMatchObject({ left: CONSENTING.length, complained: 1, complaints: 'pause' });
    expect(r!.domains.find((d) => d.domain === 'example.fr')).toMatchObject({ complaintRate: 0.5 });
    expect(r!.reports!.map((e) => e.kind).sort()).toEqual(['complaint', 'hard-bounce', 'hard-bounce']);
    // One complaint in five is far above 0.3 %: the next slot's issue is not made without the operator.
    clock.set('2026-12-05T12:00:00Z');
    const held = await sendNewsletter(app, app.config.newsletters[0]!, { at: new Date('2026-12-07T08:00:00Z') });
    expect(held.status).toBe('paused');
    expect(held.paused).toMatch(/issue #1 drew complaints from 1 of 5 readers \(20\.0 %\), above bounces\.complaints\.pauseRate 0\.30 %/);
    expect(await app.store.latestIssue('weekly-brief')).toMatchObject({ id: 1 });
    clock.set('2026-11-28T16:00:00Z');
  });

  it('a mail to the mailto unsubscribe address withdraws consent like the https link; a forged one does nothing', async () => {
    const m = mail('jean.dupont@example.fr');
    const address = /mailto:([^>]+)>/.exec(header(m, 'List-Unsubscribe'))![1]!;
    await deliver(address.replace(/-[a-z2-7]{10}@/, '-aaaaaaaaaa@'), Buffer.from('Subject: unsubscribe\r\n\r\n'));
    expect(await consentOf('jean.dupont@example.fr')).toBe('consent');
    await deliver(address, Buffer.from('Subject: unsubscribe\r\n\r\n'));
    expect(await consentOf('jean.dupont@example.fr')).toBe('withdrawn');
    expect(await suppressed('jean.dupont@example.fr')).toBeUndefined();
  });

  it('soft bounces count once per message, and suppress at bounces.softBounces.limit messages within the period; a held newsletter sends with --despite-complaints', async () => {
    const first = mail('layla@example.net');
    await deliver(first.from, dsn(first, { status: '4.2.2', action: 'delayed', diagnostic: 'smtp; 452 4.2.2 Mailbox full (first try)' }));
    await deliver(first.from, dsn(first, { status: '4.2.2', action: 'delayed', diagnostic: 'smtp; 452 4.2.2 Mailbox full (second try)' }));
    // Two delays of one message are one soft bounce: not yet the limit of 2.
    expect(await suppressed('layla@example.net')).toBeUndefined();
    expect((await rowOf(first)).state).toBe('sent');
    clock.set('2026-12-07T09:00:00Z');
    const second = await sendNewsletter(app, app.config.newsletters[0]!, { at: new Date('2026-12-07T08:00:00Z'), despiteComplaints: true });
    expect(second).toMatchObject({ status: 'delivered', issue: { id: 2, articles: 1 } });
    const next = sink.received.find((m) => m.to[0] === 'layla@example.net' && header(m, 'X-Newsletter-Issue') === 'weekly-brief/2')!;
    await deliver(next.from, dsn(next, { status: '4.2.2', action: 'delayed', diagnostic: 'smtp; 452 4.2.2 Mailbox full' }));
    expect((await suppressed('layla@example.net'))?.reason).toMatch(/^2 soft bounces since/);
    expect(await consentOf('layla@example.net')).toBe('bounced');
  });

  it('bounces import takes .eml files (the same outcome as the receiver) and says what changed; a missing file exits 2', async () => {
    const m = mail('grace@example.com');
    const file = join(project.dir, 'grace-bounce.eml');
    writeFileSync(file, dsn(m));
    const env = { SMTP_URL: '', PUBLIC_URL: 'https://news.example.test', NEWSLETTER_SECRET: 'test-secret-0123456789abcdef' };
    const first = await runCli(['bounces', 'import', '--config', project.configFile, file], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/1 file\(s\) read, 1 report\(s\): 0 seen before, 0 matched nothing of ours .*changed: 1 bounced, suppressed/);
    expect((await rowOf(m)).state).toBe('bounced');
    const again = await runCli(['bounces', 'import', '--config', project.configFile, file, join(project.dir, 'missing.eml')], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/1 report\(s\): 1 seen before/);
    expect(again.stderr).toMatch(/missing\.eml: no such file/);
  });
});
