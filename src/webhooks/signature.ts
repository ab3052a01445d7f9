import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, as Svix and Stripe-style
 * receivers verify them): HMAC-SHA256 over `${id}.${timestamp}.${body}`, base64, sent as
 * `webhook-signature: v1,<base64>` with `webhook-id` and `webhook-timestamp` (Unix seconds).
 * A secret written `whsec_<base64>` is those bytes; any other secret is its UTF-8 bytes.
 */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of one attempt. */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature(secret, id, timestamp, body) };
}

/**
 * What a receiver does (kept here for tests and for users' receivers in TypeScript): the
 * signature header may list several space-separated `v1,…`; one must match, compared in
 * constant time, and the timestamp must be within `toleranceS` of `nowS`.
 */
export function verifySignature(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string, nowS: number, toleranceS = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS) return false;
  const expected = Buffer.from(signature(secret, headers.id, ts, body));
  return headers.signature.split(' ').some((s) => {
    const given = Buffer.from(s);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
