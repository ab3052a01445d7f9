import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { sendNewsletter, exitCodeFor } from '../../src/service/send-issue.js';
import { makeProject, CONSENTING, TEST_ENV, type TestProject } from '../helpers/project.js';
import { outboxOfMessageId } from '../../src/delivery/message.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

const NOW = '2026-11-28T15:00:00Z';

function headerText(m: ParsedMail, name: string): string {
  const line = m.headerLines.find((h) => h.key === name.toLowerCase());
  return line ? line.line : '';
}

describe('send through a real SMTP server', () => {
  let project: TestProject;
  let sink: SmtpSink;

  beforeEach(async () => {
    project = makeProject();
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    await sink.close();
    project.cleanup();
  });

  it('mails exactly the consenting readers once, in their language, with the required headers; a second send adds nothing', async () => {
    const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock(NOW) });
    const newsletter = app.config.newsletters[0]!;
    const first = await sendNewsletter(app, newsletter);
    expect(first.status).toBe('delivered');
    expect(first.counts.sent).toBe(CONSENTING.length);
    expect(exitCodeFor([first])).toBe(0);

    const recipients = sink.received.flatMap((r) => r.to).sort();
    expect(recipients).toEqual(CONSENTING);

    const mails = await sink.parsed();
    const ids = new Set<string>();
    for (const m of mails) {
      expect(m.text, 'plain-text part').toBeTruthy();
      expect(m.html, 'html part').toBeTruthy();
      expect(headerText(m, 'List-Unsubscribe')).toMatch(/<https:\/\/news\.example\.test\/u\/[\w-]+\.[\w-]+>/);
      expect(headerText(m, 'List-Unsubscribe')).not.toMatch(/,/); // one https link, one header
      expect(m.headerLines.filter((h) => h.key === 'list-unsubscribe')).toHaveLength(1);
      expect(headerText(m, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect(headerText(m, 'List-ID')).toContain('<weekly-brief.news.example.org>');
      // The row's number in the Message-ID is a signed tag: a bounce quoting it names the row, a forged one nothing.
      expect(m.messageId).toMatch(/^<weekly-brief\.\d+\.\d+-[a-z2-7]{10}\.[a-z0-9]+@news\.example\.org>$/);
      expect(outboxOfMessageId(m.messageId!, [TEST_ENV.NEWSLETTER_SECRET])?.outboxId).toBeGreaterThan(0);
      expect(outboxOfMessageId(m.messageId!, ['another-secret'])).toBeUndefined();
      ids.add(m.messageId!);
      // No reader's address in any link (spam filters penalise it; links carry opaque tokens).
      const to = (m.to as { value: { address: string }[] }).value[0]!.address;
      expect(m.html as string).not.toMatch(new RegExp(`href="[^"]*${to.replace(/[.]/g, '\\.')}`));
    }
    expect(ids.size).toBe(mails.length);

    const byTo = (addr: string) => mails.find((m) => (m.to as { text: string }).text.includes(addr))!;
    const jean = byTo('jean.dupont@example.fr'); // fr-CA -> fr
    expect(jean.subject).toContain('nouveaux articles');
    expect(jean.text).toContain('Bonjour Jean Dupont,');
    expect(jean.html as string).toContain('Lire la suite');
    expect(jean.html as string).toContain('lang="fr"');
    // The French reader gets the French translation of an article that has one.
    expect(jean.text).toContain('Les trains de nuit reviennent en Europe');
    expect(jean.text).not.toContain("Europe's night trains are back");

    const ada = byTo('ada@example.com'); // en-GB -> en
    expect(ada.subject).toContain('new articles');
    expect(ada.text).toContain('Hello Ada Lovelace,');
    expect(ada.text).toContain("Europe's night trains are back");

    const layla = byTo('layla@example.net');
    expect(layla.html as string).toMatch(/<html[^>]*dir="rtl"/);
    expect(layla.text).toContain('إلغاء الاشتراك');

    // Run the send again: the issue exists, every reader is sent, nothing new goes out.
    const second = await sendNewsletter(app, newsletter);
    expect(second.issue?.created).toBe(false);
    expect(second.counts.sent).toBe(CONSENTING.length);
    expect(sink.received).toHaveLength(CONSENTING.length);
    await app.close();

    // A fresh process (new app on the same store) does not send it again either.
    const again = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock(NOW) });
    await sendNewsletter(again, again.config.newsletters[0]!);
    expect(sink.received).toHaveLength(CONSENTING.length);
    await again.close();
  });

  it('records SMTP refusals in the outbox: 4xx deferred with a retry time, 5xx failed; exit status 1', async () => {
    await sink.close();
    sink = await startSmtpSink({
      onRcpt: (addr) => {
        if (addr === 'grace@example.com') return Object.assign(new Error('4.2.1 Try again later'), { responseCode: 451 });
        if (addr === 'camille@example.fr') return Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 });
        return undefined;
      },
    });
    const clock = fixedClock(NOW);
    const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock });
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts).toMatchObject({ sent: 3, deferred: 1, failed: 1, queued: 0, sending: 0 });
    expect(summary.nextAttemptAt).toBe('2026-11-28T15:05:00.000Z');
    expect(exitCodeFor([summary])).toBe(1);
    const rows = await app.store.outboxRows(summary.issue!.id);
    const grace = rows.find((r) => r.email === 'grace@example.com')!;
    expect(grace).toMatchObject({ state: 'deferred', attempts: 1 });
    expect(grace.lastError).toContain('451');
    const camille = rows.find((r) => r.email === 'camille@example.fr')!;
    expect(camille.state).toBe('failed');
    expect(camille.lastError).toContain('550');
    const sent = rows.filter((r) => r.state === 'sent');
    expect(sent.every((r) => r.lastResponse?.startsWith('250') && r.messageId && r.sentAt)).toBe(true);

    // Before its retry time the deferred reader is left alone; after it, it is retried.
    await sendNewsletter(app, app.config.newsletters[0]!);
    expect(sink.received.flatMap((r) => r.to)).not.toContain('grace@example.com');
    clock.set('2026-11-28T15:06:00Z');
    const retried = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(retried.counts.deferred).toBe(1);
    expect((await app.store.outboxRows(summary.issue!.id)).find((r) => r.email === 'grace@example.com')!.attempts).toBe(2);
    await app.close();
  });
});
