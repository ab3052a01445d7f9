import { createHmac, timingSafeEqual } from 'node:crypto';
import { rawExcerpt, type DeliveryReport, type ReportKind } from '../report.js';
import {
  compact,
  diagnosticOf,
  enhancedStatusIn,
  epochSeconds,
  isFresh,
  isRecord,
  messageIdOf,
  parseJson,
  recipientOf,
  refuse,
  text,
  timeOf,
  tooLarge,
  type WebhookAccepted,
  type WebhookInput,
  type WebhookRefused,
} from './common.js';

/**
 * Mailgun webhooks (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks,
 * …/webhook-payloads): JSON `{ signature: { timestamp, token, signature }, "event-data": {…} }`,
 * signature = hex HMAC-SHA256(webhook signing key, timestamp + token). The body itself is not
 * signed: anyone holding one valid signature block could attach other event data to it, which is
 * why a token must be accepted only once (the edge remembers `replayKey` until
 * `replayKeyExpiresAt`; after that the timestamp check refuses it anyway).
 */

export interface MailgunSecrets {
  /** The HTTP webhook signing key (not the API key). */
  signingKey: string;
}

export interface MailgunOptions {
  maxAgeSeconds?: number;
  maxAheadSeconds?: number;
}

export type MailgunResult = (WebhookAccepted & { replayKey: string; replayKeyExpiresAt: string }) | WebhookRefused;

/**
 * Mailgun retries a failed delivery for about 8 hours (10 min, 10 min, 15 min, 30 min, 1 h, 2 h,
 * 4 h), and its retries are reported to resend the original signature block, timestamp included
 * (its documentation does not say). A tighter window would throw away every retry after an outage
 * of ours, so the window is 9 hours and single use of the token is what stops replays within it.
 * Five minutes ahead covers clock skew.
 */
export const MAILGUN_MAX_AGE_SECONDS = 9 * 60 * 60;
export const MAILGUN_MAX_AHEAD_SECONDS = 300;

/** A custom variable (X-Mailgun-Variables) comes back in `user-variables`. */
export const MAILGUN_ISSUE_VARIABLE = 'newsletter-issue';

/**
 * `failed` with a `suppress-*` reason means Mailgun did not send because of an earlier event.
 * An earlier bounce is a hard bounce (the severity says so); an earlier complaint or unsubscribe
 * is not a new one, and must not count towards the complaint-rate pause: kept as `unknown`.
 */
const SUPPRESSED_FOR_CONSENT = new Set(['suppress-complaint', 'suppress-unsubscribe']);

export function verifyMailgun(input: WebhookInput<MailgunSecrets>, options: MailgunOptions = {}): MailgunResult {
  const large = tooLarge(input.body);
  if (large) return large;
  if (input.secrets.signingKey === '') return refuse('Mailgun signing key is not configured');
  // The signature lives inside the body, so the (size-limited) body is parsed before it is verified.
  const parsed = parseJson(input.body);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  if (!isRecord(body) || !isRecord(body.signature)) return refuse('Mailgun body has no signature object');
  const { timestamp, token, signature } = body.signature;
  if (typeof timestamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string') return refuse('Mailgun signature lacks timestamp, token or signature');
  const seconds = epochSeconds(timestamp);
  if (seconds === undefined) return refuse('Mailgun signature timestamp is not epoch seconds');
  const maxAge = options.maxAgeSeconds ?? MAILGUN_MAX_AGE_SECONDS;
  if (!isFresh(seconds * 1000, input.now, maxAge, options.maxAheadSeconds ?? MAILGUN_MAX_AHEAD_SECONDS)) return refuse(`Mailgun timestamp is outside the ${maxAge} s window (stale or replayed)`);
  if (!/^[\x21-\x7e]{1,200}$/.test(token)) return refuse('Mailgun token is malformed');
  if (!/^[0-9a-f]{64}$/i.test(signature)) return refuse('Mailgun signature is not 64 hex digits');
  const expected = createHmac('sha256', input.secrets.signingKey)
    .update(timestamp + token)
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return refuse('Mailgun signature does not verify');

  const accepted = { replayKey: token, replayKeyExpiresAt: new Date((seconds + maxAge) * 1000).toISOString() };
  const data = body['event-data'];
  if (!isRecord(data)) return refuse('Mailgun body has no event-data object');
  const read = eventReport(data, input.now);
  if (typeof read === 'string') return refuse(read);
  return { ok: true, ...accepted, ...read };
}

function eventReport(data: Record<string, unknown>, now: Date): Pick<WebhookAccepted, 'reports' | 'ignored'> | string {
  const name = text(data, 'event');
  if (name === undefined) return 'Mailgun event-data has no event';
  const what = classify(name, data);
  if (what === undefined) return { reports: [], ignored: [`Mailgun ${name} event is not a delivery report`] };
  const recipient = recipientOf(data.recipient);
  if (!recipient) return `Mailgun ${name} event has no recipient address`;
  const message = isRecord(data.message) ? data.message : {};
  const headers = isRecord(message.headers) ? message.headers : {};
  const variables = isRecord(data['user-variables']) ? data['user-variables'] : {};
  const envelope = isRecord(data.envelope) ? data.envelope : {};
  const report: DeliveryReport = {
    ...what,
    channel: 'mailgun',
    recipient,
    at: timeOf(typeof data.timestamp === 'number' ? data.timestamp : undefined, now),
    eventId: text(data, 'id'),
    // Mailgun reports the Message-ID without its angle brackets; ours are stored with them.
    originalMessageId: messageIdOf(headers['message-id']),
    issueHeader: text(variables, MAILGUN_ISSUE_VARIABLE)?.trim() || undefined,
    // Our envelope sender, i.e. the signed VERP bounce address the message went out with.
    envelopeTo: text(envelope, 'sender'),
    raw: rawExcerpt(JSON.stringify(data)),
  };
  return { reports: [compact(report)], ignored: [] };
}

function classify(name: string, data: Record<string, unknown>): Pick<DeliveryReport, 'kind' | 'status' | 'diagnostic'> | undefined {
  const status = isRecord(data['delivery-status']) ? data['delivery-status'] : {};
  const words = text(status, 'message') ?? text(status, 'description');
  const code = typeof status.code === 'number' || typeof status.code === 'string' ? String(status.code) : undefined;
  const diagnostic = diagnosticOf([code, words].filter(Boolean).join(' '));
  const enhanced = text(status, 'enhanced-code');
  const statusCode = enhanced && /^[245]\.\d{1,3}\.\d{1,3}$/.test(enhanced) ? enhanced : enhancedStatusIn(words);
  switch (name) {
    case 'failed': {
      const reason = text(data, 'reason');
      const kind: ReportKind = SUPPRESSED_FOR_CONSENT.has(reason ?? '') ? 'unknown' : text(data, 'severity') === 'permanent' ? 'hard-bounce' : 'soft-bounce';
      return { kind, status: statusCode, diagnostic: diagnostic ?? diagnosticOf(reason && `Mailgun: ${reason}`) };
    }
    case 'complained':
      return { kind: 'complaint' };
    case 'delivered':
      return { kind: 'delivered', status: statusCode, diagnostic };
    case 'unsubscribed':
      // Mailgun's own unsubscribe link: our links are ours, so this is listed for the operator.
      return { kind: 'unknown', diagnostic: 'Mailgun unsubscribed event' };
    default:
      return undefined;
  }
}
