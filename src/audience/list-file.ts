import { CsvRowReader, csvRows, type CsvRow } from './csv-rows.js';
import type { Problem } from '../domain/errors.js';
import { isValidLocaleTag, isValidTimeZone } from '../domain/locale.js';
import { cleanName, isValidEmail, normaliseEmail } from './email.js';
import { parseDate } from '../domain/dates.js';

export const LIST_COLUMNS = ['email', 'name', 'locale', 'timezone', 'status', 'consented_at', 'source', 'topics'] as const;
export const LIST_STATUSES = ['subscribed', 'pending', 'unsubscribed'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** One reader as a list file states them, after cleaning; `line` is where they were (last) seen. */
export interface ListEntry {
  line: number;
  email: string;
  name: string;
  locale: string;
  timezone: string;
  status: ListStatus;
  consentedAt: string | undefined;
  source: string;
  topics: string[];
  /** Columns beyond the standard ones, for templates. */
  attributes: Record<string, string>;
}

export interface ParsedList {
  entries: ListEntry[];
  problems: Problem[];
}

/**
 * The rows of one list file, read against its header row. Pure: `file` only names places in
 * reports. Invalid rows are reported and left out; a name with control characters is cleaned
 * and reported but the reader is kept; a bad locale or time zone is reported and left empty so
 * the newsletter's own applies. Duplicates are the caller's business (see `parseListFile`).
 */
export class ListRows {
  private readonly header: string[];
  private readonly columns: Map<string, number>;

  constructor(
    headerRow: string[],
    private readonly file: string,
    private readonly defaultSource: string,
  ) {
    this.header = headerRow.map((h) => h.trim().toLowerCase());
    this.columns = new Map(this.header.map((h, i) => [h, i] as const).reverse());
  }

  /** The header's problem, if it lacks a column every row needs. */
  headerProblem(line = 1): Problem | undefined {
    const missing = ['email', 'status'].filter((c) => !this.columns.has(c));
    if (missing.length === 0) return undefined;
    return { place: `${this.file}:${line}`, message: `header lacks column(s) ${missing.join(', ')}; expected ${LIST_COLUMNS.join(',')}. Nothing in the file was applied` };
  }

  /**
   * Whether a line surely starts a row of this file: read alone, it is a whole record whose email
   * column holds an address, with the status column present, and its first field has no stray
   * quote (the last line of a quoted field that spans lines, `Lovelace",ada@…`, has one). A quote
   * left open on an earlier line is given up on at such a line (csv-rows.ts), so it swallows no
   * reader, in whichever column the addresses are.
   */
  rowStart(line: string): boolean {
    const e = this.columns.get('email');
    const s = this.columns.get('status');
    if (e === undefined || s === undefined) return false;
    const [row, ...more] = csvRows(line);
    if (!row || more.length > 0 || 'error' in row || row.fields.length <= Math.max(e, s) || row.fields[0]!.includes('"')) return false;
    return isValidEmail(normaliseEmail(unneutralised(row.fields[e]!)));
  }

  private raw(row: string[], name: string): string {
    const i = this.columns.get(name);
    return i === undefined ? '' : unneutralised(row[i] ?? '');
  }

  private col(row: string[], name: string): string {
    return this.raw(row, name).trim();
  }

  /** The address under which the row becomes an entry (a valid address and status), else undefined; reports nothing. */
  key(row: string[]): string | undefined {
    const email = normaliseEmail(this.col(row, 'email'));
    if (!isValidEmail(email)) return undefined;
    return (LIST_STATUSES as readonly string[]).includes(this.col(row, 'status').toLowerCase()) ? email : undefined;
  }

  /** The row as an entry, its problems added to `problems`; undefined when the row is skipped. */
  entry(row: string[], line: number, problems: Problem[]): ListEntry | undefined {
    const place = `${this.file}:${line}`;
    const other = row.length === 1 && this.header.length > 1 ? SEPARATORS.find((d) => row[0]!.includes(d)) : undefined;
    if (other) {
      problems.push({ place, message: `the columns of this row are separated by ${shownSeparator(other)}; list files use commas (","); row skipped` });
      return undefined;
    }
    const rawEmail = this.col(row, 'email');
    const email = normaliseEmail(rawEmail);
    if (!isValidEmail(email)) {
      problems.push({ place, message: `"${rawEmail}" is not a valid email address; row skipped` });
      return undefined;
    }
    const status = this.col(row, 'status').toLowerCase() as ListStatus;
    if (!LIST_STATUSES.includes(status)) {
      problems.push({ place, message: `status "${this.col(row, 'status')}" must be one of ${LIST_STATUSES.join(', ')}; row skipped` });
      return undefined;
    }
    const { name, changed } = cleanName(this.raw(row, 'name'));
    if (changed) problems.push({ place, message: `name of ${email} had line breaks or control characters; cleaned to "${name}"` });
    let locale = this.col(row, 'locale');
    if (locale && !isValidLocaleTag(locale)) {
      problems.push({ place, message: `locale "${locale}" of ${email} is not a BCP 47 tag; the newsletter's default is used` });
      locale = '';
    }
    let timezone = this.col(row, 'timezone');
    if (timezone && !isValidTimeZone(timezone)) {
      problems.push({ place, message: `time zone "${timezone}" of ${email} is unknown; the newsletter's time zone is used` });
      timezone = '';
    }
    let consentedAt: string | undefined;
    const rawConsent = this.col(row, 'consented_at');
    if (rawConsent) {
      consentedAt = parseDate(rawConsent);
      if (!consentedAt) problems.push({ place, message: `consented_at "${rawConsent}" of ${email} is not a date; treated as missing` });
    }
    if (status === 'subscribed' && !consentedAt) {
      problems.push({ place, message: `${email}: status subscribed but no consented_at: no proof of consent, not mailed (fill in when and how they agreed)` });
    }
    const attributes: Record<string, string> = {};
    this.header.forEach((h, i) => {
      const v = cleanName(unneutralised(row[i] ?? '')).name;
      if (h && v && !(LIST_COLUMNS as readonly string[]).includes(h) && /^[a-z][a-z0-9_]*$/.test(h)) attributes[h] = v;
    });
    return {
      line,
      email,
      name,
      locale,
      timezone,
      status,
      consentedAt,
      source: this.col(row, 'source') || this.defaultSource,
      topics: this.col(row, 'topics')
        .split(/[;,|]/)
        .map((t) => t.trim())
        .filter(Boolean),
      attributes,
    };
  }
}

export function duplicateProblem(file: string, line: number, email: string, earlier: number): Problem {
  return { place: `${file}:${line}`, message: `${email} also appears on line ${earlier}; rows merged, this later row wins` };
}

/** A row the CSV reader could not read (csv-rows.ts): reported, skipped; the other rows are read. */
export function badRowProblem(file: string, row: { line: number; error: string }): Problem {
  return { place: `${file}:${row.line}`, message: `not a valid CSV row (${row.error}); row skipped` };
}

/**
 * A cell that a spreadsheet would run as a formula (OWASP "CSV injection"): `=`, `+`, `-`, `@`,
 * a tab or a carriage return first, after any `'` already in front. The export writes such a cell
 * with one more `'` in front (export.ts); the import takes that one `'` away again (`unneutralised`),
 * so an exported list imports back to the same addresses, names and attributes, whatever they hold.
 */
export const FORMULA_START = /^'*[=+\-@\t\r]/;

/**
 * A cell as the export (or a spreadsheet user, typing `'+44…` to keep a number as text) meant it:
 * one leading `'` before what a spreadsheet would run as a formula is dropped. Without this an
 * exported `'-ann@example.com` would import as another address, and `'+44 20…` as another phone.
 */
export function unneutralised(cell: string): string {
  const at = cell.search(/\S/);
  return at >= 0 && cell[at] === "'" && FORMULA_START.test(cell.slice(at)) ? cell.slice(0, at) + cell.slice(at + 1) : cell;
}

/** Separators other than the comma that spreadsheets and CRMs save "CSV" with. */
const SEPARATORS = [';', '\t', '|'] as const;

function shownSeparator(d: string): string {
  return d === '\t' ? 'tabs' : `"${d}"`;
}

/**
 * The separator a header line uses instead of the comma, if it does: the one that splits it into
 * the required columns, or the only one in a line without commas.
 */
function otherSeparator(text: string): string | undefined {
  const names = (d: string) =>
    text.split(d).map((c) =>
      c
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim()
        .toLowerCase(),
    );
  return SEPARATORS.find((d) => names(d).includes('email') && names(d).includes('status')) ?? (text.includes(',') ? undefined : SEPARATORS.find((d) => text.includes(d)));
}

/**
 * Whether a line is UTF-16 text read as UTF-8, as Excel's "Unicode Text" saves it: a byte-order
 * mark (two U+FFFD once read as UTF-8), then every other character NUL.
 */
function isUtf16(text: string): boolean {
  const t = text.replace(/^\uFFFD\uFFFD/, '');
  return t.length >= 4 && (/^(?:[^\0]\0)+[^\0]?$/.test(t) || /^(?:\0[^\0])+\0?$/.test(t));
}

/** What the first rows of a file say: its columns; 'next' (a `sep=,` line for Excel, the header follows); or why nothing is applied. */
export type HeaderRead = { list: ListRows } | 'next' | { refused: Problem };

/**
 * Reads the header row (`row`, whose first line is `text` as it stands in the file). A file that
 * is UTF-16, separated by something else than commas, or whose header is not CSV or lacks a
 * required column is refused whole, with what to do about it: applying its rows by guesswork
 * could record consent nobody gave. `first`: whether this is the file's first row, where a
 * `sep=,` line may stand.
 */
export function readHeader(row: CsvRow, text: string, file: string, defaultSource: string, first: boolean): HeaderRead {
  const place = `${file}:${row.line}`;
  const line = text.replace(/^\uFEFF/, '');
  const refused = (message: string): HeaderRead => ({ refused: { place, message: `${message}. Nothing in the file was applied` } });
  if (isUtf16(line)) return refused('the file is UTF-16 text (as a spreadsheet saves "Unicode Text"), not UTF-8: save it as "CSV UTF-8 (comma-separated)"');
  if (line.startsWith('PK\u0003\u0004')) return refused('the file is a ZIP archive (a spreadsheet workbook, .xlsx or .ods?), not CSV text: save it as "CSV UTF-8 (comma-separated)"');
  const sep = /^sep=(.)\s*$/i.exec(line)?.[1];
  if (sep === ',' && first) return 'next';
  const list = 'error' in row ? undefined : new ListRows(row.fields, file, defaultSource);
  if (list && !list.headerProblem(row.line)) return { list };
  const other = (sep !== ',' ? sep : undefined) ?? otherSeparator(line);
  if (other) return refused(`the columns are separated by ${shownSeparator(other)}; list files use commas (","): save the file as CSV with commas (in a spreadsheet: "CSV, comma-separated")`);
  if ('error' in row) return refused(`the header row is not valid CSV (${row.error})`);
  return { refused: list!.headerProblem(row.line)! };
}

/**
 * Parses a whole subscriber list held in memory (CSV with a header row). Pure. A duplicate
 * address is merged: the later row wins, reported. A row that is not valid CSV (csv-rows.ts) is
 * reported and skipped, the others read; only a header that cannot be read (`readHeader`)
 * refuses the file. The service itself streams list files (`readListFile`, list-stream.ts); this
 * is the plain statement of the same rules, which the tests hold the streamed reader to.
 */
export function parseListFile(text: string, file: string, defaultSource: string): ParsedList {
  const lines = text.split(/\r\n|\n|\r/);
  // A final line break ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const problems: Problem[] = [];
  const byEmail = new Map<string, ListEntry>();
  let list: ListRows | undefined;
  let refused: Problem | undefined;
  let first = true;
  // Row by row as the reader gives them: once the header is read, it tells the reader where rows start.
  const take = (r: CsvRow) => {
    if (refused) return;
    if (!list) {
      const head = readHeader(r, lines[r.line - 1]!, file, defaultSource, first);
      first = false;
      if (head === 'next') return;
      if ('refused' in head) refused = head.refused;
      else list = head.list;
      return;
    }
    if ('error' in r) {
      problems.push(badRowProblem(file, r));
      return;
    }
    const entry = list.entry(r.fields, r.line, problems);
    if (!entry) return;
    const earlier = byEmail.get(entry.email);
    if (earlier) problems.push(duplicateProblem(file, entry.line, entry.email, earlier.line));
    byEmail.set(entry.email, entry);
  };
  const reader = new CsvRowReader((line) => list?.rowStart(line) ?? false);
  for (const l of lines) reader.push(l).forEach(take);
  reader.end().forEach(take);
  if (refused) return { entries: [], problems: [refused] };
  if (!list) return { entries: [], problems: [new ListRows([], file, defaultSource).headerProblem()!] };
  return { entries: [...byEmail.values()], problems };
}
