import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListFile, type ListEntry } from '../../src/audience/list-file.js';
import { readListFile, type ListChunk } from '../../src/audience/list-stream.js';
import { importListFile, MAX_PROBLEMS, syncListFile } from '../../src/audience/sync.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Problem } from '../../src/domain/errors.js';
import type { Store } from '../../src/store/store.js';
import { suppressionHash } from '../../src/domain/erasure.js';
import { HEADER, messyList } from '../helpers/lists.js';

const NOW = '2026-11-29T00:00:00.000Z';

async function readAll(path: string, chunkSize: number) {
  const chunks: ListChunk[] = [];
  const result = await readListFile(path, 'list.csv', 'list.csv', async (c) => void chunks.push(c), chunkSize);
  return { chunks, result, entries: chunks.flatMap((c) => c.entries), problems: chunks.flatMap((c) => c.problems) };
}

const byEmail = (entries: ListEntry[]) => [...entries].sort((a, b) => a.email.localeCompare(b.email));

describe('readListFile: a list read in chunks, never held whole', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-list-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => {
    const path = join(dir, 'list.csv');
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['CR LF', '\r\n'],
    ['LF', '\n'],
  ])('gives the same entries and problems as the in-memory parser, with duplicates across chunks (%s)', async (_name, eol) => {
    const text = messyList(600, eol);
    const path = write(text);
    const expected = parseListFile(text, 'list.csv', 'list.csv');
    const { chunks, result, entries, problems } = await readAll(path, 7);
    expect(expected.problems.some((p) => /also appears on line/.test(p.message))).toBe(true);
    expect(expected.problems.some((p) => /not a valid email/.test(p.message))).toBe(true);
    expect(byEmail(entries)).toEqual(byEmail(expected.entries));
    expect(problems).toEqual(expected.problems);
    expect(result.rows).toBe(expected.entries.length);
    expect(result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.max(...chunks.map((c) => c.entries.length))).toBe(7);
  });

  it('applies both of two addresses whose hashes collide, each with its own last row', async () => {
    const [a, b] = ['r66999@example.com', 'r916676@example.com']; // the same 32-bit hash (address-index.test.ts)
    const text = [HEADER, `${a},A1,,,pending,,,`, `${b},B1,,,pending,,,`, `${a},A2,,,subscribed,2026-01-01,,`, `x@example.com,X,,,pending,,,`, `${b},B2,,,unsubscribed,,,`, ''].join('\n');
    const expected = parseListFile(text, 'list.csv', 'list.csv');
    const { entries, problems } = await readAll(write(text), 1);
    expect(byEmail(entries)).toEqual(byEmail(expected.entries));
    expect(entries.map((e) => e.name).sort()).toEqual(['A2', 'B2', 'X']);
    expect(problems).toEqual(expected.problems);
  });

  it('reads past rows that are not CSV (stray quotes, binary junk) as the in-memory parser does: reported at their lines, every other reader handed over', async () => {
    // As a CRM export leaves it: a stray quote, an unclosed one, and raw bytes that are not UTF-8.
    const path = join(dir, 'list.csv');
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from(messyList(100)),
        Buffer.from('rock@example.org,Dwayne "The Rock" Johnson,,,subscribed,2026-01-01,,\r\nopen@example.org,"never closed,,,subscribed,2026-01-01,,\r\njunk\u0000'),
        Buffer.from([0xff, 0xc3]),
        Buffer.from(',,,,subscribed,,,\r\nlate@example.com,Late,,,subscribed,2026-01-01,,\r\n'),
      ]),
    );
    const expected = parseListFile(readFileSync(path, 'utf8'), 'list.csv', 'list.csv');
    const { entries, problems, result } = await readAll(path, 7);
    expect(result.refused).toBeUndefined();
    expect(byEmail(entries)).toEqual(byEmail(expected.entries));
    expect(problems).toEqual(expected.problems);
    expect(entries.map((e) => e.email)).toEqual(expect.arrayContaining(['rock@example.org', 'late@example.com']));
    expect(entries.map((e) => e.email)).not.toContain('open@example.org');
    const notCsv = problems.filter((p) => /not a valid CSV row|not UTF-8/.test(p.message));
    expect(notCsv).toHaveLength(2);
  });

  it('reads files as CRMs and spreadsheets save them exactly as the in-memory parser does: no reader swallowed by an open quote in any column, `sep=,` skipped, neutralised cells read back, unreadable headers refused', async () => {
    const fixtures = new URL('../fixtures/lists/', import.meta.url);
    const files: [string, Buffer][] = [
      ...['name-first-export.csv', 'excel-sep-line.csv', 'quoted-semicolons.csv'].map((f) => [f, readFileSync(new URL(f, fixtures))] as [string, Buffer]),
      ['utf-16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\r\nann@example.org,Ann,,,subscribed,2026-01-02,,\r\n`, 'utf16le')])],
      ['neutralised.csv', Buffer.from(`${HEADER}\n'-dash@example.org,'=SUM(1),,,subscribed,2026-01-02,,\nann@example.org;Ann;;;subscribed;2026-01-02;;\n`)],
    ];
    const seen: Record<string, { emails: string[]; problems: string[]; refused?: string }> = {};
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const expected = parseListFile(readFileSync(path, 'utf8'), 'list.csv', 'list.csv');
      const { entries, problems, result } = await readAll(path, 2);
      if (result.refused) expect([result.refused], name).toEqual(expected.problems);
      else expect(problems, name).toEqual(expected.problems);
      expect(byEmail(entries), name).toEqual(byEmail(expected.entries));
      seen[name] = { emails: entries.map((e) => e.email).sort(), problems: problems.map((p) => p.place), ...(result.refused ? { refused: result.refused.message } : {}) };
    }
    expect(seen['name-first-export.csv']).toEqual({
      emails: ['ada@example.org', 'bob@example.org', 'carl@example.org', 'rock@example.org', 'zed@example.org'],
      problems: ['list.csv:2', 'list.csv:5'],
    });
    expect(seen['excel-sep-line.csv']).toEqual({ emails: ['ann@example.org'], problems: ['list.csv:4'] });
    expect(seen['quoted-semicolons.csv']).toEqual({ emails: [], problems: [], refused: expect.stringContaining('the columns are separated by ";"') });
    expect(seen['utf-16.csv']).toEqual({ emails: [], problems: [], refused: expect.stringContaining('the file is UTF-16 text') });
    expect(seen['neutralised.csv']).toEqual({ emails: ['-dash@example.org'], problems: ['list.csv:3'] });
  });

  it('refuses a file without the required columns, and an empty file, at line 1', async () => {
    for (const text of ['email,name\r\nada@example.com,Ada\r\n', '']) {
      const { chunks, result } = await readAll(write(text), 5);
      expect(chunks).toEqual([]);
      expect(result.refused).toEqual({ place: 'list.csv:1', message: expect.stringContaining('header lacks column(s)') });
    }
  });
});

