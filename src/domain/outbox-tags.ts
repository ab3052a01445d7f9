import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed outbox tags: `17-k3j9x2mq7d` names outbox row 17 and proves we made the name. They go
 * where a reply comes back to us without a link: the envelope sender (VERP, bounces+TAG@…), the
 * mailto unsubscribe address (unsubscribe+TAG@…), and the Message-ID. A bounce or complaint that
 * names a row by a tag that does not verify matches nothing, so a forged report suppresses no
 * one. Lower-case base32 (10 characters, 50 bits), because mail systems change the case of local
 * parts; short, because a local part holds at most 64 characters (RFC 5321).
 */
export type TagPurpose = 'bounce' | 'unsubscribe' | 'message';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function mac(purpose: TagPurpose, outboxId: number, secret: string): string {
  const digest = createHmac('sha256', secret).update(`${purpose}:${outboxId}`).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 10) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 10) break;
  }
  return out;
}

export function outboxTag(purpose: TagPurpose, outboxId: number, secret: string): string {
  return `${outboxId}-${mac(purpose, outboxId, secret)}`;
}

/** The outbox id a tag names, if it was signed with one of `secrets` for this purpose. */
export function readOutboxTag(purpose: TagPurpose, tag: string, secrets: readonly string[]): number | undefined {
  const m = /^(\d{1,15})-([a-z2-7]{10})$/.exec(tag.toLowerCase());
  if (!m) return undefined;
  const id = Number(m[1]);
  const given = Buffer.from(m[2]!);
  const ok = secrets.some((s) => {
    const expected = Buffer.from(mac(purpose, id, s));
    return timingSafeEqual(expected, given);
  });
  return ok ? id : undefined;
}

/**
 * An address made from a template with `{id}` (`bounces+{id}@news.example.org`) for a row, and
 * back: the row whose tag the address carries. The domain and the text around `{id}` compare
 * without case.
 */
export function taggedAddress(template: string, purpose: TagPurpose, outboxId: number, secret: string): string {
  return template.replace('{id}', outboxTag(purpose, outboxId, secret));
}

export function readTaggedAddress(template: string, purpose: TagPurpose, address: string, secrets: readonly string[]): number | undefined {
  const at = template.indexOf('{id}');
  if (at < 0) return undefined;
  const before = template.slice(0, at).toLowerCase();
  const after = template.slice(at + 4).toLowerCase();
  const a = address.trim().replace(/^<|>$/g, '').toLowerCase();
  if (a.length > 320 || !a.startsWith(before) || !a.endsWith(after) || a.length <= before.length + after.length) return undefined;
  return readOutboxTag(purpose, a.slice(before.length, a.length - after.length), secrets);
}
