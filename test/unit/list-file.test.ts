import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseListFile, unneutralised } from '../../src/audience/list-file.js';
import { csvRows, MAX_SPAN } from '../../src/audience/csv-rows.js';

const FILE = 'subscribers/weekly-brief.csv';
const FIXTURES = new URL('../fixtures/lists/', import.meta.url);
/** A fixture list file, read as the service reads one (UTF-8). */
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
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
    const { problems } = parse(['ada@example.com,"Ada\nLovelace\nthe Countess",,,subscribed,2026-01-02,,', 'broken,B,,,subscribed,2026-01-02,,', '', 'also broken,C,,,subscribed,2026-01-02,,']);
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

  it('reads a CRM export with stray quotes: a quote inside a field is kept, a row that is not CSV is reported at its line and skipped, every other row read', () => {
    const { entries, problems } = parse([
      'rock@example.org,Dwayne "The Rock" Johnson,en,,subscribed,2026-01-02,crm,',
      'half@example.org,"Half" Quoted,en,,subscribed,2026-01-02,crm,',
      'open@example.org,"never closed,en,,subscribed,2026-01-02,crm,',
      'ada@example.com,Ada,en,,subscribed,2026-01-02,crm,',
      'grace@example.com,"Grace ""Amazing"" Hopper",en,,subscribed,2026-01-02,crm,',
      '"dwayne@example.org","Dwayne "The Rock" Johnson","en","","subscribed","2026-01-02","crm",""',
    ]);
    expect(entries.map((e) => [e.email, e.name])).toEqual([
      ['rock@example.org', 'Dwayne "The Rock" Johnson'],
      ['ada@example.com', 'Ada'],
      ['grace@example.com', 'Grace "Amazing" Hopper'],
      // A fully quoted export with a bare quote inside a field: kept as text.
      ['dwayne@example.org', 'Dwayne "The Rock" Johnson'],
    ]);
    expect(problems).toEqual([
      { place: `${FILE}:3`, message: 'not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped' },
      { place: `${FILE}:4`, message: 'not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped' },
    ]);
  });

  it('reports a row of binary junk (NUL, bytes that are not UTF-8) and reads the rest', () => {
    const junk = Buffer.concat([Buffer.from('\u0000\u0001PK'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(',x,,,subscribed,2026-01-02,,')]).toString('utf8');
    const { entries, problems } = parse([junk, 'ada@example.com,Ada,,,subscribed,2026-01-02,,']);
    expect(entries.map((e) => e.email)).toEqual(['ada@example.com']);
    expect(problems).toEqual([{ place: `${FILE}:2`, message: expect.stringMatching(/NUL or bytes that are not UTF-8/) }]);
  });

  it('says plainly when the columns are separated by ";" (or tabs), and applies nothing', () => {
    for (const [sep, named] of [
      [';', '";"'],
      ['\t', 'tabs'],
    ] as const) {
      const header = HEADER.split(',').join(sep);
      const { entries, problems } = parseListFile(`${header}\nada@example.com${sep}Ada${sep}${sep}${sep}subscribed${sep}2026-01-02${sep}${sep}\n`, FILE, 'd');
      expect(entries).toEqual([]);
      expect(problems).toEqual([{ place: `${FILE}:1`, message: expect.stringContaining(`the columns are separated by ${named}; list files use commas`) }]);
    }
  });
});

