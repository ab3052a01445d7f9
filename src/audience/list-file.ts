import { csvRows, type CsvRow } from './csv-rows.js';
import type { Problem } from '../domain/errors.js';
import { isValidLocaleTag, isValidTimeZone } from '../domain/locale.js';
import { cleanName, isValidEmail, normaliseEmail } from './email.js';
import { parseArticleDate } from '../articles/folder-source.js';

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
  headerProblem(): Problem | undefined {
    const missing = ['email', 'status'].filter((c) => !this.columns.has(c));
    if (missing.length === 0) return undefined;
    const place = `${this.file}:1`;
    const other = [';', '\t', '|'].find((d) => this.header.length === 1 && (this.header[0] ?? '').includes(d));
    if (other) {
      const shown = other === '\t' ? 'tabs' : `"${other}"`;
      return { place, message: `the columns are separated by ${shown}; list files use commas (","): save the file as CSV with commas (in a spreadsheet: "CSV, comma-separated"). Nothing in it was applied` };
    }
    return { place, message: `header lacks column(s) ${missing.join(', ')}; expected ${LIST_COLUMNS.join(',')}` };
  }

  private raw(row: string[], name: string): string {
    const i = this.columns.get(name);
    return i === undefined ? '' : (row[i] ?? '');
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
      consentedAt = parseArticleDate(rawConsent);
      if (!consentedAt) problems.push({ place, message: `consented_at "${rawConsent}" of ${email} is not a date; treated as missing` });
    }
    if (status === 'subscribed' && !consentedAt) {
      problems.push({ place, message: `${email}: status subscribed but no consented_at: no proof of consent, not mailed (fill in when and how they agreed)` });
    }
    const attributes: Record<string, string> = {};
    this.header.forEach((h, i) => {
      const v = cleanName(row[i] ?? '').name;
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
      topics: this.col(row, 'topics').split(/[;,|]/).map((t) => t.trim()).filter(Boolean),
      attributes,
    };
  }
}

export function duplicateProblem(file: string, line: number, email: string, earlier: number): Problem {
  return { place: `${file}:${line}`, message: `${email} also appears on line ${earlier}; rows merged, this later row wins` };
}

/**
 * Whether a line surely starts a list row: an address, then a comma. A quoted field left open on
 * an earlier line does not swallow it (csv-rows.ts); a name's second line hardly looks like this.
 */
export function listRowStart(line: string): boolean {
  return /^\s*[^\s",@]+@[^\s",@]+\.[^\s",@]+\s*,/.test(line);
}

/** A row the CSV reader could not read (csv-rows.ts): reported, skipped; the other rows are read. */
export function badRowProblem(file: string, row: { line: number; error: string }): Problem {
  return { place: `${file}:${row.line}`, message: `not a valid CSV row (${row.error}); row skipped` };
}

/**
 * Parses a whole subscriber list held in memory (CSV with a header row). Pure. A duplicate
 * address is merged: the later row wins, reported. A row that is not valid CSV (csv-rows.ts) is
 * reported and skipped, the others read; only a header without the required columns (or with
 * another separator than the comma) refuses the file. The service itself streams list files
 * (`readListFile`, list-stream.ts); this is the plain statement of the same rules, which the
 * tests hold the streamed reader to.
 */
export function parseListFile(text: string, file: string, defaultSource: string): ParsedList {
  const problems: Problem[] = [];
  const rows: CsvRow[] = csvRows(text, listRowStart);
  const headerRow = rows[0];
  if (headerRow && 'error' in headerRow) return { entries: [], problems: [badRowProblem(file, headerRow)] };
  const list = new ListRows(headerRow?.fields ?? [], file, defaultSource);
  const headerProblem = list.headerProblem();
  if (headerProblem) return { entries: [], problems: [headerProblem] };
  const byEmail = new Map<string, ListEntry>();
  for (const r of rows.slice(1)) {
    if ('error' in r) {
      problems.push(badRowProblem(file, r));
      continue;
    }
    const entry = list.entry(r.fields, r.line, problems);
    if (!entry) continue;
    const earlier = byEmail.get(entry.email);
    if (earlier) problems.push(duplicateProblem(file, entry.line, entry.email, earlier.line));
    byEmail.set(entry.email, entry);
  }
  return { entries: [...byEmail.values()], problems };
}
