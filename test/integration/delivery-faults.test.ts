import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { sendNewsletter, exitCodeFor } from '../../src/service/send-issue.js';
import type { App } from '../../src/app.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink, type SinkOptions } from '../helpers/smtp-sink.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

const NOW = '2026-11-28T15:00:00Z';
const smtpError = (responseCode: number, text: string) => Object.assign(new Error(text), { responseCode });

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('delivery faults against real SMTP servers', () => {
  let project: TestProject;
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    project.cleanup();
  });
  const sink = async (onRcpt?: SinkOptions['onRcpt']): Promise<SmtpSink> => {
    const s = await startSmtpSink({ onRcpt });
    cleanups.push(() => s.close());
    return s;
  };
  const app = async (smtpUrl: string, clock = fixedClock(NOW)): Promise<App> => {
    const a = await openTestApp(project, { env: { SMTP_URL: smtpUrl }, clock });
    cleanups.push(() => a.close());
    return a;
  };
  const rowsByEmail = async (a: App, issueId: number) => new Map((await a.store.outboxRows(issueId)).map((r) => [r.email, r]));

  it('classifies per-recipient replies: 450/451/452 and 552 5.2.2 deferred, 550 5.1.1 failed and suppressed, 554 failed', async () => {
    const replies: Record<string, Error> = {
      'ada@example.com': smtpError(450, '4.2.0 Mailbox busy'),
      'camille@example.fr': smtpError(550, '5.1.1 User unknown'),
      'grace@example.com': smtpError(552, '5.2.2 Mailbox full'),
      'layla@example.net': smtpError(554, '5.7.1 Message rejected as spam'),
    };
    const s = await sink((addr) => replies[addr]);
    const a = await app(s.url);
    const summary = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(summary.counts).toMatchObject({ sent: 1, deferred: 2, failed: 2 });
    expect(exitCodeFor([summary])).toBe(1);
    expect(s.received.flatMap((r) => r.to)).toEqual(['jean.dupont@example.fr']);
    const rows = await rowsByEmail(a, summary.issue!.id);
    expect(rows.get('ada@example.com')).toMatchObject({ state: 'deferred', nextAttemptAt: '2026-11-28T15:05:00.000Z' });
    expect(rows.get('grace@example.com')?.state).toBe('deferred');
    expect(rows.get('camille@example.fr')?.state).toBe('failed');
    expect(rows.get('layla@example.net')?.lastError).toContain('554');
    // The hard bounce is suppressed: withdrawn from this newsletter's audience and never queued again.
    const camille = (await a.store.findSubscriberByEmail('camille@example.fr'))!;
    expect((await a.store.getSubscription(camille.id, 'weekly-brief'))?.state).toBe('bounced');
    // 451 and 452 behave as 450.
    for (const code of [451, 452]) {
      const p2 = makeProject();
      const s2 = await sink(() => smtpError(code, `4.3.0 try later (${code})`));
      const a2 = await openTestApp(p2, { env: { SMTP_URL: s2.url }, clock: fixedClock(NOW) });
      const r = await sendNewsletter(a2, a2.config.newsletters[0]!);
      expect(r.counts.deferred).toBe(CONSENTING.length);
      await a2.close();
      p2.cleanup();
    }
  });

  it('a drop before DATA is deferred (nothing handed over); a drop after DATA is unknown (it may have arrived)', async () => {
    const scripted = await startScriptedSmtp((rcpt) => (rcpt === 'ada@example.com' ? 'drop-at-rcpt' : rcpt === 'grace@example.com' ? 'drop-after-data' : undefined));
    cleanups.push(() => scripted.close());
    const a = await app(scripted.url);
    const summary = await sendNewsletter(a, a.config.newsletters[0]!);
    const rows = await rowsByEmail(a, summary.issue!.id);
    expect(rows.get('ada@example.com')?.state).toBe('deferred');
    expect(rows.get('grace@example.com')?.state).toBe('unknown');
    expect(scripted.dataReceivedFor).toContain('grace@example.com');
    expect(scripted.dataReceivedFor).not.toContain('ada@example.com');
    for (const e of ['camille@example.fr', 'jean.dupont@example.fr', 'layla@example.net']) expect(rows.get(e)?.state).toBe('sent');
    expect(exitCodeFor([summary])).toBe(1);
  });

  it('a relay that is down for the first minutes: everyone deferred, then delivered once it is up, nobody twice', async () => {
    const port = await freePort();
    const clock = fixedClock(NOW);
    const a = await app(`smtp://127.0.0.1:${port}`, clock);
    const first = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(first.counts.deferred).toBe(CONSENTING.length);
    expect(first.counts.sent).toBe(0);
    // The relay comes up on that port.
    const s = await startSmtpSink();
    cleanups.push(() => s.close());
    // smtp-server cannot take a chosen port through the helper, so point a new app at it.
    await a.close();
    cleanups.pop();
    clock.set('2026-11-28T15:06:00Z');
    const b = await app(s.url, clock);
    const second = await sendNewsletter(b, b.config.newsletters[0]!);
    expect(second.counts).toMatchObject({ sent: CONSENTING.length, deferred: 0 });
    expect(s.received.flatMap((r) => r.to).sort()).toEqual(CONSENTING);
    expect(exitCodeFor([second])).toBe(0);
  });

  it('our own authentication failure (5.7.26) pauses the issue, keeps readers queued, and retry resumes it', async () => {
    let dmarcBroken = true;
    const s = await sink(() => (dmarcBroken ? smtpError(550, '5.7.26 Unauthenticated email from example.org is not accepted due to DMARC policy') : undefined));
    const a = await app(s.url);
    const summary = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(summary.status).toBe('paused');
    expect(summary.paused).toContain('5.7.26');
    expect(summary.counts.failed).toBe(0);
    expect(summary.counts.queued).toBe(CONSENTING.length);
    expect(exitCodeFor([summary])).toBe(1);
    // A paused issue stays paused for the next send, and no reader is marked failed.
    const again = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(again.status).toBe('paused');
    expect(s.received).toHaveLength(0);
    // The operator fixes DMARC and lifts the pause.
    dmarcBroken = false;
    await a.store.requeue(summary.issue!.id, ['deferred'], NOW);
    await a.store.resumeIssue(summary.issue!.id);
    const resumed = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(resumed.counts.sent).toBe(CONSENTING.length);
  });

  it("421 from a domain holds that domain's other readers for this run", async () => {
    const project2 = makeProject({
      subscribers: [
        'email,name,locale,timezone,status,consented_at,source,topics',
        ...['a', 'b', 'c'].map((x) => `${x}@slow.example,${x},en,UTC,subscribed,2026-01-01T00:00:00Z,test,`),
        'd@fast.example,d,en,UTC,subscribed,2026-01-01T00:00:00Z,test,',
      ].join('\n'),
      config: (y) => y.replace('batchSize: 50', 'batchSize: 1'),
    });
    let calls = 0;
    const s = await sink((addr) => {
      if (addr.endsWith('@slow.example')) {
        calls++;
        return smtpError(421, '4.7.0 Too many connections, slow down');
      }
      return undefined;
    });
    const a = await openTestApp(project2, { env: { SMTP_URL: s.url }, clock: fixedClock(NOW) });
    const r = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(r.counts).toMatchObject({ sent: 1, deferred: 3 });
    expect(calls).toBe(1); // b and c were not even tried
    await a.close();
    project2.cleanup();
  });

  it('a TLS-only relay: a certificate we cannot verify defers everyone and sends nothing; once trusted, all are sent', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(project.dir, 'key.pem'), '-out', join(project.dir, 'cert.pem')], {
      stdio: 'ignore',
    });
    const tls = { key: readFileSync(join(project.dir, 'key.pem')), cert: readFileSync(join(project.dir, 'cert.pem')) };
    const s = await startSmtpSink({ tls });
    cleanups.push(() => s.close());
    expect(s.url).toMatch(/^smtps:/);
    const clock = fixedClock(NOW);
    const untrusting = await app(s.url, clock);
    const first = await sendNewsletter(untrusting, untrusting.config.newsletters[0]!);
    expect(first.counts.deferred).toBe(CONSENTING.length);
    expect(s.received).toHaveLength(0);
    const rows = await untrusting.store.outboxRows(first.issue!.id);
    expect(rows[0]!.lastError).toMatch(/certificate/i);
    clock.set('2026-11-28T15:06:00Z');
    const trusting = await app(`${s.url}/?tls.rejectUnauthorized=false`, clock);
    const second = await sendNewsletter(trusting, trusting.config.newsletters[0]!);
    expect(second.counts.sent).toBe(CONSENTING.length);
    expect(s.received.flatMap((r) => r.to).sort()).toEqual(CONSENTING);
  });

  it('a slow relay still gets every message exactly once', async () => {
    const s = await startSmtpSink({ delayMs: 300 });
    cleanups.push(() => s.close());
    const a = await app(s.url);
    const r = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(r.counts.sent).toBe(CONSENTING.length);
    expect(s.received.flatMap((x) => x.to).sort()).toEqual(CONSENTING);
  });

  it('a burst of consecutive failures stops the run with a clear message; the rest stay queued for later', async () => {
    const p = makeProject({ config: (y) => y.replace('batchSize: 50', 'batchSize: 1').replace('retryLifetime: 3d', 'retryLifetime: 3d\n  stopAfterFailures: 2') });
    const port = await freePort();
    const a = await openTestApp(p, { env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, clock: fixedClock(NOW) });
    const r = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(r.status).toBe('paused');
    expect(r.paused).toMatch(/2 deliveries in a row failed/);
    expect(r.counts).toMatchObject({ deferred: 2, queued: CONSENTING.length - 2 });
    expect(exitCodeFor([r])).toBe(1);
    await a.close();
    p.cleanup();
  });
});