describe('parseListFile: files as CRMs and spreadsheets save them', () => {
  it('gives up on a quote left open at the next row even when the addresses are not in the first column: no reader is swallowed into a name', () => {
    // Without the header's email column, the open quote of line 2 ran on to the `"` of line 4:
    // open@ and bob@ vanished into carl@'s name.
    const { entries, problems } = parseListFile(fixture('name-first-export.csv'), FILE, 'd');
    expect(entries.map((e) => [e.line, e.email, e.name])).toEqual([
      [3, 'bob@example.org', 'Bob Stone'],
      [4, 'carl@example.org', 'Carl"'],
      [5, 'ada@example.org', 'Ada Lovelace'],
      [7, 'rock@example.org', 'Dwayne "The Rock" Johnson'],
      [8, 'zed@example.org', 'Zed Last'],
    ]);
    expect(problems).toEqual([
      { place: `${FILE}:2`, message: 'not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped' },
      // A name over two lines in the first column is still one name (cleaned to one line, as ever).
      { place: `${FILE}:5`, message: expect.stringContaining('name of ada@example.org had line breaks') },
    ]);
  });

  it('skips the `sep=,` line Excel reads, and numbers the rows by their lines in the file', () => {
    const { entries, problems } = parseListFile(fixture('excel-sep-line.csv'), FILE, 'd');
    expect(entries.map((e) => [e.line, e.email])).toEqual([[3, 'ann@example.org']]);
    expect(problems).toEqual([{ place: `${FILE}:4`, message: expect.stringContaining('"bad-address" is not a valid email address') }]);
  });

  it('refuses a header it cannot read and says what to do: other separators (quoted or after `sep=;`), UTF-16, a workbook, a header that is not CSV', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\r\nann@example.org,Ann,,,subscribed,2026-01-02,,\r\n`, 'utf16le')]).toString('utf8');
    const xlsx = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0xff, 0x0a, 0x00, 0x21]).toString('utf8');
    const cases: [string, string][] = [
      [fixture('quoted-semicolons.csv'), 'the columns are separated by ";"; list files use commas (",")'],
      [`sep=;\n${HEADER.replace(/,/g, ';')}\n`, 'the columns are separated by ";"'],
      [`sep=|\nemail|status\n`, 'the columns are separated by "|"'],
      [utf16, 'the file is UTF-16 text (as a spreadsheet saves "Unicode Text"), not UTF-8: save it as "CSV UTF-8 (comma-separated)"'],
      [xlsx, 'the file is a ZIP archive (a spreadsheet workbook, .xlsx or .ods?), not CSV text'],
      [`email,"name,status\nann@example.org,Ann,subscribed\n`, 'the header row is not valid CSV (a quote opened on this line is never closed at the end of a field)'],
      [`\u0000email,status\nann@example.org,subscribed\n`, 'the header row is not valid CSV (holds NUL'],
    ];
    for (const [text, said] of cases) {
      const { entries, problems } = parseListFile(text, FILE, 'd');
      expect(entries).toEqual([]);
      expect(problems).toEqual([{ place: `${FILE}:1`, message: expect.stringContaining(said) }]);
      expect(problems[0]!.message, said).toMatch(/Nothing in the file was applied$/);
    }
  });

  it('says so when one row\'s columns are separated by ";" and reads the others', () => {
    const { entries, problems } = parse(['ann@example.org;Ann;;;subscribed;2026-01-02;;', 'bob@example.org,Bob,,,subscribed,2026-01-02,,']);
    expect(entries.map((e) => e.email)).toEqual(['bob@example.org']);
    expect(problems).toEqual([{ place: `${FILE}:2`, message: 'the columns of this row are separated by ";"; list files use commas (","); row skipped' }]);
  });

  it("reads a cell the export neutralised for spreadsheets (one leading ' before =, +, -, @) as it was, and leaves any other ' alone", () => {
    const { entries, problems } = parse(
      [
        "'-dash@example.org,'=HYPERLINK(\"http://x.example\"),,,subscribed,2026-01-02,'-crm,'-a;b,'+44 20 7946 0958",
        "ann@example.org,''=already quoted,,,subscribed,2026-01-02,,,' +1",
        "bob@example.org,O'Brien,,,subscribed,2026-01-02,'tis,,'@home",
      ],
      `${HEADER},phone`,
    );
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.email, e.name, e.source, e.topics, e.attributes.phone])).toEqual([
      ['-dash@example.org', '=HYPERLINK("http://x.example")', '-crm', ['-a', 'b'], '+44 20 7946 0958'],
      ['ann@example.org', "'=already quoted", 'weekly-brief.csv', [], "' +1"],
      ['bob@example.org', "O'Brien", "'tis", [], '@home'],
    ]);
  });

  it("unneutralised keeps leading white space and takes one ' only", () => {
    expect([" '=1", "'''+x", "'", "'a", '=1', ''].map(unneutralised)).toEqual([' =1', "''+x", "'", "'a", '=1', '']);
  });
});

describe('csvRows', () => {
  const starts = (text: string) => csvRows(text).map((r) => ('fields' in r ? [r.fields[0], r.line] : [r.error, r.line]));

  it('numbers each row by the line it starts on, after quoted fields with line breaks of any kind', () => {
    expect(starts('a,"x\r\ny"\r\nb,1\r\nc,"p\r\nq\r\nr"\r\nd,2\r\n')).toEqual([
      ['a', 1],
      ['b', 3],
      ['c', 4],
      ['d', 7],
    ]);
    expect(starts('a,"x\ry\rz"\nb,1\n\nc,2')).toEqual([
      ['a', 1],
      ['b', 4],
      ['c', 6],
    ]);
  });

  it('keeps a line break inside a quoted field, and strips a byte-order mark', () => {
    expect(csvRows('\uFEFFemail,name\nada@example.com,"Ada\nLovelace"\n')).toEqual([
      { line: 1, fields: ['email', 'name'] },
      { line: 2, fields: ['ada@example.com', 'Ada\nLovelace'] },
    ]);
  });

  it(`gives up on a quote still open after ${MAX_SPAN} lines and reads the lines it held as rows again`, () => {
    const lines = ['h,x', 'a,"opened', ...Array.from({ length: MAX_SPAN + 3 }, (_, i) => `r${i},${i}`)];
    const rows = csvRows(lines.join('\n'));
    expect(rows[1]).toEqual({ line: 2, error: 'a quote opened on this line is never closed at the end of a field' });
    expect(rows.slice(2).map((r) => ('fields' in r ? r.fields[0] : r.error))).toEqual(Array.from({ length: MAX_SPAN + 3 }, (_, i) => `r${i}`));
    expect(rows.at(-1)!.line).toBe(lines.length);
  });
});
