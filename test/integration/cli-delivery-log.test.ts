import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.js';
import { runCli } from '../helpers/cli.js';

/** Commands run as if the clock read this (the suite must pass on any date): the sample list's first issue is the slot of Monday 2026-11-23. */
const PINNED_AT = '2026-11-28T12:00:00Z';

describe('delivery log from the CLI: report, retry --unknown, subscribers show', () => {
  let project: TestProject;
  let scripted: ScriptedSmtp;
  let sink: SmtpSink;
  beforeEach(async () => {
    project = makeProject();
    scripted = await startScriptedSmtp((rcpt) => (rcpt === 'grace@example.com' ? 'drop-after-data' : undefined));
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    await scripted.close();
    await sink.close();
    project.cleanup();
  });

  it('reports an in-doubt reader, resends it once with the same Message-ID on request, and shows it per person', async () => {
    const send = await runCli(['send', '--config', project.configFile, '--at', PINNED_AT], { env: { SMTP_URL: scripted.url } });
    expect(send.code).toBe(1);
    expect(send.stderr).toContain('in doubt 1');

    const report = await runCli(['report', '--config', project.configFile, '--json', '--issue', '1', '--recipients']);
    expect(report.code).toBe(0);
    const r = JSON.parse(report.stdout) as { counts: Record<string, number>; recipients: { email: string; state: string; messageId: string }[] };
    expect(r.counts).toMatchObject({ sent: CONSENTING.length - 1, unknown: 1, failed: 0, deferred: 0 });
    const grace = r.recipients.find((x) => x.email === 'grace@example.com')!;
    expect(grace.state).toBe('unknown');
    const human = await runCli(['report', '--config', project.configFile]);
    expect(human.stdout).toContain('unknown 1');
    expect(human.stdout).toContain('retry --issue 1 --unknown');

    // Without --unknown, an in-doubt reader is left alone.
    const plain = await runCli(['retry', '--config', project.configFile, '--issue', '1'], { env: { SMTP_URL: sink.url } });
    expect(plain.code).toBe(1);
    expect(sink.received).toHaveLength(0);

    const retry = await runCli(['retry', '--config', project.configFile, '--issue', '1', '--unknown'], { env: { SMTP_URL: sink.url } });
    expect(retry.code, retry.stderr).toBe(0);
    expect(sink.received.flatMap((m) => m.to)).toEqual(['grace@example.com']);
    const resent = await simpleParser(sink.received[0]!.raw);
    expect(resent.messageId).toBe(grace.messageId);
    // A sent reader is never sent again, whatever is asked.
    await runCli(['retry', '--config', project.configFile, '--issue', '1', '--unknown', '--failed'], { env: { SMTP_URL: sink.url } });
    expect(sink.received).toHaveLength(1);

    const show = await runCli(['subscribers', 'show', 'GRACE@example.com', '--config', project.configFile, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const person = JSON.parse(show.stdout) as { subscriptions: { state: string }[]; consentEvents: { kind: string; source: string }[]; deliveries: { state: string; attempts: number }[] };
    expect(person.subscriptions[0]!.state).toBe('consent');
    expect(person.consentEvents[0]).toMatchObject({ kind: 'consent', source: 'weekly-brief.csv' });
    expect(person.deliveries[0]).toMatchObject({ state: 'sent', attempts: 2 });
    expect((await runCli(['subscribers', 'show', 'nobody@example.com', '--config', project.configFile])).code).toBe(2);
    expect((await runCli(['report', '--config', project.configFile, '--issue', 'x'])).code).toBe(2);
  }, 120_000);
});
