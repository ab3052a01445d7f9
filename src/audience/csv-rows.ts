/**
 * CSV rows (RFC 4180, comma-separated) read line by line, so that one bad row is one bad row:
 * CRM exports carry stray quotes (`Dwayne "The Rock" Johnson`), half-quoted fields and binary
 * junk, and a parser that stops at the first of them would stop every reader's mail with it.
 *
 * - A quote inside an unquoted field is taken as it is (`Dwayne "The Rock" Johnson`), and so is
 *   a bare quote inside a quoted field that is not followed by a comma or the end of the row.
 * - A quoted field may span lines (a name with a line break), up to MAX_SPAN lines. One that
 *   is still open then, or that runs into a line the caller recognises as the start of a row
 *   (`rowStart`), or that ends badly, is reported at the line it opened on, and reading starts
 *   again at the line after it: the rows it would have swallowed are read as rows.
 * - A line holding NUL or bytes that are not UTF-8 is reported and skipped.
 * - Empty lines are skipped. Line numbers are 1-based, the line a row starts on.
 * Pure: the caller reads the lines (a whole text, or a stream for big lists).
 */
export type CsvRow = { line: number; fields: string[] } | { line: number; error: string };

/** How many lines one quoted field may span before its quote counts as never closed. */
export const MAX_SPAN = 20;

type Parsed = { fields: string[] } | 'open';

/** One record from `s` (which may hold line breaks of a quoted field), or 'open' when a quote is not closed yet. */
function parseRecord(s: string): Parsed {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) return 'open';
        value += s.slice(i, q);
        if (s.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
          continue;
        }
        // A quote closes the field only where the field can end (before a comma or the end);
        // elsewhere it is a quote written bare inside a quoted field (`"Dwayne "The Rock" Johnson"`),
        // as CRM exports do, and it is kept as text.
        let j = q + 1;
        while (s[j] === ' ' || s[j] === '\t') j++;
        if (j < s.length && s[j] !== ',') {
          value += '"';
          i = q + 1;
          continue;
        }
        i = j;
        break;
      }
      fields.push(value);
      if (i >= s.length) return { fields };
      i++;
    } else {
      const comma = s.indexOf(',', i);
      if (comma < 0) {
        fields.push(s.slice(i));
        return { fields };
      }
      fields.push(s.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** NUL, or U+FFFD where the file's bytes were not UTF-8. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const NOT_TEXT = /[\u0000\uFFFD]/;
const NOT_TEXT_ERROR = 'holds NUL or bytes that are not UTF-8 text (binary data, or a file saved as Windows-1252 or Latin-1: save it as "CSV UTF-8")';

/** Feed it the file's lines in order (`push`), then `end()`; each returns the rows now complete. */
export class CsvRowReader {
  /** Lines of a quoted field still open: [line number, text]. */
  private pending: [number, string][] = [];
  private lineNo = 0;

  /** `rowStart`: whether a line surely begins a row of its own (for a list: an address and a comma). */
  constructor(private readonly rowStart: (line: string) => boolean = () => false) {}

  push(text: string): CsvRow[] {
    this.lineNo++;
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return this.take(this.lineNo, text);
  }

  end(): CsvRow[] {
    const out: CsvRow[] = [];
    while (this.pending.length > 0) out.push(...this.giveUp());
    return out;
  }

  private take(line: number, text: string): CsvRow[] {
    if (this.pending.length === 0) {
      if (text === '') return [];
      if (NOT_TEXT.test(text)) return [{ line, error: NOT_TEXT_ERROR }];
      const parsed = parseRecord(text);
      if (parsed === 'open') {
        this.pending = [[line, text]];
        return [];
      }
      return [{ line, ...parsed }];
    }
    if (this.rowStart(text)) return [...this.giveUp(), ...this.take(line, text)];
    this.pending.push([line, text]);
    const parsed = parseRecord(this.pending.map(([, t]) => t).join('\n'));
    if (parsed === 'open') return this.pending.length >= MAX_SPAN ? this.giveUp() : [];
    if (this.pending.some(([, t]) => NOT_TEXT.test(t))) return this.giveUp();
    const start = this.pending[0]![0];
    this.pending = [];
    return [{ line: start, ...parsed }];
  }

  /** The quote opened on the first pending line is never closed: report it, read the others again as rows. */
  private giveUp(): CsvRow[] {
    const [first, ...rest] = this.pending;
    this.pending = [];
    const out: CsvRow[] = [{ line: first![0], error: 'a quote opened on this line is never closed at the end of a field' }];
    for (const [n, t] of rest) out.push(...this.take(n, t));
    return out;
  }
}

/** Every row of a text held whole (LF, CR LF or CR line breaks). */
export function csvRows(text: string, rowStart?: (line: string) => boolean): CsvRow[] {
  const reader = new CsvRowReader(rowStart);
  const rows: CsvRow[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  // A final line break ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) rows.push(...reader.push(l));
  rows.push(...reader.end());
  return rows;
}
