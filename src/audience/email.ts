import addrs from 'email-addresses';
import { domainToASCII } from 'node:url';

/**
 * Trims and lower-cases the whole address, as list managers do, so `ADA@Example.com` is
 * `ada@example.com`; in Unicode normal form C (RFC 6532), so `zoe\u0308@…` and `zoë@…`, which
 * look the same and reach the same mailbox, are one subscriber.
 */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase().normalize('NFC');
}

/**
 * One key per mailbox for counting (rate limits): the address as normaliseEmail gives it, in
 * Unicode normal form C, with its domain in ASCII (IDNA: `bücher.example` and
 * `xn--bcher-kva.example` are one domain). So a limit cannot be dodged by writing the same
 * address another way.
 */
export function addressKey(raw: string): string {
  const email = normaliseEmail(raw);
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  const domain = domainToASCII(email.slice(at + 1)) || email.slice(at + 1);
  return `${email.slice(0, at)}@${domain.toLowerCase()}`;
}

/**
 * A text (a relay's reply, an error message) with anything shaped like an address replaced by
 * `[address]`, for logs: a 550 often quotes the recipient.
 */
export function withoutAddresses(text: string): string {
  return text.replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/gu, '[address]');
}

/**
 * Dot-atom local part @ dotted hostname: a strict subset of RFC 5322 addr-spec, which covers
 * nearly every real address and is checked a hundred times faster than the full parser.
 */
const PLAIN_ADDRESS = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** A single plain addr-spec with a dotted domain; no display names, groups or comments. */
export function isValidEmail(email: string): boolean {
  if (email.length > 254 || /[\s<>,;"\\]/.test(email)) return false;
  if (PLAIN_ADDRESS.test(email)) return true;
  // Anything unusual (internationalised, quoted) gets the full RFC 5322/6532 parser.
  const parsed = addrs.parseOneAddress({ input: email, rfc6532: true });
  if (!parsed || parsed.type !== 'mailbox') return false;
  const domain = (parsed as addrs.ParsedMailbox).domain;
  return /^[^.]+(\.[^.]+)+$/.test(domain) && !domain.startsWith('[');
}

/** Removes CR, LF and other control characters (header injection) and folds white space. */
export function cleanName(raw: string): { name: string; changed: boolean } {
  const name = raw
    // Cc (C0 and C1 controls) and the line and paragraph separators.
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { name, changed: name !== raw.trim() };
}
