import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArticleDate, readFolderSource } from '../../src/articles/folder-source.js';

// The seed of ../shared/seeds/; a plain clone has no shared/ beside it, so fall back to the
// byte-identical copy the sample articles carry.
const SHARED_SEED = fileURLToPath(new URL('../../../shared/seeds/000_5243a2197cd48282.txt', import.meta.url));
const SEED = existsSync(SHARED_SEED) ? SHARED_SEED : fileURLToPath(new URL('../../articles/north-korea-iran.txt', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = '---\ntitle: Good one\ndate: 2026-01-05\n---\nA body paragraph.\n';

describe('readFolderSource: the scraped seed page', () => {
  it('takes the title, date and first paragraph and drops the privacy notice', () => {
    copyFileSync(SEED, join(dir, '000_5243a2197cd48282.txt'));
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles).toHaveLength(1);
    const a = articles[0]!;
    expect(a.id).toBe('000_5243a2197cd48282');
    expect(a.title).toBe('If North Korea and Iran hook up, will China be jealous?');
    expect(a.publishedAt).toBe('2024-04-24T00:00:00.000Z');
    expect(a.excerpt.startsWith('Pyongyang')).toBe(true);
    expect(a.excerpt.endsWith('…')).toBe(true);
    expect(a.excerpt.length).toBeLessThanOrEqual(241);
    for (const text of [a.excerpt, ...a.paragraphs]) {
      expect(text).not.toMatch(/privacy policy/i);
      expect(text).not.toMatch(/cookies/i);
    }
    expect(a.paragraphs[0]!.startsWith('Pyongyang')).toBe(true);
  });

  it('splits paragraphs the scrape glued together at a closing quote', () => {
    copyFileSync(SEED, join(dir, 'seed.txt'));
    const { articles } = readFolderSource(dir);
    const paragraphs = articles[0]!.paragraphs;
    expect(paragraphs.some((p) => p.startsWith('“From North Korea’s perspective'))).toBe(true);
    expect(paragraphs.some((p) => p.endsWith('run the same play with Tehran.'))).toBe(true);
  });
});

describe('readFolderSource: Markdown with front matter', () => {
  it('reads id, topics, translationOf, summary and url from the front matter', () => {
    write(
      'tariffs-fr.md',
      [
        '---',
        'id: tariffs-2026-fr',
        'title: Les droits de douane',
        'date: 2026-01-12T09:30:00Z',
        'lang: fr',
        'topics: [Trade, Europe]',
        'translationOf: tariffs-2026',
        'summary: Un résumé court.',
        'url: https://news.example.org/fr/tariffs',
        '---',
        '# Heading is skipped',
        '',
        'First **bold** paragraph with a [link](https://x.example).',
        '',
        'Second paragraph.',
      ].join('\n'),
    );
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles[0]).toMatchObject({
      id: 'tariffs-2026-fr',
      title: 'Les droits de douane',
      publishedAt: '2026-01-12T09:30:00.000Z',
      lang: 'fr',
      topics: ['Trade', 'Europe'],
      translationOf: 'tariffs-2026',
      excerpt: 'Un résumé court.',
      url: 'https://news.example.org/fr/tariffs',
      paragraphs: ['First bold paragraph with a link.', 'Second paragraph.'],
    });
  });

  it('uses the file name as id when the front matter has none, and the first paragraph as excerpt', () => {
    write('plain-article.md', '---\ntitle: Plain\ndate: 2026-01-05\ntopics: economy, trade\n---\nOnly paragraph.\n');
    const { articles } = readFolderSource(dir);
    expect(articles[0]).toMatchObject({ id: 'plain-article', topics: ['economy', 'trade'], excerpt: 'Only paragraph.' });
    expect(articles[0]!.translationOf).toBeUndefined();
  });

  it('refuses a url that is not http(s) and names the file', () => {
    const bad = write('bad-url.md', '---\ntitle: T\ndate: 2026-01-05\nurl: "javascript:alert(1)"\n---\nBody.\n');
    write('good.md', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect(articles.map((a) => a.id)).toEqual(['good']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.place).toBe(bad);
    expect(problems[0]!.message).toMatch(/url/);
  });

  it('ignores files that are not .md, .markdown or .txt, and hidden files', () => {
    write('notes.json', '{}');
    write('.hidden.md', GOOD);
    write('kept.markdown', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.id)).toEqual(['kept']);
  });
});

