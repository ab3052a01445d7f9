import { closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFolderSource } from '../../src/articles/folder-source.js';
import { parseDate } from '../../src/domain/dates.js';
import { utf8Boundary } from '../../src/articles/folder-file.js';

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
    ['bad-lang.md', '---\ntitle: T\ndate: 2026-01-05\nlang: "en_US!!"\n---\nBody.\n', /lang "en_US!!" is not a BCP 47 language tag/],
    ['number-lang.md', '---\ntitle: T\ndate: 2026-01-05\nlang: 42\n---\nBody.\n', /lang 42 is not a BCP 47 language tag/],
    ['list-lang.md', '---\ntitle: T\ndate: 2026-01-05\nlang: [en, fr]\n---\nBody.\n', /lang \["en","fr"\] is not a BCP 47 language tag/],
    ['underscore-lang.md', '---\ntitle: T\ndate: 2026-01-05\nlang: en_US\n---\nBody.\n', /lang "en_US" is not a BCP 47 language tag; write "en-US"/],
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

describe('readFolderSource: the article language', () => {
  it('stores the canonical form of a valid tag', () => {
    write('a.md', '---\ntitle: A\ndate: 2026-01-05\nlang: EN-gb\n---\nBody.\n');
    write('b.md', '---\ntitle: B\ndate: 2026-01-05\nlang: zh-hant-tw\n---\nBody.\n');
    write('c.md', '---\ntitle: C\ndate: 2026-01-05\nlang:\n---\nBody.\n');
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.lang)).toEqual(['en-GB', 'zh-Hant-TW', undefined]);
  });

  it('every stored tag is one Intl accepts, so no page that formats a date with it can throw', () => {
    for (const [i, lang] of ['"en_US!!"', '42', 'fr', '"x"', '"de-DE-u-co-phonebk"', '"i-klingon"', '"sr-Latn"', '""'].entries()) {
      write(`l${i}.md`, `---\ntitle: T${i}\ndate: 2026-01-05\nlang: ${lang}\n---\nBody.\n`);
    }
    const { articles } = readFolderSource(dir);
    for (const a of articles) {
      if (a.lang) expect(() => new Intl.DateTimeFormat(a.lang, { dateStyle: 'long' }).format(new Date(a.publishedAt)), a.lang).not.toThrow();
    }
  });
});

