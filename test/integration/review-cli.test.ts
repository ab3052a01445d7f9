import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { capturedRecipients } from '../helpers/captured.js';
import { CONSENTING, makeProject, type TestProject } from '../helpers/project.js';

function article(id: string, title: string, date: string): string {
  return `---\nid: ${id}\ntitle: ${title}\ndate: ${date}\nlang: en\ntopics: [technology]\nsummary: ${title}.\n---\n\n${title}.\n`;
}

const readers = async (dir: string) => (await capturedRecipients(dir)).filter((a) => a !== 'editor@example.org');

// A dozen CLI runs a test, each a fresh process (about 1-2 s each, more on a busy machine).
describe('editors review from the shell: issues, issue edit, approve, send --issue', { timeout: 120_000 }, () => {
  let project: TestProject;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  beforeAll(() => {
    project = makeProject({
      config: (yaml) => yaml.replace('    catchUpGrace: 6h\n', '    catchUpGrace: 6h\n    review:\n      mode: required\n      opensBefore: 24h\n      notify: [editor@example.org]\n'),
      articles: { 'tram.md': article('tram-returns', 'The tram returns', '2026-11-24'), 'bees.md': article('city-bees', 'City bees', '2026-11-25') },
    });
    cli = (args) => runCli([...args, '--config', project.configFile], { cwd: project.dir });
  });
  afterAll(() => project.cleanup());

  it('waits for approval at the slot, sends once approved, refuses edits after, and names what is wrong', async () => {
    const waiting = await cli(['send', '--at', '2026-11-23T07:00:00Z']);
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stderr).toMatch(/nothing sent: issue #1 is waiting for approval/);
    expect(await readers(project.dir)).toEqual([]);
    const report = await cli(['report']);
    expect(report.stdout + report.stderr).toContain('DRAFT under review: nobody is queued until it is released (approve it: `newsletter approve --newsletter weekly-brief --issue 1`)');
    expect(JSON.parse((await cli(['report', '--json'])).stdout)).toMatchObject([{ issue: 1, review: { state: 'draft', approvedBy: null } }]);

    const listed = await cli(['issues', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: 1, state: 'draft', when: 'Monday 23 November 2026, 08:00 (Europe/Paris)' }]);

    const approved = await cli(['approve', '--newsletter', 'weekly-brief', '--as', 'ines', '--at', '2026-11-23T07:10:00Z']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).toContain('issue #1 approved by ines (cli); its slot has passed: sending it now');
    expect(await readers(project.dir)).toEqual([...CONSENTING].sort());

    const late = await cli(['issue', 'edit', '1', '--exclude', 'city-bees']);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain('issue #1: this issue is released to its readers: it cannot be edited any more');
    expect((await cli(['approve', '--newsletter', 'weekly-brief', '--issue', '1'])).stderr).toContain('issue #1 is released: only a draft can be approved');
    expect((await cli(['approve', '--newsletter', 'weekly-brief', '--issue', '99'])).code).toBe(2);
  });

  it('opens the next draft, edits it with who, and past the grace needs send --issue N', async () => {
    const opened = await cli(['issues', '--open-drafts', '--at', '2026-11-29T12:00:00Z']);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stderr).toContain('weekly-brief: draft #2 open for review');
    expect(opened.stdout).toMatch(/^#2\tweekly-brief\tdraft\tMonday 30 November 2026, 08:00 \(Europe\/Paris\)\t2 articles$/m);

    const edit = await cli(['issue', 'edit', '2', '--exclude', 'city-bees', '--note', 'fr=Bonjour *à tous*', '--subject', 'en=Trams are back', '--as', 'ines']);
    expect(edit.code, edit.stderr).toBe(0);
    const wrong = await cli(['issue', 'edit', '2', '--pin', 'no-such-story']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('no article "no-such-story" in this issue');
    const nothing = await cli(['issue', 'edit', '2']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change');
    expect((await cli(['issue', 'edit', '2', '--note', 'Bonjour'])).stderr).toContain('--note takes LOCALE=TEXT');

    const [draft] = JSON.parse((await cli(['issues', '--json', '--limit', '1'])).stdout) as {
      articles: { id: string }[];
      note: Record<string, string>;
      subject: Record<string, string>;
      edits: { editor: string; what: string }[];
    }[];
    expect(draft!.articles.map((a) => a.id)).toEqual(['tram-returns']);
    expect(draft!.note).toEqual({ fr: 'Bonjour *à tous*' });
    expect(draft!.subject).toEqual({ en: 'Trams are back' });
    expect(draft!.edits.map((e) => `${e.editor}: ${e.what}`)).toEqual(['ines (cli): excluded "City bees" (city-bees)', "ines (cli): set the fr editor's note", 'ines (cli): set the en subject']);

    const before = (await readers(project.dir)).length;
    expect((await cli(['send', '--at', '2026-11-30T07:00:05Z'])).stderr).toMatch(/waiting for approval/);
    const approved = await cli(['approve', '--newsletter', 'weekly-brief', '--issue', '2', '--no-send', '--at', '2026-11-30T20:00:00Z']);
    expect(approved.code, approved.stderr).toBe(0);
    const tooLate = await cli(['send', '--at', '2026-11-30T20:00:00Z']);
    expect(tooLate.code).toBe(0);
    expect(tooLate.stderr).toContain('send it with `newsletter send --issue 2`');
    expect((await readers(project.dir)).length).toBe(before);
    const named = await cli(['send', '--issue', '2', '--at', '2026-11-30T20:00:00Z']);
    expect(named.code, named.stderr).toBe(0);
    expect((await readers(project.dir)).length).toBe(before + CONSENTING.length);
  });

  it('tells the truth in --help', async () => {
    expect((await runCli(['approve', '--help'])).stdout).toMatch(/--no-send[\s\S]*--issue <n>/);
    expect((await runCli(['issue', 'edit', '--help'])).stdout).toMatch(/--exclude <article>[\s\S]*--note <locale=markdown>/);
    expect((await runCli(['send', '--help'])).stdout).toContain('--issue <n>');
    expect((await runCli(['issues', '--help'])).stdout).toContain('--open-drafts');
  });
});
