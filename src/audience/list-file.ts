import { parse } from 'csv-parse/sync';
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
 * Parses a subscriber list (CSV with a header row). Pure: `file` only names places in reports.
 * Invalid rows are reported and left out; a duplicate address is merged (the later row wins,
 * reported); a name with control characters is cleaned and reported but the reader is kept;
 * a bad locale or time zone is reported and left empty so the newsletter's own applies.
 */
export function parseListFile(text: string, file: string, defaultSource: string): ParsedList {
  const problems: Problem[] = [];
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: false }) as string[][];
  } catch (e) {
    const err = e as Error & { lines?: number };
    problems.push({ place: err.lines ? `${file}:${err.lines}` : file, message: `not valid CSV (${err.message}); the whole file was skipped` });
    return { entries: [], problems };
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const missing = ['email', 'status'].filter((c) => !header.includes(c));
  if (missing.length > 0) {
    problems.push({ place: `${file}:1`, message: `header lacks column(s) ${missing.join(', ')}; expected ${LIST_COLUMNS.join(',')}` });
    return { entries: [], problems };
  }
  const col = (row: string[], name: string) => {
    const i = header.indexOf(name);
    return i >= 0 ? (row[i] ?? '').trim() : '';
  };

  const byEmail = new Map<string, ListEntry>();
  // csv-parse counts records, not lines; with quoted newlines these differ, so track lines ourselves.
  const lineOf = recordLines(text);
  records.slice(1).forEach((row, i) => {
    const line = lineOf[i + 1] ?? i + 2;
    const place = `${file}:${line}`;
    const rawEmail = col(row, 'email');
    const email = normaliseEmail(rawEmail);
    if (!isValidEmail(email)) {
      problems.push({ place, message: `"${rawEmail}" is not a valid email address; row skipped` });
      return;
    }
    const status = col(row, 'status').toLowerCase() as ListStatus;
    if (!LIST_STATUSES.includes(status)) {
      problems.push({ place, message: `status "${col(row, 'status')}" must be one of ${LIST_STATUSES.join(', ')}; row skipped` });
      return;
    }
    const { name, changed } = cleanName(rowValue(row, header, 'name'));
    if (changed) problems.push({ place, message: `name of ${email} had line breaks or control characters; cleaned to "${name}"` });
    let locale = col(row, 'locale');
    if (locale && !isValidLocaleTag(locale)) {
      problems.push({ place, message: `locale "${locale}" of ${email} is not a BCP 47 tag; the newsletter's default is used` });
      locale = '';
    }
    let timezone = col(row, 'timezone');
    if (timezone && !isValidTimeZone(timezone)) {
      problems.push({ place, message: `time zone "${timezone}" of ${email} is unknown; the newsletter's time zone is used` });
      timezone = '';
    }
    let consentedAt: string | undefined;
    const rawConsent = col(row, 'consented_at');
    if (rawConsent) {
      consentedAt = parseArticleDate(rawConsent);
      if (!consentedAt) problems.push({ place, message: `consented_at "${rawConsent}" of ${email} is not a date; treated as missing` });
    }
    if (status === 'subscribed' && !consentedAt) {
      problems.push({ place, message: `${email}: status subscribed but no consented_at: no proof of consent, not mailed (fill in when and how they agreed)` });
    }
    const attributes: Record<string, string> = {};
    header.forEach((h, i) => {
      const v = cleanName(row[i] ?? '').name;
      if (h && v && !(LIST_COLUMNS as readonly string[]).includes(h) && /^[a-z][a-z0-9_]*$/.test(h)) attributes[h] = v;
    });
    const entry: ListEntry = {
      line,
      email,
      name,
      locale,
      timezone,
      status,
      consentedAt,
      source: col(row, 'source') || defaultSource,
      topics: col(row, 'topics').split(/[;,|]/).map((t) => t.trim()).filter(Boolean),
      attributes,
    };
    const earlier = byEmail.get(email);
    if (earlier) problems.push({ place, message: `${email} also appears on line ${earlier.line}; rows merged, this later row wins` });
    byEmail.set(email, entry);
  });
  return { entries: [...byEmail.values()], problems };
}

function rowValue(row: string[], header: string[], name: string): string {
  const i = header.indexOf(name);
  return i >= 0 ? (row[i] ?? '') : '';
}

/** 1-based starting line of each CSV record, honouring quoted newlines. */
function recordLines(text: string): number[] {
  const starts: number[] = [];
  let line = 1;
  let inQuotes = false;
  let atRecordStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (atRecordStart && ch !== '\n' && ch !== '\r') {
      starts.push(line);
      atRecordStart = false;
    }
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === '\n') {
      line++;
      if (!inQuotes) atRecordStart = true;
    }
  }
  return starts;
}
