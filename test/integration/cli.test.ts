import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { killSpawned } from '../helpers/cli.js';

/** Commands run as if the clock read this (the suite must pass on any date): the sample list's first issue is the slot of Monday 2026-11-23. */
const PINNED_AT = '2026-11-28T12:00:00Z';

function emlFiles(dir: string): string[] {
  const root = join(dir, 'data', 'mail');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.eml'))
    .map((f) => join(root, f));
}

// Each test runs several CLI processes (about a second each, more on a loaded machine).
describe('newsletter CLI', { timeout: 120_000 }, () => {
  afterEach(killSpawned);
  let project: TestProject;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(() => project.cleanup());

  it('--help on the program and every command tells the truth and exits 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['start', 'send', 'render']) expect(top.stdout).toContain(c);
    const send = await runCli(['send', '--help']);
    expect(send.code).toBe(0);
    for (const o of ['--dry-run', '--at <time>', '--config <file>', '--newsletter <id>', '--json']) expect(send.stdout).toContain(o);
    const render = await runCli(['render', '--help']);
    expect(render.stdout).toContain('--out <dir>');
    expect(render.stdout).toContain('--locale <tag>');
    expect((await runCli(['start', '--help'])).code).toBe(0);
  });

  it('exits 2 with the file, line and key of a bad configuration', async () => {
    const bad = makeProject({ config: (y) => y.replace('schedule: "0 8 * * 1"', 'schedule: "0 25 * * 1"') });
    try {
      const r = await runCli(['send', '--config', bad.configFile]);
      expect(r.code).toBe(2);
      const line =
        readFileSync(bad.configFile, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('schedule:')) + 1;
      expect(r.stderr).toContain(`${bad.configFile}:${line}`);
      expect(r.stderr).toContain('newsletters[0] (weekly-brief).schedule');
      expect(r.stdout).toBe('');
    } finally {
      bad.cleanup();
    }
    const missing = await runCli(['send', '--config', join(project.dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
    expect((await runCli(['send', '--bogus'])).code).toBe(2);
    expect((await runCli(['send', '--config', project.configFile, '--at', 'yesterday'])).code).toBe(2);
  });

  it('prints an SMTP password holding "/", "@" and "%" nowhere: not in the summary, errors or Node warnings', async () => {
    // Port 1 refuses at once: every reader is deferred and the run names its transport.
    const url = 'smtp://us%er:pa/ss@w0rd%zz@127.0.0.1:1';
    const r = await runCli(['send', '--config', project.configFile, '--at', PINNED_AT], { env: { SMTP_URL: url } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('smtp://…@127.0.0.1:1');
    for (const secret of ['w0rd', 'pa/ss', 'us%er']) expect(r.stdout + r.stderr).not.toContain(secret);
    const bad = await runCli(['send', '--config', project.configFile, '--at', PINNED_AT], { env: { SMTP_URL: 'smtp://user:pa/ss@w0rd@' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SMTP_URL');
    expect(bad.stdout + bad.stderr).not.toContain('w0rd');
  });

  it('exits 2 naming the template file and line when a template is broken, and sends nothing', async () => {
    const layout = join(project.dir, 'templates', 'default', 'layout.mjml.hbs');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(layout, readFileSync(layout, 'utf8').replace('{{newsletter.name}}</mj-title>', '{{newsleter.name}}</mj-title>'));
    const r = await runCli(['send', '--config', project.configFile, '--at', PINNED_AT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/layout\.mjml\.hbs:\d+/);
    expect(r.stderr).toContain('{{newsleter.name}}');
    expect(emlFiles(project.dir)).toHaveLength(0);
  });

  it('send delivers to the capture folder, prints a summary, and a second send sends nothing new', async () => {
    const dry = await runCli(['send', '--dry-run', '--config', project.configFile, '--at', PINNED_AT]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('would make an issue');
    expect(emlFiles(project.dir)).toHaveLength(0);

    const first = await runCli(['send', '--config', project.configFile, '--json', '--at', PINNED_AT]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`sent ${CONSENTING.length}`);
    expect(first.stderr).toContain('data/mail');
    expect(first.stderr).toContain('no proof of consent'); // the bad rows are reported...
    expect(first.stderr).toContain('not a valid email address');
    const json = JSON.parse(first.stdout) as { counts: { sent: number } }[]; // ...and stdout is only JSON
    expect(json[0]!.counts.sent).toBe(CONSENTING.length);

    const files = emlFiles(project.dir);
    expect(files).toHaveLength(CONSENTING.length);
    const parsed = await simpleParser(readFileSync(files[0]!));
    expect(parsed.text).toBeTruthy();
    expect(parsed.html).toBeTruthy();
    expect(parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const second = await runCli(['send', '--config', project.configFile, '--at', PINNED_AT]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('resumed');
    expect(emlFiles(project.dir)).toHaveLength(CONSENTING.length);
  });

  it('send --at an earlier time builds the issue of that slot; a window with no articles makes no issue', async () => {
    const r = await runCli(['send', '--config', project.configFile, '--at', '2026-11-10T12:00:00Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [s] = JSON.parse(r.stdout) as { slot: string; issue: { articles: number } }[];
    expect(s!.slot).toBe('2026-11-09T07:00:00.000Z'); // Monday 08:00 Paris before the 10th
    // Articles up to the 9th: bibliotheques (7th), desalination (3rd), heat pumps, seed.
    expect(s!.issue.articles).toBe(4);
    const next = async (at: string) => JSON.parse((await runCli(['send', '--config', project.configFile, '--at', at, '--json'])).stdout)[0];
    expect((await next('2026-11-17T12:00:00Z')).issue.articles).toBe(1); // only the night trains (14th) since the 9th
    expect((await next('2026-11-24T12:00:00Z')).issue.articles).toBe(1); // the ports story (20th)
    const empty = await runCli(['send', '--config', project.configFile, '--at', '2026-12-01T12:00:00Z', '--json']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('no new articles');
    expect(JSON.parse(empty.stdout)[0].status).toBe('no-articles');
  });

  it('two sends started at the same moment make one issue and mail each reader once', async () => {
    const [a, b] = await Promise.all([runCli(['send', '--config', project.configFile, '--json', '--at', PINNED_AT]), runCli(['send', '--config', project.configFile, '--json', '--at', PINNED_AT])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ids = [a, b].map((r) => (JSON.parse(r.stdout) as { issue: { id: number } }[])[0]!.issue.id);
    expect(ids[0]).toBe(ids[1]);
    const files = emlFiles(project.dir);
    expect(files).toHaveLength(CONSENTING.length);
    const to = await Promise.all(files.map(async (f) => ((await simpleParser(readFileSync(f))).to as { value: { address: string }[] }).value[0]!.address));
    expect(to.sort()).toEqual(CONSENTING);
  });

  it('render --out writes .html, .txt and .eml per locale and sends nothing', async () => {
    const out = join(project.dir, 'out');
    const r = await runCli(['render', '--config', project.configFile, '--out', out, '--at', PINNED_AT]);
    expect(r.code, r.stderr).toBe(0);
    for (const l of ['en', 'fr', 'ar']) for (const ext of ['html', 'txt', 'eml']) expect(existsSync(join(out, `weekly-brief.${l}.${ext}`))).toBe(true);
    expect(readFileSync(join(out, 'weekly-brief.ar.html'), 'utf8')).toMatch(/<html[^>]*dir="rtl"/);
    expect(readFileSync(join(out, 'weekly-brief.fr.txt'), 'utf8')).toContain('Bonjour Sample Reader,');
    // The HTML size is reported against Gmail's clipping limit, as the file on disk measures it.
    const size = Buffer.byteLength(readFileSync(join(out, 'weekly-brief.ar.html')));
    expect(r.stderr).toContain(`weekly-brief.ar.{html,txt,eml} (HTML ${(size / 1024).toFixed(1)} KB of Gmail's 102 KB)`);
    expect(emlFiles(project.dir)).toHaveLength(0);
    const one = await runCli(['render', '--config', project.configFile, '--out', join(project.dir, 'one'), '--locale', 'fr-CA', '--at', PINNED_AT]);
    expect(one.code).toBe(0);
    expect(readdirSync(join(project.dir, 'one')).sort()).toEqual(['weekly-brief.fr.eml', 'weekly-brief.fr.html', 'weekly-brief.fr.txt']);
  });

  it('render --timezone shows the dates as a reader in that zone sees them, and refuses a zone that does not exist', async () => {
    // The slot is Monday 23 November, 08:00 in Paris: still Sunday the 22nd in Honolulu.
    const at = ['--at', '2026-11-23T12:00:00Z', '--locale', 'en'];
    const paris = await runCli(['render', '--config', project.configFile, '--out', join(project.dir, 'paris'), ...at]);
    const honolulu = await runCli(['render', '--config', project.configFile, '--out', join(project.dir, 'honolulu'), ...at, '--timezone', 'Pacific/Honolulu']);
    expect(paris.code, paris.stderr).toBe(0);
    expect(honolulu.code, honolulu.stderr).toBe(0);
    const subject = async (dir: string) => (await simpleParser(readFileSync(join(project.dir, dir, 'weekly-brief.en.eml')))).subject;
    expect(await subject('paris')).toContain('November 23, 2026');
    expect(await subject('honolulu')).toContain('November 22, 2026');
    const bad = await runCli(['render', '--config', project.configFile, '--out', join(project.dir, 'bad'), '--timezone', 'Mars/Olympus_Mons', '--at', PINNED_AT]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"Mars/Olympus_Mons" is not an IANA time zone');
    expect(existsSync(join(project.dir, 'bad'))).toBe(false);
  });

  it('start sends the first issue at once, keeps running, exits 0 on SIGTERM, and a restart sends nothing again', async () => {
    const svc = spawnCli(['start', '--config', project.configFile]);
    await svc.waitFor(/Running\./);
    expect(svc.stderr()).toContain(`sent ${CONSENTING.length}`);
    expect(svc.stderr()).toMatch(/HTTP: http:\/\/127\.0\.0\.1:\d+\//);
    expect(svc.stderr()).toMatch(/Preview: http:\/\/127\.0\.0\.1:\d+\/ \(editors only/);
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
    expect(emlFiles(project.dir)).toHaveLength(CONSENTING.length);

    const again = spawnCli(['start', '--config', project.configFile]);
    await again.waitFor(/Running\./);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(emlFiles(project.dir)).toHaveLength(CONSENTING.length);
  });
});
