import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { createServer, type AddressInfo } from 'node:net';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/domain/logger.js';
import { readTaggedAddress } from '../../src/domain/outbox-tags.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { takeReportMail } from '../../src/service/bounce-intake.js';
import { startImapPoller } from '../../src/inbound/imap-poller.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type Received } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';
import { dsn } from '../helpers/reports.js';

/** A loopback port nothing listens on (it was free a moment ago). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

const BOUNCES = 'bounces+{id}@news.example.org';
const SENT_AT = '2026-11-28T15:00:00Z';
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** A forger who knows the reader and the issue but not our secret: every signed tag altered. */
function forged(m: Received): Buffer {
  const flip = (tag: string) => tag.replace(/-([a-z2-7])/, (_x, c: string) => `-${c === 'a' ? 'b' : 'a'}`);
  const verp = m.from.replace(/\+([^@]+)@/, (_x, t: string) => `+${flip(t)}@`);
  const raw = m.raw.toString('utf8').replace(/^(Message-ID: <[^>]*\.)(\d+-[a-z2-7]{10})(\.)/im, (_x, a: string, t: string, c: string) => a + flip(t) + c);
  if (raw === m.raw.toString('utf8')) throw new Error('no signed Message-ID to alter');
  return dsn({ ...m, raw: Buffer.from(raw) }, { to: verp });
}

function outOfOffice(m: Received): string {
  return CRLF(`Delivered-To: ${m.from}
Date: Sat, 28 Nov 2026 15:05:00 +0100
From: ${m.to[0]}
To: ${m.from}
Subject: Out of office: The Weekly Brief
Auto-Submitted: auto-replied
X-Autoreply: yes
Message-ID: <ooo-1@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

I am away until 7 December with no access to mail.
`);
}

