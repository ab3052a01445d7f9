import { describe, expect, it } from 'vitest';
import addrs from 'email-addresses';
import { isValidEmail, normaliseEmail } from '../../src/audience/email.js';

/** What the full RFC 5322/6532 parser says, with the same domain rules as isValidEmail. */
function fullParser(email: string): boolean {
  const parsed = addrs.parseOneAddress({ input: email, rfc6532: true });
  if (!parsed || parsed.type !== 'mailbox') return false;
  const domain = (parsed as addrs.ParsedMailbox).domain;
  return /^[^.]+(\.[^.]+)+$/.test(domain) && !domain.startsWith('[');
}

describe('email validation', () => {
  const samples = [
    'ada@example.com',
    'a.b.c@sub.example.co.uk',
    'x+tag@example.org',
    "o'brien@example.ie",
    'a_b-c@ex-ample.com',
    'user@xn--bcher-kva.example',
    '"quoted local"@example.com',
    'josé@example.es',
    'user@exämple.de',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a@example',
    'a@-example.com',
    'a@example-.com',
    'a@[127.0.0.1]',
    'a@b@c.com',
    'plainaddress',
    '@example.com',
    'a@example..com',
    'a b@example.com',
    'a@example.com\r\nBcc: x@y.z',
    'name <a@example.com>',
    'a@example.com, b@example.com',
  ];

  it('agrees with the full parser on every sample (the fast path is a strict subset)', () => {
    for (const raw of samples) {
      const email = normaliseEmail(raw);
      expect(isValidEmail(email), email).toBe(/[\s<>,;"\\]/.test(email) || email.length > 254 ? false : fullParser(email));
    }
  });

  it('accepts ordinary and internationalised addresses and refuses what could reach a header', () => {
    for (const ok of ['ada@example.com', 'x+tag@example.org', 'josé@example.es']) expect(isValidEmail(ok), ok).toBe(true);
    for (const bad of ['a@example', 'a@b@c.com', 'a@example.com\r\nbcc: x@y.z', 'name <a@example.com>', 'a@[127.0.0.1]']) expect(isValidEmail(bad), bad).toBe(false);
  });
});