describe('importListFile and syncListFile on SQLite', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nl-import-'));
    store = await openSqliteStore(join(dir, 'store.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a list chunk by chunk with progress, the same consent as applying it whole', async () => {
    const path = join(dir, 'nl.csv');
    writeFileSync(path, messyList(300));
    const progress: number[] = [];
    const result = await importListFile(store, 'nl', path, path, NOW, { chunkSize: 50, onProgress: (n) => progress.push(n) });
    const expected = parseListFile(messyList(300), path, 'nl.csv');
    expect(result.rows).toBe(expected.entries.length);
    expect(progress.at(-1)).toBe(expected.entries.length);
    expect(progress.length).toBeGreaterThan(4);
    // The later row wins: reader0's last row (i = 240) is unsubscribed, reader1's (i = 241) subscribed.
    const states = await store.countSubscriptions('nl');
    const wanted = expected.entries.reduce<Record<string, number>>((acc, e) => {
      const state = e.status === 'unsubscribed' ? 'withdrawn' : e.status === 'pending' ? 'pending' : 'consent';
      acc[state] = (acc[state] ?? 0) + 1;
      return acc;
    }, {});
    expect(states).toEqual(wanted);
    const again = await importListFile(store, 'nl', path, path, NOW, { chunkSize: 50 });
    expect(again.recorded).toBe(0);
  });

  it(`keeps at most ${MAX_PROBLEMS} problems of one file and counts the rest`, async () => {
    const path = join(dir, 'nl.csv');
    const bad = Array.from({ length: MAX_PROBLEMS + 5 }, (_, i) => `bad-${i},B,,,subscribed,2026-01-01,,`);
    writeFileSync(path, [HEADER, ...bad, 'ok@example.com,Ok,,,subscribed,2026-01-01,,'].join('\n'));
    const { problems, rows } = await importListFile(store, 'nl', path, path, NOW, { chunkSize: 100 });
    expect(rows).toBe(1);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[0]!.place).toBe(`${path}:2`);
    expect(problems.at(-1)).toEqual<Problem>({ place: path, message: '5 more problem(s) in this file, not listed' });
  });

  it('syncs a changed file; an unchanged one is not applied, and its own problems are reported again; a refused file is read again next time', async () => {
    const path = join(dir, 'nl.csv');
    await store.erase(undefined, suppressionHash('gone@example.com'), NOW);
    writeFileSync(path, `${HEADER}\nada@example.com,Ada,,,subscribed,2026-01-01,,\nbad,B,,,subscribed,2026-01-01,,\ngone@example.com,G,,,subscribed,2026-01-01,,\n`);
    const first = await syncListFile(store, 'nl', dir, NOW);
    expect(first).toMatchObject({ changed: true, rows: 2, recorded: 1 });
    expect(first.problems.map((p) => p.place)).toEqual([`${path}:3`, `${path}:4`]);
    expect(first.problems[1]!.message).toMatch(/erased/);
    await store.transaction(
      async (tx) =>
        void (await tx.appendConsentEvent(
          { subscriberId: (await tx.findSubscriberByEmail('ada@example.com'))!.id, newsletterId: 'nl', kind: 'withdrawn', at: '2026-06-01T00:00:00.000Z', source: 'unsubscribe-link' },
          NOW,
        )),
    );
    const unchanged = await syncListFile(store, 'nl', dir, NOW);
    // The file's own problem again; what applying it found is not repeated, as nothing was applied.
    expect(unchanged).toMatchObject({ changed: false, rows: 2, recorded: 0, problems: [first.problems[0]] });
    expect(await store.countSubscriptions('nl')).toEqual({ withdrawn: 1 });

    writeFileSync(path, `${HEADER};x\nada@example.com,"Ada,,,subscribed,2026-01-01,,\n`.replace(/,/g, ';'));
    const broken = await syncListFile(store, 'nl', dir, NOW);
    expect(broken.problems[0]!.message).toMatch(/the columns are separated by ";"/);
    // Not marked as synced: the next sync reports it again instead of passing over it.
    expect((await syncListFile(store, 'nl', dir, NOW)).problems[0]!.message).toMatch(/the columns are separated by ";"/);

    writeFileSync(path, `${HEADER}\nada@example.com,Ada,,,subscribed,2026-07-01,,\n`);
    expect(await syncListFile(store, 'nl', dir, NOW)).toMatchObject({ changed: true, rows: 1, recorded: 1, problems: [] });
    expect(await store.countSubscriptions('nl')).toEqual({ consent: 1 });
  });
});