// Each test sends an issue and talks to Dovecot before it starts: give the hooks room on a busy machine.
describe('bounces and complaints from an IMAP mailbox (a real Dovecot)', { timeout: 60_000 }, () => {
  let dovecot: Dovecot;
  let project: TestProject;
  let app: App;
  let mails: Received[];
  let imap: ImapFlow;
  let logs: string[];
  const others: App[] = [];
  const recording: Logger = { info: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), warn: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), error: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`) };
  const open = (env: Record<string, string> = {}) => openTestApp(project, { env: { IMAP_PASSWORD: dovecot.password, ...env }, clock: fixedClock('2026-11-28T16:00:00Z'), logger: recording });
  const count = async (mailbox: string, client = imap) => {
    const status = await client.status(mailbox, { messages: true }).catch(() => undefined);
    return (status && status.messages) || 0;
  };
  const rowOf = (m: Received) => readTaggedAddress(BOUNCES, 'bounce', m.from, [TEST_ENV.NEWSLETTER_SECRET])!;
  const reader = async (m: Received) => (await app.store.findSubscriberByEmail(m.to[0]!))!.id;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  beforeEach(async () => {
    logs = [];
    project = makeProject({
      config: (y) =>
        y
          .replace('retryLifetime: 3d', `retryLifetime: 3d\n  bounceAddress: "${BOUNCES}"`)
          .replace(/^newsletters:/m, `bounces:\n  imap: { host: 127.0.0.1, port: ${dovecot.port}, secure: false, user: ${dovecot.user}, every: 1s }\n\nnewsletters:`),
    });
    const sink = await startSmtpSink();
    const sender = await openTestApp(project, { env: { SMTP_URL: sink.url, IMAP_PASSWORD: dovecot.password }, clock: fixedClock(SENT_AT) });
    await sendNewsletter(sender, sender.config.newsletters[0]!);
    await sender.close();
    await sink.close();
    mails = sink.received;
    app = await open();
    imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
    await imap.connect();
    // Each test starts from an empty account.
    await imap.mailboxDelete('Processed').catch(() => undefined);
    await imap.mailboxOpen('INBOX');
    await imap.messageDelete('1:*').catch(() => undefined);
    // STATUS of a selected mailbox is the session's view, which misses other sessions' moves.
    await imap.mailboxClose();
  }, 60_000);
  afterEach(async () => {
    await imap.logout();
    for (const a of [app, ...others.splice(0)]) await a.close().catch(() => undefined);
    project.cleanup();
    expect(logs.join('\n')).not.toContain(dovecot.password);
  });

  it('takes a real DSN (bounced, suppressed, consent event), records a forged one as unmatched, ignores an out-of-office; all moved', async () => {
    expect(mails).toHaveLength(5);
    const [hit, spoofed, away] = mails as [Received, Received, Received];
    await imap.append('INBOX', dsn(hit));
    await imap.append('INBOX', forged(spoofed));
    await imap.append('INBOX', outOfOffice(away));
    const poller = startImapPoller(app, { timer: false });
    const result = await poller.pollOnce();
    await poller.stop();

    expect(result).toMatchObject({ seen: 3, taken: 3, moved: 3, failed: 0, tooLarge: 0, left: 0, effects: { 'bounced, suppressed': 1 } });
    expect(result.error).toBeUndefined();
    expect((await app.store.outboxRow(rowOf(hit)))!.state).toBe('bounced');
    expect(await app.store.suppression(await reader(hit))).toMatchObject({ reason: expect.stringContaining('5.1.1') });
    expect((await app.store.consentEvents(await reader(hit))).map((e) => e.kind)).toContain('bounced');

    expect((await app.store.outboxRow(rowOf(spoofed)))!.state).toBe('sent');
    expect(await app.store.suppression(await reader(spoofed))).toBeUndefined();
    expect((await app.store.getSubscription(await reader(spoofed), 'weekly-brief'))!.state).toBe('consent');
    const unmatched = await app.store.deliveryEvents({ unmatched: true });
    expect(unmatched.map((e) => e.recipient)).toEqual([spoofed.to[0]]);

    expect((await app.store.outboxRow(rowOf(away)))!.state).toBe('sent');
    expect(await app.store.suppression(await reader(away))).toBeUndefined();
    expect((await app.store.getSubscription(await reader(away), 'weekly-brief'))!.state).toBe('consent');

    expect(await count('INBOX')).toBe(0);
    expect(await count('Processed')).toBe(3);

    // The same DSN again (a resent bounce, a restored backup): taken, moved, nothing changes.
    const events = (await app.store.deliveryEvents({})).length;
    await imap.append('INBOX', dsn(hit));
    const again = await startImapPoller(app, { timer: false }).pollOnce();
    expect(again).toMatchObject({ seen: 1, taken: 1, moved: 1, duplicates: 1, effects: {} });
    expect((await app.store.deliveryEvents({})).length).toBe(events);
    expect((await app.store.consentEvents(await reader(hit))).filter((e) => e.kind === 'bounced')).toHaveLength(1);
    expect(await count('Processed')).toBe(4);
  });

  it('never loses a report: a mail the intake cannot take stays (and goes last); one taken but not moved (a crash) is taken again as a no-op', async () => {
    const [a, b, c] = mails as [Received, Received, Received];
    await imap.append('INBOX', dsn(a));
    await imap.append('INBOX', dsn(b));
    // The store goes down: every call throws, as a lost database connection does.
    let down = true;
    const store = new Proxy(app.store, {
      get: (target, key) => (down ? () => Promise.reject(new Error('store unavailable')) : (Reflect.get(target, key) as (...x: unknown[]) => unknown).bind(target)),
    });
    const poller = startImapPoller({ ...app, store }, { timer: false, maxPerPoll: 1 });
    expect(await poller.pollOnce()).toMatchObject({ seen: 1, taken: 0, moved: 0, failed: 1, left: 1 });
    expect(await count('INBOX')).toBe(2);
    expect(logs.join('\n')).toContain('left in the mailbox for the next poll');
    down = false;
    // What failed goes last: a bound's worth of mail that keeps failing cannot starve the rest.
    expect(await poller.pollOnce()).toMatchObject({ seen: 1, taken: 1, moved: 1, left: 1 });
    expect((await app.store.outboxRow(rowOf(b)))!.state).toBe('bounced');
    expect((await app.store.outboxRow(rowOf(a)))!.state).toBe('sent');

    // A process that took c and died before moving it.
    await imap.append('INBOX', dsn(c));
    await takeReportMail(app, dsn(c), { channel: 'imap', envelopeTo: c.from });
    expect((await app.store.outboxRow(rowOf(c)))!.state).toBe('bounced');

    const next = await startImapPoller(app, { timer: false }).pollOnce();
    expect(next).toMatchObject({ seen: 2, taken: 2, moved: 2, failed: 0, duplicates: 1, effects: { 'bounced, suppressed': 1 } });
    expect((await app.store.outboxRow(rowOf(a)))!.state).toBe('bounced');
    expect((await app.store.consentEvents(await reader(c))).filter((e) => e.kind === 'bounced')).toHaveLength(1);
    expect(await count('INBOX')).toBe(0);
    expect(await count('Processed')).toBe(3);
  });

  it('one poll at a time, at most maxPerPoll mails each; the timer polls every `every`; stop() waits and logs out', async () => {
    for (const m of mails.slice(0, 3)) await imap.append('INBOX', dsn(m));
    const bounded = startImapPoller(app, { timer: false, maxPerPoll: 2 });
    // Asked for at once, the second poll waits for the first: overlapping, both would take all three.
    const [first, second] = await Promise.all([bounded.pollOnce(), bounded.pollOnce()]);
    expect(first).toMatchObject({ seen: 2, left: 1, moved: 2, duplicates: 0 });
    expect(second).toMatchObject({ seen: 1, left: 0, moved: 1, duplicates: 0 });
    await bounded.stop();
    expect(await bounded.pollOnce()).toMatchObject({ seen: 0 });

    await imap.append('INBOX', dsn(mails[3]!));
    const timed = startImapPoller(app);
    await until('the timer to empty INBOX', async () => (await count('INBOX')) === 0, 10_000);
    await timed.stop();
    expect(await count('Processed')).toBe(4);
    expect((await app.store.deliveryEvents({})).filter((e) => e.effect === 'bounced, suppressed')).toHaveLength(4);
    // Every session of the poller (and of this test) ended with LOGOUT, not a dropped socket.
    expect(dovecot.log()).toMatch(/imap\(bounces\).*Logged out/);
    expect(dovecot.log()).not.toMatch(/imap\(bounces\).*Disconnected: Connection closed/);
  });

  it('without MOVE: copy, \\Deleted, UID EXPUNGE; a mail over 10 MiB is moved unread, not taken', async () => {
    const old = await startDovecot({ withoutMove: true });
    const client = new ImapFlow({ host: old.host, port: old.port, secure: false, auth: { user: old.user, pass: old.password }, logger: false });
    try {
      await client.connect();
      expect(client.capabilities.has('MOVE')).toBe(false);
      await client.append('INBOX', dsn(mails[0]!));
      await client.append('INBOX', CRLF(`From: someone@example.net\nTo: ${mails[1]!.from}\nSubject: big\n\n`) + 'x'.repeat(76).concat('\r\n').repeat(140_000));
      const imapAt = { ...app.config.bounces.imap!, port: old.port };
      const result = await startImapPoller({ ...app, config: { ...app.config, bounces: { ...app.config.bounces, imap: imapAt } } }, { timer: false }).pollOnce();
      expect(result).toMatchObject({ seen: 2, taken: 1, tooLarge: 1, moved: 2, effects: { 'bounced, suppressed': 1 } });
      expect(logs.join('\n')).toMatch(/larger than a report can be .*moved to Processed unread/);
      expect(await count('INBOX', client)).toBe(0);
      expect(await count('Processed', client)).toBe(2);
      expect(old.log()).toMatch(/expunged=2/);
      await client.logout();
    } finally {
      await old.stop();
    }
  });

  it('a wrong password or an unreachable server is logged and tried again at the next tick, never in a tight loop', async () => {
    const wrong = await open({ IMAP_PASSWORD: 'not-the-password-9c2e' });
    others.push(wrong);
    const refused = await startImapPoller(wrong, { timer: false }).pollOnce();
    expect(refused).toMatchObject({ seen: 0, error: expect.stringMatching(/auth/i) });
    expect(logs.join('\n')).not.toContain('not-the-password-9c2e');

    const attempts: number[] = [];
    const closed = { ...app.config.bounces.imap!, port: await closedPort() };
    const logger: Logger = { ...recording, warn: (m, f) => (m.includes('poll failed') ? attempts.push(performance.now()) : recording.warn(m, f)) };
    const poller = startImapPoller({ ...app, logger, config: { ...app.config, bounces: { ...app.config.bounces, imap: closed } } });
    await until('two failed polls', () => attempts.length >= 2, 5000);
    await poller.stop();
    // every: 1s, counted from the end of the failed poll (performance.now: measured, not decided).
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(950);
  });
});