describe('readFolderSource: bad files are reported with their path and skipped', () => {
  const cases: [string, string, RegExp][] = [
    ['broken-yaml.md', '---\ntitle: [unclosed\ndate: 2026-01-05\n---\nBody.\n', /not valid YAML/],
    ['no-closing.md', '---\ntitle: T\ndate: 2026-01-05\nBody without the closing line.\n', /no closing "---"/],
    ['feb-30.md', '---\ntitle: T\ndate: 2026-02-30\n---\nBody.\n', /date "2026-02-30" does not parse/],
    ['next-tuesday.md', '---\ntitle: T\ndate: next tuesday\n---\nBody.\n', /date "next tuesday" does not parse/],
    ['no-date.md', '---\ntitle: T\n---\nBody.\n', /no "date"/],
    ['no-title.md', '---\ndate: 2026-01-05\n---\nBody.\n', /no "title"/],
    ['empty-body.md', '---\ntitle: T\ndate: 2026-01-05\n---\n\n# Only a heading\n', /no body and no summary/],
  ];

  for (const [name, text, message] of cases) {
    it(`${name}`, () => {
      const bad = write(name, text);
      write('zz-good.md', GOOD);
      const { articles, problems } = readFolderSource(dir);
      expect(articles.map((a) => a.id)).toEqual(['zz-good']);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.place).toBe(bad);
      expect(problems[0]!.message).toMatch(message);
      expect(problems[0]!.message).toMatch(/skipped$/);
    });
  }

  it('rejects a full ISO time on a day the calendar does not have (2026-02-30T09:30:00Z)', () => {
    const bad = write('feb-30-time.md', '---\ntitle: T\ndate: 2026-02-30T09:30:00Z\n---\nBody.\n');
    const { articles, problems } = readFolderSource(dir);
    expect(articles).toEqual([]);
    expect(problems.map((p) => p.place)).toEqual([bad]);
  });

  it('an empty body is fine when a summary is given', () => {
    write('summary-only.md', '---\ntitle: T\ndate: 2026-01-05\nsummary: Just the summary.\n---\n');
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles[0]).toMatchObject({ excerpt: 'Just the summary.', paragraphs: [] });
  });

  it('keeps the first of two files with the same id and reports the second', () => {
    const first = write('a.md', '---\nid: same\ntitle: First\ndate: 2026-01-05\n---\nOne.\n');
    const second = write('b.md', '---\nid: same\ntitle: Second\ndate: 2026-01-06\n---\nTwo.\n');
    const { articles, problems } = readFolderSource(dir);
    expect(articles.map((a) => a.title)).toEqual(['First']);
    expect(problems).toEqual([{ place: second, message: expect.stringContaining(`duplicate article id "same" (first used by ${first})`) }]);
  });

  it('never evaluates ---js front matter', () => {
    const marker = '__nlFrontMatterEvaluated';
    const bad = write('js.md', `---js\n{ title: (() => { globalThis.${marker} = true; throw new Error('evaluated') })(), date: '2026-01-05' }\n---\nBody.\n`);
    write('zz-good.md', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
    expect(articles.map((a) => a.id)).toEqual(['zz-good']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.place).toBe(bad);
    expect(problems[0]!.message).not.toMatch(/evaluated/);
  });

  it('reports a folder that cannot be read', () => {
    const missing = join(dir, 'nope');
    const { articles, problems } = readFolderSource(missing);
    expect(articles).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.place).toBe(missing);
  });
});

describe('parseArticleDate', () => {
  it('reads a calendar date as midnight UTC and an ISO time with its offset', () => {
    expect(parseArticleDate('2024-04-24')).toBe('2024-04-24T00:00:00.000Z');
    expect(parseArticleDate('2026-11-20T09:30:00+01:00')).toBe('2026-11-20T08:30:00.000Z');
    expect(parseArticleDate(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses text, numbers and impossible dates', () => {
    for (const bad of ['next tuesday', '2026-02-30', '2026-13-01', '24/04/2024', '', 20240424, undefined]) {
      expect(parseArticleDate(bad), String(bad)).toBeUndefined();
    }
  });

  it('refuses an impossible day in a full ISO time rather than rolling it over', () => {
    expect(parseArticleDate('2026-02-30T09:30:00Z')).toBeUndefined();
    expect(parseArticleDate('2026-04-31 08:00')).toBeUndefined();
  });
  it('reads a time without an offset as UTC, like a bare date, whatever the host’s time zone', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(parseArticleDate('2026-11-20T09:30:00')).toBe('2026-11-20T09:30:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
