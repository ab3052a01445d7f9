import { describe, expect, it } from 'vitest';
import { parse as parseSync } from 'csv-parse/sync';
import { LIST_CSV_OPTIONS, parseListFile, RecordLines, type CsvRecord } from '../../src/audience/list-file.js';

const FILE = 'subscribers/weekly-brief.csv';
const HEADER = 'email,name,locale,timezone,status,consented_at,source,topics';

function parse(rows: string[], header = HEADER) {
  return parseListFile([header, ...rows].join('\n') + '\n', FILE, 'weekly-brief.csv');
}

describe('parseListFile', () => {
  it('reads a clean row with every column', () => {
    const { entries, problems } = parse(['ada@example.com,Ada Lovelace,fr-CA,Europe/Paris,subscribed,2026-01-02,signup-form,economy;trade']);
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      {
        line: 2,
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        locale: 'fr-CA',
        timezone: 'Europe/Paris',
        status: 'subscribed',
        consentedAt: '2026-01-02T00:00:00.000Z',
        source: 'signup-form',
        topics: ['economy', 'trade'],
        attributes: {},
      },
    ]);
  });

  it('trims and lower-cases the whole address', () => {
    const { entries } = parse(['"  ADA@Example.COM ",Ada,,,subscribed,2026-01-02,,']);
    expect(entries.map((e) => e.email)).toEqual(['ada@example.com']);
  });

  it('reports an invalid address with file:line and skips the row', () => {
    const { entries, problems } = parse(['not-an-address,X,,,subscribed,2026-01-02,,', 'bob@example.com,Bob,,,subscribed,2026-01-02,,']);
    expect(entries.map((e) => e.email)).toEqual(['bob@example.com']);
    expect(problems).toEqual([{ place: `${FILE}:2`, message: expect.stringContaining('"not-an-address" is not a valid email address') }]);
  });

  it('merges duplicate addresses: the later row wins and is reported', () => {
    const { entries, problems } = parse(['ada@example.com,Old Name,,,pending,,,', 'bob@example.com,Bob,,,subscribed,2026-01-02,,', 'ADA@example.com,New Name,,,subscribed,2026-01-03,,']);
    expect(entries).toHaveLength(2);
    const ada = entries.find((e) => e.email === 'ada@example.com')!;
    expect(ada).toMatchObject({ name: 'New Name', status: 'subscribed', line: 4, consentedAt: '2026-01-03T00:00:00.000Z' });
    expect(problems).toEqual([{ place: `${FILE}:4`, message: expect.stringContaining('also appears on line 2') }]);
  });

  it('cleans a name with CR/LF to one line, reports it and keeps the reader', () => {
    const text = `${HEADER}\r\nada@example.com,"Ada\r\nBcc: x@y.z",,,subscribed,2026-01-02,,\r\n`;
    const { entries, problems } = parseListFile(text, FILE, 'default');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.name).toBe('Ada Bcc: x@y.z');
    expect(entries[0]!.name).not.toMatch(/[\r\n]/);
    expect(problems).toEqual([{ place: `${FILE}:2`, message: expect.stringContaining('line breaks or control characters') }]);
  });

  it('reports and blanks an invalid locale and an unknown time zone', () => {
    const { entries, problems } = parse(['ada@example.com,Ada,not a locale!,Mars/Olympus_Mons,subscribed,2026-01-02,,']);
    expect(entries[0]).toMatchObject({ locale: '', timezone: '' });
    expect(problems.map((p) => p.place)).toEqual([`${FILE}:2`, `${FILE}:2`]);
    expect(problems[0]!.message).toMatch(/locale "not a locale!"/);
    expect(problems[1]!.message).toMatch(/time zone "Mars\/Olympus_Mons"/);
  });

  it('keeps the line numbers of later rows right after a quoted multi-line field', () => {
    const { problems } = parse([
      'ada@example.com,"Ada\nLovelace\nthe Countess",,,subscribed,2026-01-02,,',
      'broken,B,,,subscribed,2026-01-02,,',
      '',
      'also broken,C,,,subscribed,2026-01-02,,',
    ]);
    expect(problems.map((p) => p.place)).toEqual([`${FILE}:2`, `${FILE}:5`, `${FILE}:7`]);
  });

  it('reports missing header columns at line 1 and reads no row', () => {
    const { entries, problems } = parse(['ada@example.com,Ada'], 'email,name');
    expect(entries).toEqual([]);
    expect(problems).toEqual([{ place: `${FILE}:1`, message: expect.stringContaining('header lacks column(s) status') }]);
  });

  it('uses the default source when the source column is empty', () => {
    const { entries } = parse(['ada@example.com,Ada,,,pending,,,', 'bob@example.com,Bob,,,pending,,import-2026,']);
    expect(entries.map((e) => e.source)).toEqual(['weekly-brief.csv', 'import-2026']);
  });

  it('reports an unknown status and a subscribed row without consented_at', () => {
    const { entries, problems } = parse(['ada@example.com,Ada,,,maybe,,,', 'bob@example.com,Bob,,,subscribed,,,']);
    expect(entries.map((e) => e.email)).toEqual(['bob@example.com']);
    expect(entries[0]!.consentedAt).toBeUndefined();
    expect(problems.map((p) => p.place)).toEqual([`${FILE}:2`, `${FILE}:3`]);
    expect(problems[0]!.message).toMatch(/status "maybe"/);
    expect(problems[1]!.message).toMatch(/no consented_at/);
  });

  it('keeps extra columns as attributes for templates', () => {
    const { entries } = parse(['ada@example.com,Ada,,,pending,,,,Analytical Engines'], `${HEADER},company`);
    expect(entries[0]!.attributes).toEqual({ company: 'Analytical Engines' });
  });

  it('skips the whole file, with a report, when it is not valid CSV', () => {
    const { entries, problems } = parseListFile(`${HEADER}\nada@example.com,"unterminated,,,pending,,,\n`, FILE, 'd');
    expect(entries).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.place.startsWith(FILE)).toBe(true);
    expect(problems[0]!.message).toMatch(/not valid CSV/);
  });
});

describe('RecordLines', () => {
  const lines = (text: string) => {
    const records = parseSync(text, LIST_CSV_OPTIONS) as unknown as CsvRecord[];
    const counter = new RecordLines();
    return records.map((r) => [r.record[0], counter.start(r)]);
  };

  it('counts CR LF inside a quoted field as one line break, in a CR LF file', () => {
    expect(lines('a,"x\r\ny"\r\nb,1\r\nc,"p\r\nq\r\nr"\r\nd,2\r\n')).toEqual([
      ['a', 1],
      ['b', 3],
      ['c', 4],
      ['d', 7],
    ]);
  });

  it('counts LF, CR LF and a lone CR inside quotes each as one break, whatever the file uses', () => {
    expect(lines('a,"x\r\ny"\nb,1\n')).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    expect(lines('a,"x\ny"\r\nb,1\r\n')).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    expect(lines('a,"x\ry\rz"\nb,1\n')).toEqual([
      ['a', 1],
      ['b', 4],
    ]);
  });
});
