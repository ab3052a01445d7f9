import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFolderSource } from '../../src/articles/folder-source.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { createHttpApp } from '../../src/http/app.js';

// The seed of ../shared/seeds/, as the sample articles carry it (CI has shared/ beside the clone; a plain clone does not).
const SEED = join(REPO, 'articles', 'north-korea-iran.txt');

describe('articles into issues', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const project = (options: Parameters<typeof makeProject>[0] = {}): TestProject => {
    const p = makeProject(options);
    cleanups.push(() => p.cleanup());
    return p;
  };
  const sink = async (): Promise<SmtpSink> => {
    const s = await startSmtpSink();
    cleanups.push(() => s.close());
    return s;
  };

  it('reads the seed page: its title, its date, an excerpt from the first real paragraph, no privacy notice', () => {
    const p = project();
    copyFileSync(SEED, join(p.dir, 'seed.txt'));
    const { articles, problems } = readFolderSource(p.dir);
    const seed = articles.find((a) => a.id === 'seed')!;
    expect(problems).toEqual([]);
    expect(seed.title).toBe('If North Korea and Iran hook up, will China be jealous?');
    expect(seed.publishedAt).toBe('2024-04-24T00:00:00.000Z');
    expect(seed.excerpt.startsWith('Pyongyang')).toBe(true);
    expect(seed.excerpt.endsWith('…')).toBe(true);
    expect(JSON.stringify(seed)).not.toMatch(/Privacy Policy|cookies|Terms of Use/);
  });

  it('`articles` lists what the next issue takes and what it leaves out, with reasons, and the invalid files', async () => {
    const p = project({ articles: { 'broken.md': '---\ntitle: [unclosed\n---\nbody', 'undated.md': '---\ntitle: No date\n---\nText.' } });
    // Pinned: the sample list's first issue is the slot of Monday 2026-11-23 (the test must pass on any date).
    const before = JSON.parse((await runCli(['articles', '--json', '--config', p.configFile, '--at', '2026-11-28T12:00:00Z'])).stdout) as {
      taken: { id: string }[];
      invalid: { place: string; message: string }[];
    }[];
    expect(before[0]!.taken.map((a) => a.id)).toHaveLength(6);
    expect(before[0]!.invalid.map((x) => x.place.split('/').pop())).toEqual(['broken.md', 'undated.md']);
    expect(before[0]!.invalid[1]!.message).toContain('no "date"');
    expect((await runCli(['send', '--config', p.configFile, '--at', '2026-11-28T12:00:00Z'])).code).toBe(0);
    writeFileSync(join(p.dir, 'articles', 'fresh.md'), '---\ntitle: Fresh\ndate: 2026-11-29\ntopics: [culture]\n---\nNew.\n');
    writeFileSync(join(p.dir, 'articles', 'future.md'), '---\ntitle: Later\ndate: 2027-01-01\n---\nNot yet.\n');
    const after = JSON.parse((await runCli(['articles', '--json', '--config', p.configFile, '--at', '2026-11-29T12:00:00Z'])).stdout) as {
      slot: string;
      taken: { id: string }[];
      leftOut: { id: string; reason: string }[];
    }[];
    expect(after[0]!.slot).toBe('2026-11-30T07:00:00.000Z');
    expect(after[0]!.taken.map((a) => a.id)).toEqual(['fresh']);
    const reasons = Object.fromEntries(after[0]!.leftOut.map((l) => [l.id, l.reason]));
    expect(reasons).toMatchObject({ 'north-korea-iran': 'already-sent', 'ports-automation': 'already-sent', future: 'after-slot' });
    const human = await runCli(['articles', '--config', p.configFile, '--at', '2026-11-29T12:00:00Z']);
    expect(human.stdout).toContain('already sent in this newsletter');
  });

  it('a bad language tag, a link out of the folder and a huge file are reported with their paths; the issue and its archive pages still work', async () => {
    const paragraph = `${'A very long article keeps going and going. '.repeat(30).trim()}\n\n`;
    const p = project({
      articles: {
        'bad-lang.md': '---\ntitle: Bad language tag\ndate: 2026-11-20\nlang: "en_US!!"\n---\nThis page would make Intl throw.\n',
        'numeric-lang.md': '---\ntitle: Numeric language tag\ndate: 2026-11-20\nlang: 42\n---\nSo would this one.\n',
        'good-lang.md': '---\ntitle: Canonical tag\ndate: 2026-11-21\nlang: EN-gb\n---\nA tag in odd case is fine.\n',
        'huge.md': `---\ntitle: Huge article\ndate: 2026-11-21\n---\n${paragraph.repeat(Math.ceil((2 * 1024 * 1024) / paragraph.length))}`,
      },
    });
    const articlesDir = join(p.dir, 'articles');
    symlinkSync('/etc/passwd', join(articlesDir, 'passwd.md'));
    const listed = await runCli(['articles', '--json', '--config', p.configFile, '--at', '2026-11-28T12:00:00Z']);
    expect(listed.code, listed.stderr).toBe(0);
    const [r] = JSON.parse(listed.stdout) as { taken: { id: string }[]; invalid: { place: string; message: string }[] }[];
    const invalid = Object.fromEntries(r!.invalid.map((x) => [x.place.split('/').pop(), x.message]));
    expect(Object.keys(invalid).sort()).toEqual(['bad-lang.md', 'huge.md', 'numeric-lang.md', 'passwd.md']);
    expect(invalid['bad-lang.md']).toMatch(/^lang "en_US!!" is not a BCP 47 language tag.*; skipped$/);
    expect(invalid['numeric-lang.md']).toMatch(/^lang 42 is not a BCP 47 language tag/);
    expect(invalid['passwd.md']).toBe(`is a symbolic link to /etc/passwd, outside the article folder ${realpathSync(articlesDir)}; links are followed only within the folder; not followed, skipped`);
    expect(invalid['huge.md']).toMatch(/^the file is \d+ bytes, over articles\.maxBytes \(1048576\); only its first 1048576 bytes are used/);
    expect(r!.taken.map((a) => a.id)).toEqual(expect.arrayContaining(['good-lang', 'huge']));
    expect(r!.taken.map((a) => a.id)).not.toContain('bad-lang');

    // The limit is the config's: a smaller one cuts sooner, and the report names it.
    writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}\narticles:\n  maxBytes: 4096\n`);
    const smaller = await runCli(['articles', '--json', '--config', p.configFile, '--at', '2026-11-28T12:00:00Z']);
    const [r2] = JSON.parse(smaller.stdout) as { invalid: { place: string; message: string }[] }[];
    expect(r2!.invalid.find((x) => x.place.endsWith('huge.md'))?.message).toMatch(/over articles\.maxBytes \(4096\); only its first 40\d\d bytes are used/);
    writeFileSync(p.configFile, readFileSync(p.configFile, 'utf8').replace('articles:\n  maxBytes: 4096\n', ''));

    const s = await sink();
    const clock = fixedClock('2026-11-28T15:00:00Z');
    const app = await openTestApp(p, { env: { SMTP_URL: s.url }, clock });
    cleanups.push(() => app.close());
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBeGreaterThan(0);
    expect(JSON.stringify(s.received.map((m) => m.raw.toString()))).not.toContain('root:');
    const http = createHttpApp({ store: app.store, config: app.config, clock, logger: app.logger, transport: app.transport });
    expect((await http.request(`/archive/weekly-brief/issues/${summary.issue!.id}`)).status).toBe(200);
    const good = await http.request('/archive/weekly-brief/articles/good-lang');
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('lang="en-GB"');
    expect((await http.request('/archive/weekly-brief/articles/bad-lang')).status).toBe(404);
    const huge = await http.request('/archive/weekly-brief/articles/huge');
    expect(huge.status).toBe(200);
    expect((await huge.text()).length).toBeLessThan(1.2 * 1024 * 1024);
  });

  it('a reader who chose topics gets only matching articles; one whose topics match none is skipped with the reason', async () => {
    const p = project({
      subscribers: [
        'email,name,locale,timezone,status,consented_at,source,topics',
        'grace@example.com,Grace,en,UTC,subscribed,2026-01-01T00:00:00Z,t,climate;technology',
        'sam@example.com,Sam,en,UTC,subscribed,2026-01-01T00:00:00Z,t,sports',
        'all@example.com,All,en,UTC,subscribed,2026-01-01T00:00:00Z,t,',
      ].join('\n'),
    });
    const s = await sink();
    const app = await openTestApp(p, { env: { SMTP_URL: s.url }, clock: fixedClock('2026-11-28T15:00:00Z') });
    cleanups.push(() => app.close());
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts).toMatchObject({ sent: 2, skipped: 1 });
    const rows = await app.store.outboxRows(summary.issue!.id);
    expect(rows.find((r) => r.email === 'sam@example.com')).toMatchObject({ state: 'skipped' });
    expect(rows.find((r) => r.email === 'sam@example.com')!.lastError).toContain("reader's topics (sports)");
    const { simpleParser } = await import('mailparser');
    const byTo = new Map(await Promise.all(s.received.map(async (r) => [r.to[0]!, await simpleParser(r.raw)] as const)));
    const grace = byTo.get('grace@example.com')!.text!;
    expect(grace).toContain('Heat pumps passed');
    expect(grace).toContain('Automated ports');
    expect(grace).not.toContain('bibliothèques');
    expect(grace).not.toContain('North Korea'); // no topics at all: not in a topic reader's issue
    expect(byTo.get('all@example.com')!.text).toContain('North Korea');
  });

  it('with sendWhenEmpty, an issue goes out even with nothing new, and says so; extra notice patterns drop page chrome', async () => {
    const p = project({
      config: (y) => y.replace('catchUpGrace: 6h', 'catchUpGrace: 6h\n    sendWhenEmpty: true').replace('delivery:', 'articles:\n  noticePatterns: ["^Advertisement"]\ndelivery:'),
      articles: { 'ad.md': '---\ntitle: With an ad\ndate: 2026-11-20\n---\nAdvertisement: buy things now.\n\nThe real first paragraph.\n' },
    });
    const s = await sink();
    const clock = fixedClock('2026-11-28T15:00:00Z');
    const app = await openTestApp(p, { env: { SMTP_URL: s.url }, clock });
    cleanups.push(() => app.close());
    await sendNewsletter(app, app.config.newsletters[0]!);
    const { simpleParser } = await import('mailparser');
    const first = await simpleParser(s.received.find((r) => r.to[0] === 'ada@example.com')!.raw);
    expect(first.text).toContain('The real first paragraph.');
    expect(first.text).not.toContain('Advertisement');
    s.received.length = 0;
    clock.set('2026-11-30T09:00:00Z');
    const empty = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(empty.status).toBe('delivered');
    expect(empty.issue!.articles).toBe(0);
    const m = await simpleParser(s.received.find((r) => r.to[0] === 'ada@example.com')!.raw);
    expect(m.subject).toContain('nothing new');
    expect(m.text).toContain('Nothing new since the last issue.');
  });
});
