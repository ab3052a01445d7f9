import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/domain/logger.js';
import type { App } from '../../src/app.js';
import { Scheduler } from '../../src/service/scheduler.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { syncList } from '../../src/service/sync-list.js';
import { joinRaw } from '../../src/transport/transport.js';
import { CONSENTING, makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { recordingTransport } from '../helpers/recording-transport.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const SLOT = '2026-11-23T07:00:00.000Z';
const header = (m: ParsedMail, name: string) => m.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';

describe('the welcome mail after a confirmed sign-up', () => {
  let project: TestProject;
  let app: App;
  let sink: SmtpSink;
  let h: HttpApp;
  let scheduler: Scheduler;
  const clock = fixedClock('2026-11-28T15:00:00Z');
  const confirmations = recordingTransport();
  /** The sink refuses these addresses once with a 451 (greylisting), then takes them. */
  const greylist = new Set<string>();

  async function open(welcome: boolean, template?: string, forImports = false) {
    clock.set('2026-11-28T15:00:00Z');
    confirmations.sent.length = 0;
    sink = await startSmtpSink({
      onRcpt: (address) => {
        if (!greylist.delete(address)) return undefined;
        return Object.assign(new Error('4.7.1 greylisted, try again later'), { responseCode: 451 });
      },
    });
    project = makeProject({
      config: (y) =>
        welcome
          ? y.replace(
              '    catchUpGrace: 6h\n',
              `    catchUpGrace: 6h\n    welcome:\n      enabled: true\n${template ? `      template: ${template}\n` : ''}${forImports ? '      forImports: true\n' : ''}`,
            )
          : y,
    });
    if (template) {
      // A layout of its own for the welcome: the default one with a line of its own.
      cpSync(join(project.dir, 'templates', 'default'), join(project.dir, 'templates', template), { recursive: true });
      const layout = join(project.dir, 'templates', template, 'layout.mjml.hbs');
      writeFileSync(
        layout,
        readFileSync(layout, 'utf8').replace('<mj-text>{{reader.greeting}}</mj-text>', '<mj-text>{{reader.greeting}}</mj-text><mj-text css-class="own-welcome">A welcome layout of our own.</mj-text>'),
      );
    }
    app = await openTestApp(project, { clock, env: { SMTP_URL: sink.url } });
    h = createHttpApp({ store: app.store, config: app.config, clock, logger: silentLogger, transport: confirmations });
    scheduler = new Scheduler(app, () => {});
    // The issue readers got on Monday: what a new reader is welcomed with.
    await sendNewsletter(app, app.config.newsletters[0]!, { slot: new Date(SLOT) });
    sink.received.length = 0;
  }

  afterEach(async () => {
    await scheduler?.stop();
    await h?.settled();
    await app?.close();
    await sink?.close();
    project?.cleanup();
  });
  beforeEach(() => greylist.clear());

  async function signUpAndConfirm(email: string, locale: string): Promise<void> {
    const before = confirmations.sent.length;
    const r = await h.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, newsletter: 'weekly-brief', locale }) });
    expect(r.status).toBe(202);
    await h.settled();
    expect(confirmations.sent.length).toBe(before + 1);
    const link = new URL(/https:\/\/news\.example\.test\/c\/[\w.-]+/.exec((await simpleParser(joinRaw(confirmations.sent.at(-1)!.raw))).text ?? '')![0]).pathname;
    expect((await h.request(link, { method: 'POST' })).status).toBe(200);
  }

  const welcomes = async () => (await sink.parsed()).filter((m) => header(m, 'Subject').includes('Bienvenue') || header(m, 'Subject').includes('Welcome'));

  it('welcomes a confirmed reader once, in their language, with the latest issue, through the outbox (logged, retried after a 451)', async () => {
    await open(true);
    greylist.add('zoe@example.org');
    await signUpAndConfirm('zoe@example.org', 'fr');
    // The running service's loop delivers it: first a 451, then, once due, the mail.
    await scheduler.retryDue();
    expect(sink.received).toHaveLength(0);
    const issue = (await app.store.listIssues('weekly-brief', 1))[0]!;
    const row = (await app.store.outboxRows(issue.id)).find((r) => r.email === 'zoe@example.org')!;
    expect(row).toMatchObject({ state: 'deferred', attempts: 1 });
    expect(row.lastError).toContain('451');
    clock.set('2026-11-28T15:10:00Z');
    await scheduler.retryDue();
    const [mail, ...more] = await welcomes();
    expect(more).toEqual([]);
    expect(mail!.subject).toBe('Bienvenue dans The Weekly Brief');
    expect((mail!.to as { value: { address: string }[] }).value[0]!.address).toBe('zoe@example.org');
    const html = String(mail!.html);
    expect(html).toContain('Bienvenue dans The Weekly Brief !');
    expect(html).toContain('href="https://news.example.test/?lang=fr"');
    expect(html).toContain('Les ports automatisés'); // the issue's article, in French
    expect(header(mail!, 'List-Unsubscribe')).toMatch(/<https:\/\/news\.example\.test\/u\//);
    expect(header(mail!, 'List-Unsubscribe-Post')).toContain('List-Unsubscribe=One-Click');
    expect(mail!.text).toContain('Bienvenue dans The Weekly Brief');
    // Nobody else got anything: the issue's own readers were done on Monday.
    expect(sink.received.flatMap((r) => r.to)).toEqual(['zoe@example.org']);
    expect(await app.store.outboxRowFor(issue.id, row.subscriberId)).toMatchObject({ state: 'sent' });

    // Unsubscribed and signed up again: no second welcome.
    await app.store.appendConsentEvent(
      { subscriberId: row.subscriberId, newsletterId: 'weekly-brief', kind: 'withdrawn', at: '2026-11-28T16:00:00.000Z', source: 'unsubscribe-link' },
      '2026-11-28T16:00:00.000Z',
    );
    clock.set('2026-11-28T17:00:00Z');
    await signUpAndConfirm('zoe@example.org', 'fr');
    expect(await app.store.queueWelcome(row.subscriberId, 'weekly-brief', clock.now().toISOString())).toEqual({ outcome: 'already-welcomed' });
    await scheduler.retryDue();
    expect(await welcomes()).toHaveLength(1);
    // Readers from the list file never get one: the issue holds no welcome row but Zoe's.
    const rows = await app.store.outboxRows(issue.id);
    expect(rows.filter((r) => CONSENTING.includes(r.email)).every((r) => r.attempts === 1)).toBe(true);
  });

  it('a reader suppressed before it goes gets nothing; with welcome disabled nobody is welcomed', async () => {
    await open(true);
    await signUpAndConfirm('sam@example.org', 'en');
    const sam = (await app.store.findSubscriberByEmail('sam@example.org'))!;
    await app.store.suppress(sam.id, 'hard bounce', clock.now().toISOString());
    await scheduler.retryDue();
    expect(await welcomes()).toEqual([]);
    const issue = (await app.store.listIssues('weekly-brief', 1))[0]!;
    expect(await app.store.outboxRowFor(issue.id, sam.id)).toMatchObject({ state: 'skipped' });
    await scheduler.stop();
    await h.settled();
    await app.close();
    await sink.close();
    project.cleanup();

    await open(false);
    await signUpAndConfirm('zoe@example.org', 'fr');
    await scheduler.retryDue();
    expect(await welcomes()).toEqual([]);
    const issue2 = (await app.store.listIssues('weekly-brief', 1))[0]!;
    expect((await app.store.outboxRows(issue2.id)).map((r) => r.email)).not.toContain('zoe@example.org');
  });

  it('uses welcome.template for the welcome mail', async () => {
    await open(true, 'welcome');
    await signUpAndConfirm('zoe@example.org', 'en');
    await scheduler.retryDue();
    const [mail] = await welcomes();
    expect(mail!.subject).toBe('Welcome to The Weekly Brief');
    expect(String(mail!.html)).toContain('A welcome layout of our own.');
    expect(String(mail!.html)).toContain('Welcome to The Weekly Brief! You are subscribed');
  });

  it('welcomes readers a list file adds only with welcome.forImports, never the readers who had the latest issue', async () => {
    const addRow = () => appendFileSync(join(project.dir, 'subscribers', 'weekly-brief.csv'), 'new.reader@example.org,New Reader,fr,Europe/Paris,subscribed,2026-11-28T14:00:00Z,crm-export,\n');
    await open(true);
    addRow();
    await syncList(app, 'weekly-brief', clock.now());
    await scheduler.retryDue();
    expect(await welcomes()).toEqual([]);
    await scheduler.stop();
    await h.settled();
    await app.close();
    await sink.close();
    project.cleanup();

    await open(true, undefined, true);
    addRow();
    await syncList(app, 'weekly-brief', clock.now());
    // Again: nothing new in the file, nothing queued twice.
    await syncList(app, 'weekly-brief', clock.now());
    await scheduler.retryDue();
    const mails = await welcomes();
    expect(mails.map((m) => (m.to as { value: { address: string }[] }).value[0]!.address)).toEqual(['new.reader@example.org']);
    expect(mails[0]!.subject).toBe('Bienvenue dans The Weekly Brief');
  });
});
