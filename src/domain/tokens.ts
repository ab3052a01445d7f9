import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens for links that act for a reader (unsubscribe, confirm, preferences).
 * Opaque to the reader and to spam filters (no address in the URL); a forged or altered token
 * does not verify. Several secrets are accepted so a secret can be rotated: the first signs.
 */
export interface TokenPayload {
  /** purpose: 'unsubscribe' | ... ; a token for one purpose is useless for another */
  p: string;
  /** subscriber id */
  s: number;
  /** newsletter id */
  n: string;
  /** expiry, epoch seconds; absent means the token does not expire */
  e?: number;
  /**
   * What the token is bound to: for a confirmation, the time of the pending consent event it
   * confirms. The route accepts it only while that event is still the latest for the
   * (subscriber, newsletter), so a link from before an unsubscribe and a new sign-up does nothing.
   */
  w?: string;
}

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 32);
}

export function signToken(payload: TokenPayload, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(body, secret)}`;
}

export type TokenCheck = { ok: true; payload: TokenPayload } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose' };

export function verifyToken(token: string, secrets: readonly string[], purpose: string, nowMs: number): TokenCheck {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(mac);
  const valid = secrets.some((secret) => {
    const expected = Buffer.from(sign(body, secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) return { ok: false, reason: 'bad-signature' };
  let payload: TokenPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.s !== 'number' || typeof payload.n !== 'string') return { ok: false, reason: 'malformed' };
  if ((payload.e !== undefined && typeof payload.e !== 'number') || (payload.w !== undefined && typeof payload.w !== 'string')) return { ok: false, reason: 'malformed' };
  if (payload.p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (payload.e !== undefined && payload.e * 1000 < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}
