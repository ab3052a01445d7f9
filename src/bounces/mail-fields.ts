/**
 * Small readers for the pieces of a report mail that are header-shaped: the per-message and
 * per-recipient blocks of a DSN (RFC 3464), the fields of an ARF report (RFC 5965), and the
 * header block of a returned message. Everything read here was written by a stranger, so each
 * value leaves cleaned: control and bidi characters dropped (a diagnostic is printed on an
 * operator's terminal), whitespace collapsed, length capped.
 */

import type { DeliveryReport } from './report.js';

/**
 * What one part of a report mail says about one recipient; parse-mail.ts adds what the whole mail
 * says (channel, envelope, returned message, time, raw text). `at` is the part's own date text.
 */
export type Finding = Pick<DeliveryReport, 'kind'> &
  Partial<Pick<DeliveryReport, 'recipient' | 'status' | 'diagnostic' | 'reportingMta' | 'feedbackType' | 'envelopeTo' | 'originalMessageId'>> & { at?: string };

/** Field name (lower-case) → its values in order; a field may repeat (Original-Rcpt-To). */
export type Fields = Map<string, string[]>;

/** How many blocks one status part may hold: our messages have one recipient each, a real DSN a few. */
export const MAX_BLOCKS = 100;
/** How many lines of one part are read: a status part is a few dozen lines, headers a few hundred. */
const MAX_LINES = 5000;
/** The longest field value read for addresses or ids: a real one is far shorter, and a long one costs time. */
const MAX_VALUE = 4000;

/**
 * Header-shaped text split into blocks at blank lines, folded lines joined (RFC 5322 §2.2.3).
 * A line that is not `Name: value` and not a continuation is skipped: the parts are often
 * hand-made by an MTA and a stray line must not lose the rest.
 */
export function readFieldBlocks(text: string, maxBlocks = MAX_BLOCKS): Fields[] {
  const blocks: Fields[] = [];
  let current: Fields | undefined;
  let last: { name: string; index: number } | undefined;
  const lines = text.split(/\r?\n|\r/, MAX_LINES);
  for (const line of lines) {
    if (line.trim() === '') {
      if (current) blocks.push(current);
      if (blocks.length >= maxBlocks) return blocks;
      current = undefined;
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && current && last) {
      const values = current.get(last.name)!;
      values[last.index] = `${values[last.index]} ${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]{0,75})[ \t]*:(.*)$/.exec(line);
    if (!m) {
      last = undefined;
      continue;
    }
    current ??= new Map();
    const name = m[1]!.toLowerCase();
    const values = current.get(name) ?? [];
    values.push(m[2]!.trim());
    current.set(name, values);
    last = { name, index: values.length - 1 };
  }
  if (current && blocks.length < maxBlocks) blocks.push(current);
  return blocks;
}

/** The header block at the top of a message (or a headers-only part). */
export function readHeaderBlock(text: string): Fields {
  const end = text.search(/\r?\n\r?\n/);
  return readFieldBlocks(end < 0 ? text.slice(0, 256 * 1024) : text.slice(0, end), 1)[0] ?? new Map();
}

export function first(fields: Fields | undefined, name: string): string | undefined {
  return fields?.get(name)?.[0];
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of text from a stranger: no control or bidi characters, single spaces, at most `max` characters. */
export function cleanLine(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const s = value
    .replace(/[\t\r\n]+/g, ' ')
    .replace(UNSAFE, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (s === '') return undefined;
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Text from a stranger kept with its lines (the raw excerpt): only control and bidi characters go. */
export function cleanText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(UNSAFE, '');
}

const ADDRESS = /^[^\s@<>()[\]",;:\\]{1,64}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*$/;

/**
 * An address as reports write it (`rfc822; Kijitora@Example.JP`, `<a@b>`, `"Name" <a@b>`),
 * lower-cased; undefined when what is there is not an address (an X.400 name, `redacted`).
 */
export function readAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let s = value
    .slice(0, MAX_VALUE)
    .trim()
    .replace(/^rfc822\s*;\s*/i, '');
  const bracketed = /<([^<>\s]+)>/.exec(s);
  if (bracketed) s = bracketed[1]!;
  s = s.replace(/^mailto:/i, '').toLowerCase();
  return s.length <= 254 && ADDRESS.test(s) ? s : undefined;
}

/** Every address in a list (`To: a@b, "C" <c@d>`), in order, without repeats. */
export function readAddresses(value: string | undefined): string[] {
  if (!value) return [];
  const found = value.slice(0, MAX_VALUE).match(/<[^<>\s]+@[^<>\s]+>|[^\s<>(),;:"]+@[^\s<>(),;:"]+/g) ?? [];
  return [...new Set(found.map(readAddress).filter((a): a is string => a !== undefined))].slice(0, MAX_BLOCKS);
}

/** The first `<…@…>` of a Message-ID (or In-Reply-To) field, brackets kept; a bare `…@…` (RFC 5965's own example has one) gets them. */
export function readMessageId(value: string | undefined): string | undefined {
  const v = (value ?? '').slice(0, MAX_VALUE);
  const m = /<([^<>\s@]{1,250}@[^<>\s@]{1,250})>/.exec(v) ?? /^\s*([^<>\s@]{1,250}@[^<>\s@]{1,250})\s*$/.exec(v);
  return m ? cleanLine(`<${m[1]}>`, 510) : undefined;
}

/** `dns; mx.example.org` → `mx.example.org`. */
export function readMta(value: string | undefined): string | undefined {
  return cleanLine(value?.replace(/^[\w-]+\s*;\s*/, ''), 255);
}

const RFC5322_DATE = /(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|ut|gmt|z|[ecmp][sd]t)\b/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const ZONES: Record<string, string> = { ut: '+0000', gmt: '+0000', z: '+0000', est: '-0500', edt: '-0400', cst: '-0600', cdt: '-0500', mst: '-0700', mdt: '-0600', pst: '-0800', pdt: '-0700' };

/**
 * A date as RFC 5322 or ISO 8601 writes it, with its zone. Date.parse alone is not used: it takes
 * "garbage 12" for 2001 and reads a date without a zone in the machine's own zone.
 */
function parseDate(value: string): number {
  const v = value.trim();
  if (ISO_DATE.test(v)) return Date.parse(v);
  const m = RFC5322_DATE.exec(v);
  if (!m) return NaN;
  const [, day, month, y, hh, mm, ss, zone] = m as unknown as string[];
  const year = y!.length === 4 ? y : String(Number(y) + (Number(y) < 50 ? 2000 : 1900));
  const offset = ZONES[zone!.toLowerCase()] ?? zone;
  return Date.parse(`${day} ${month} ${year} ${hh}:${mm}:${ss ?? '00'} ${offset}`);
}

/**
 * The first of `values` (a recipient's Last-Attempt-Date, the report's Date …) that is a date,
 * as ISO 8601; `receivedAt` when none is. A date after the mail's arrival is passed over: a report
 * cannot tell of the future, and a forged one must not move an event past the soft-bounce window.
 */
export function readTime(values: readonly (string | undefined)[], receivedAt: string): string {
  const limit = Date.parse(receivedAt);
  for (const value of values) {
    const t = value ? parseDate(value) : NaN;
    if (Number.isFinite(t) && !(t > limit)) return new Date(t).toISOString();
  }
  return receivedAt;
}
