import { createHash, timingSafeEqual } from 'node:crypto';
import type { DeliveryReport } from '../report.js';

/**
 * What every provider's webhook verifier shares. The verifiers are pure: the HTTP edge hands
 * over the request as it came (headers with lower-case names, the raw body text) and the clock
 * reading; they answer with reports or a reason for the log. They never throw on bad input,
 * because everything in a webhook request is chosen by whoever sent it.
 */

export interface WebhookInput<S> {
  /** Request headers, names lower-cased by the edge. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received: signatures are over these bytes, so never a re-serialised parse. */
  body: string;
  now: Date;
  secrets: S;
}

export interface WebhookAccepted {
  ok: true;
  reports: DeliveryReport[];
  /** Events that gave no report (opens, clicks, sends, malformed entries of a batch), one line each, for the log. */
  ignored: string[];
}

/** `reason` goes to the log: it names what is wrong and never contains a secret. */
export interface WebhookRefused {
  ok: false;
  reason: string;
}

export function refuse(reason: string): WebhookRefused {
  return { ok: false, reason };
}

/** Larger than any real batch (SendGrid posts a few hundred events); refused before any parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function tooLarge(body: string): WebhookRefused | undefined {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so the cheap length test rules out huge bodies first.
  if (body.length > MAX_BODY_BYTES || Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return refuse(`body larger than ${MAX_BODY_BYTES} bytes`);
  return undefined;
}

export type Parsed = { ok: true; value: unknown } | WebhookRefused;

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return refuse('body is not valid JSON');
  }
}

/**
 * JSON.parse, but an integer too large for a double (Postmark's 64-bit bounce IDs) becomes a
 * string instead of silently losing its last digits. Strings are matched first, so digits inside
 * them are left alone; the look-arounds keep fractions and exponents whole.
 */
export function parseJsonKeepingLongIntegers(text: string): Parsed {
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?\d{16,})(?![\d.eE])/g, (match, digits: string | undefined) =>
    digits !== undefined && !Number.isSafeInteger(Number(digits)) ? `"${digits}"` : match,
  );
  return parseJson(quoted);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field, else undefined. */
export function text(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An address as reports carry it: trimmed, lower-cased, and at least shaped like one. */
export function recipientOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const address = value.trim().toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : undefined;
}

export const MAX_DIAGNOSTIC = 1000;

export function diagnosticOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, MAX_DIAGNOSTIC);
}

/** The first enhanced status code (RFC 3463, e.g. `5.1.1`) in a text, if any. */
export function enhancedStatusIn(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/.exec(value)?.[1];
}

/** Our outbox stores Message-IDs with their angle brackets (delivery/message.ts); providers vary. */
export function messageIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.trim();
  if (id === '' || /[\s]/.test(id)) return undefined;
  return id.startsWith('<') && id.endsWith('>') ? id : `<${id.replace(/^<|>$/g, '')}>`;
}

/** An event time as ISO 8601: from an ISO string or epoch seconds, else the arrival time. */
export function timeOf(value: unknown, now: Date): string {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' && value !== '' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : now.toISOString();
}

/** Epoch seconds given as a string of digits (a signed header or field), else undefined. */
export function epochSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Whether a signed timestamp is recent: at most `maxAgeSeconds` in the past and
 * `maxAheadSeconds` in the future (clock skew between the provider and us).
 */
export function isFresh(timestampMs: number, now: Date, maxAgeSeconds: number, maxAheadSeconds: number): boolean {
  const delta = now.getTime() - timestampMs;
  return delta <= maxAgeSeconds * 1000 && -delta <= maxAheadSeconds * 1000;
}

/**
 * Constant-time equality of two secrets. Both sides are hashed first so the buffers handed to
 * timingSafeEqual have equal lengths and the time taken says nothing about the expected length.
 */
export function sameSecret(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The report without its undefined fields, so what is logged and stored shows only what was said. */
export function compact<T extends object>(report: T): T {
  return Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined)) as T;
}