describe('readFolderSource: symbolic links', () => {
  let outside: string;
  beforeEach(() => {
    outside = mkdtempSync(join(tmpdir(), 'nl-outside-'));
  });
  afterEach(() => {
    rmSync(outside, { recursive: true, force: true });
  });

  it('does not follow a link to /etc/passwd or to an article outside the folder: reported with the path and why, skipped', () => {
    writeFileSync(join(outside, 'secret.md'), '---\ntitle: Not ours\ndate: 2026-01-05\n---\nPrivate text.\n');
    const toFile = join(dir, 'stolen.md');
    symlinkSync(join(outside, 'secret.md'), toFile);
    const toPasswd = join(dir, 'passwd.txt');
    symlinkSync('/etc/passwd', toPasswd);
    write('zz-good.md', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect(articles.map((a) => a.id)).toEqual(['zz-good']);
    expect(JSON.stringify(articles)).not.toMatch(/Private text|root:/);
    expect(problems.map((p) => p.place)).toEqual([toPasswd, toFile]);
    expect(problems[0]!.message).toBe(`is a symbolic link to /etc/passwd, outside the article folder ${realpathSync(dir)}; links are followed only within the folder; not followed, skipped`);
    expect(problems[1]!.message).toContain(`is a symbolic link to ${realpathSync(join(outside, 'secret.md'))}, outside the article folder`);
  });

  it('does not follow a link to a folder outside, nor a link inside that leads out through another link', () => {
    mkdirSync(join(outside, 'other.md'));
    writeFileSync(join(outside, 'other.md', 'x.md'), GOOD);
    const toFolder = join(dir, 'other.md');
    symlinkSync(join(outside, 'other.md'), toFolder);
    writeFileSync(join(outside, 'far.md'), GOOD);
    symlinkSync(join(outside, 'far.md'), join(dir, '.hop'));
    const chained = join(dir, 'chained.md');
    symlinkSync(join(dir, '.hop'), chained);
    const { articles, problems } = readFolderSource(dir);
    expect(articles).toEqual([]);
    expect(problems.map((p) => [p.place, /outside the article folder/.test(p.message)])).toEqual([
      [chained, true],
      [toFolder, true],
    ]);
  });

  it('follows links that stay inside the folder, relative or absolute, and reads a folder that is itself a link', () => {
    write('original.md', '---\ntitle: Original\ndate: 2026-01-05\n---\nBody.\n');
    mkdirSync(join(dir, 'drafts'));
    writeFileSync(join(dir, 'drafts', 'inner.md'), '---\ntitle: Inner\ndate: 2026-01-06\n---\nBody.\n');
    symlinkSync('original.md', join(dir, 'alias.md'));
    symlinkSync(join(dir, 'drafts', 'inner.md'), join(dir, 'inner.md'));
    symlinkSync(join(dir, 'drafts'), join(dir, 'drafts.md'));
    const viaLink = join(outside, 'articles-link');
    symlinkSync(dir, viaLink);
    const { articles, problems } = readFolderSource(viaLink);
    expect(problems).toEqual([]);
    expect(articles.map((a) => [a.id, a.title])).toEqual([
      ['alias', 'Original'],
      ['inner', 'Inner'],
      ['original', 'Original'],
    ]);
  });

  it('passes over a named pipe without waiting for a writer, and follows a link into a folder whose name starts with two dots', () => {
    execFileSync('mkfifo', [join(dir, 'pipe.md')]);
    mkdirSync(join(dir, '..drafts'));
    writeFileSync(join(dir, '..drafts', 'draft.md'), GOOD);
    symlinkSync(join(dir, '..drafts', 'draft.md'), join(dir, 'draft.md'));
    const { articles, problems } = readFolderSource(dir);
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.id)).toEqual(['draft']);
  });

  it('reports a broken link with its path', () => {
    const broken = join(dir, 'gone.md');
    symlinkSync(join(dir, 'nowhere.md'), broken);
    write('zz-good.md', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect(articles.map((a) => a.id)).toEqual(['zz-good']);
    expect(problems).toEqual([{ place: broken, message: expect.stringContaining('broken link') }]);
  });
});

