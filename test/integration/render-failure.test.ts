import { afterEach, describe, expect, it } from 'vitest';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { deliverIssue } from '../../src/delivery/deliver.js';
import { IssueRenderer } from '../../src/render/issue-renderer.js';
import type { LocaleRendering } from '../../src/render/pipeline.js';
import { readTemplateFiles } from '../../src/render/template-files.js';
import { mjmlThreadRunning, stopMjmlThread } from '../../src/render/mjml-thread.js';
import type { App } from '../../src/app.js';
import type { OutgoingMessage, SendResult, Transport } from '../../src/transport/transport.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

/** Three English readers; the second in a time zone whose rendering is first needed mid-send. */
function project(): TestProject {
  return makeProject({
    subscribers: [
      'email,name,locale,timezone,status,consented_at,source,topics',
      'first@example.com,First,en,UTC,subscribed,2026-01-01T00:00:00Z,test,',
      'tokyo@example.com,Tokyo,en,Asia/Tokyo,subscribed,2026-01-01T00:00:00Z,test,',
      'third@example.com,Third,en,UTC,subscribed,2026-01-01T00:00:00Z,test,',
    ].join('\n'),
  });
}

function recordingTransport(): Transport & { sent: string[] } {
  const sent: string[] = [];
  return {
    name: 'recording',
    sent,
    async send(message: OutgoingMessage): Promise<SendResult> {
      sent.push(message.envelope.to.join(','));
      return { messageId: message.messageId, response: '250 ok' };
    },
    async close() {},
  };
}

describe('a message that cannot be made', () => {
  let proj: TestProject | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    proj?.cleanup();
    app = proj = undefined;
  });

  it('leaves its reader deferred, not in doubt, and the other readers are sent', async () => {
    proj = project();
    const transport = recordingTransport();
    app = await openTestApp(proj, { clock: fixedClock('2026-11-28T15:00:00Z'), transport });
    const nl = app.config.newsletters[0]!;
    const queued = await sendNewsletter(app, nl, { noDeliver: true });
    const issue = (await app.store.getIssue(queued.issue!.id))!;
    // The Tokyo rendering fails as it would if the MJML thread died under it.
    const renderer = new (class extends IssueRenderer {
      override forLocale(locale: string, timezone?: string, topics?: readonly string[]): Promise<LocaleRendering> {
        if (timezone === 'Asia/Tokyo') return Promise.reject(new Error('the MJML thread stopped (exit code 1)'));
        return super.forLocale(locale, timezone, topics);
      }
    })(issue, nl, readTemplateFiles(app.config.paths.templates, nl.template), app.config.publicUrl);
    await deliverIssue(
      {
        store: app.store,
        transport,
        clock: app.clock,
        logger: app.logger,
        secret: app.config.secrets[0]!,
        publicUrl: app.config.publicUrl,
        settings: app.deliverySettings,
        message: app.messageOptions,
      },
      renderer,
    );
    const rows = await app.store.outboxRows(issue.id);
    const tokyo = rows.find((r) => r.email === 'tokyo@example.com')!;
    expect(tokyo.state).toBe('deferred');
    expect(tokyo.lastError).toContain('the message could not be made: the MJML thread stopped');
    expect(tokyo.nextAttemptAt).not.toBeNull();
    expect(
      rows
        .filter((r) => r.state === 'sent')
        .map((r) => r.email)
        .sort(),
    ).toEqual(['first@example.com', 'third@example.com']);
    expect(transport.sent).not.toContain('tokyo@example.com');
  });

  it('is rendered again for the next reader when the worker was gone, while a broken template stays refused', async () => {
    proj = project();
    app = await openTestApp(proj, { clock: fixedClock('2026-11-28T15:00:00Z'), transport: recordingTransport() });
    const nl = app.config.newsletters[0]!;
    const queued = await sendNewsletter(app, nl, { noDeliver: true });
    const issue = (await app.store.getIssue(queued.issue!.id))!;
    const renderer = new IssueRenderer(issue, nl, readTemplateFiles(app.config.paths.templates, nl.template), app.config.publicUrl);
    await stopMjmlThread();
    // A fresh worker takes hundreds of milliseconds to load mjml: stopping it at once fails this compile.
    const first = renderer.forLocale('en', 'Asia/Tokyo');
    await new Promise((r) => setImmediate(r));
    expect(mjmlThreadRunning()).toBe(true);
    await stopMjmlThread();
    await expect(first).rejects.toThrow(/MJML thread stopped/);
    const again = await renderer.forLocale('en', 'Asia/Tokyo');
    expect(again.locale).toBe('en');

    const files = readTemplateFiles(app.config.paths.templates, nl.template);
    const broken = new IssueRenderer(issue, nl, { ...files, layout: { ...files.layout, source: '<mjml>{{misspelt}}</mjml>' } }, app.config.publicUrl);
    const refused = broken.forLocale('en');
    await expect(refused).rejects.toThrow(/unknown variable/);
    expect(broken.forLocale('en')).toBe(refused);
  });
});