describe('readFolderSource: a huge article is cut, reported and kept', () => {
  it('cuts a 20 MB article to articles.maxBytes (1 MiB by default) and names the file, its size and the key', () => {
    const head = '---\ntitle: Enormous\ndate: 2026-01-05\n---\n';
    const paragraph = 'All work and no play makes a very long article indeed. '.repeat(20).trim() + '\n\n';
    const text = head + paragraph.repeat(Math.ceil((20 * 1024 * 1024) / paragraph.length));
    const file = write('huge.md', text);
    const size = Buffer.byteLength(text);
    write('small.md', GOOD);
    const { articles, problems } = readFolderSource(dir);
    expect(articles.map((a) => a.id)).toEqual(['huge', 'small']);
    const huge = articles[0]!;
    expect(huge.title).toBe('Enormous');
    expect(Buffer.byteLength(huge.paragraphs.join('\n\n'))).toBeLessThanOrEqual(1024 * 1024);
    expect(Buffer.byteLength(huge.paragraphs.join('\n\n'))).toBeGreaterThan(1024 * 1024 - 2 * paragraph.length);
    expect(problems).toEqual([{ place: file, message: `the file is ${size} bytes, over articles.maxBytes (1048576); only its first 1048576 bytes are used, the rest is ignored` }]);
  });

  it('never reads the file whole: a 600 MiB (sparse) file, longer than any string V8 can hold, is cut like any other', () => {
    const file = join(dir, 'sparse.md');
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, '---\ntitle: Sparse\ndate: 2026-01-05\n---\nThe only written paragraph.\n\n');
      ftruncateSync(fd, 600 * 1024 * 1024);
    } finally {
      closeSync(fd);
    }
    const { articles, problems } = readFolderSource(dir, [], { maxBytes: 4096 });
    expect(articles.map((a) => a.title)).toEqual(['Sparse']);
    expect(articles[0]!.excerpt).toBe('The only written paragraph.');
    expect(problems).toEqual([{ place: file, message: `the file is ${600 * 1024 * 1024} bytes, over articles.maxBytes (4096); only its first 4096 bytes are used, the rest is ignored` }]);
  });

  it('cuts at a UTF-8 character boundary, never inside a character', () => {
    const head = '---\ntitle: Émojis\ndate: 2026-01-05\n---\n';
    // 4-byte characters from the head's end onwards: the limit falls inside one unless the cut steps back.
    const body = '🌊'.repeat(400);
    const file = write('utf8.md', head + body);
    const limit = Buffer.byteLength(head) + 4 * 250 + 2;
    const { articles, problems } = readFolderSource(dir, [], { maxBytes: limit });
    expect(articles[0]!.paragraphs).toEqual(['🌊'.repeat(250)]);
    expect(articles[0]!.excerpt).not.toContain('\uFFFD');
    expect(problems).toEqual([{ place: file, message: expect.stringContaining(`only its first ${limit - 2} bytes are used`) }]);
  });

  it('a file exactly at the limit is whole and not reported', () => {
    const text = '---\ntitle: Exact\ndate: 2026-01-05\n---\n' + 'x'.repeat(200);
    write('exact.md', text);
    const { articles, problems } = readFolderSource(dir, [], { maxBytes: Buffer.byteLength(text) });
    expect(problems).toEqual([]);
    expect(articles[0]!.paragraphs).toEqual(['x'.repeat(200)]);
  });

  it('a cut that leaves the front matter unclosed is reported with both reasons', () => {
    const file = write('long-head.md', `---\ntitle: T\ndate: 2026-01-05\nsummary: ${'y'.repeat(5000)}\n---\nBody.\n`);
    const { articles, problems } = readFolderSource(dir, [], { maxBytes: 1024 });
    expect(articles).toEqual([]);
    expect(problems).toEqual([{ place: file, message: expect.stringMatching(/no closing "---" line \(the file is \d+ bytes, over articles.maxBytes \(1024\).*\); skipped$/) }]);
  });

  it('utf8Boundary steps back over continuation bytes only', () => {
    const bytes = Buffer.from('aé🌊b'); // 61 | c3 a9 | f0 9f 8c 8a | 62
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => utf8Boundary(bytes, i))).toEqual([0, 1, 1, 3, 3, 3, 3, 7, 8]);
  });
});

describe('parseDate', () => {
  it('reads a calendar date as midnight UTC and an ISO time with its offset', () => {
    expect(parseDate('2024-04-24')).toBe('2024-04-24T00:00:00.000Z');
    expect(parseDate('2026-11-20T09:30:00+01:00')).toBe('2026-11-20T08:30:00.000Z');
    expect(parseDate(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses text, numbers and impossible dates', () => {
    for (const bad of ['next tuesday', '2026-02-30', '2026-13-01', '24/04/2024', '', 20240424, undefined]) {
      expect(parseDate(bad), String(bad)).toBeUndefined();
    }
  });

  it('refuses an impossible day in a full ISO time rather than rolling it over', () => {
    expect(parseDate('2026-02-30T09:30:00Z')).toBeUndefined();
    expect(parseDate('2026-04-31 08:00')).toBeUndefined();
  });
  it('reads a time without an offset as UTC, like a bare date, whatever the host’s time zone', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(parseDate('2026-11-20T09:30:00')).toBe('2026-11-20T09:30:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
