import { createPublicKey, verify, type KeyObject } from 'node:crypto';
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
 * SendGrid's signed Event Webhook
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * an ECDSA P-256 / SHA-256 signature, base64 DER, over the timestamp header followed by the raw
 * body. The body is a JSON array of events, possibly for many messages.
 */

export interface SendGridSecrets {
  /** The verification key exactly as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`). */
  publicKey: string;
}

export interface SendGridOptions {
  maxAgeSeconds?: number;
  maxAheadSeconds?: number;
}

/**
 * The timestamp is signed with the body, so an old request cannot be made to look new: refusing
 * those older than ten minutes stops a captured request from being replayed later, and within the
 * window the handler's idempotency makes a replay harmless. SendGrid documents no window; ten
 * minutes leaves room for clock skew and SendGrid's batching, and is an option in case its retries
 * carry the first attempt's timestamp. Five minutes ahead covers a clock behind SendGrid's.
 */
export const SENDGRID_MAX_AGE_SECONDS = 600;
export const SENDGRID_MAX_AHEAD_SECONDS = 300;

/** A custom arg (X-SMTPAPI `unique_args`) comes back as a top-level field of each event. */
export const SENDGRID_ISSUE_ARG = 'newsletter-issue';

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * `dropped` means SendGrid did not send at all. An address on SendGrid's bounce list or an invalid
 * one will never be delivered: a hard bounce. An address on its spam-report or unsubscribe list
 * is a consent fact from an earlier event (perhaps of another sender on the account), not a new
 * complaint: counting it as one would trip the complaint-rate pause, so it is kept as `unknown`,
 * with the reason, for the operator. Other reasons (bad SMTPAPI header, spam content, quota) are
 * about our message, not the reader.
 */
const DROPPED_KINDS: Readonly<Record<string, ReportKind>> = {
  'Bounced Address': 'hard-bounce',
  Invalid: 'hard-bounce',
};

export function verifySendGrid(input: WebhookInput<SendGridSecrets>, options: SendGridOptions = {}): WebhookAccepted | WebhookRefused {
  const large = tooLarge(input.body);
  if (large) return large;
  const timestamp = input.headers[TIMESTAMP_HEADER];
  const signatureText = input.headers[SIGNATURE_HEADER];
  if (timestamp === undefined || signatureText === undefined) return refuse('SendGrid signature or timestamp header missing');
  const seconds = epochSeconds(timestamp);
  if (seconds === undefined) return refuse('SendGrid timestamp header is not epoch seconds');
  const maxAge = options.maxAgeSeconds ?? SENDGRID_MAX_AGE_SECONDS;
  if (!isFresh(seconds * 1000, input.now, maxAge, options.maxAheadSeconds ?? SENDGRID_MAX_AHEAD_SECONDS)) return refuse(`SendGrid timestamp is outside the ${maxAge} s window (stale or replayed)`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureText)) return refuse('SendGrid signature header is not base64');

  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(input.secrets.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return refuse('configured SendGrid public key is not base64 DER (SPKI)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return refuse('configured SendGrid public key is not an ECDSA P-256 key');
  let valid: boolean;
  try {
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(input.body, 'utf8')]);
    valid = verify('sha256', signed, { key, dsaEncoding: 'der' }, Buffer.from(signatureText, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return refuse('SendGrid signature does not verify');

  const parsed = parseJson(input.body);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return refuse('SendGrid body is not an array of events');
  // One malformed event must not lose the rest of a signed batch (SendGrid would retry the whole
  // batch, and fail the same way): it is listed in `ignored` and the others are read.
  const reports: DeliveryReport[] = [];
  const ignored: string[] = [];
  parsed.value.forEach((event, index) => {
    const read = eventReport(event, input.now);
    if (typeof read === 'string') ignored.push(`SendGrid event ${index}: ${read}`);
    else reports.push(read);
  });
  return { ok: true, reports, ignored };
}

function eventReport(event: unknown, now: Date): DeliveryReport | string {
  if (!isRecord(event)) return 'not an object';
  const name = text(event, 'event');
  if (name === undefined) return 'no event name';
  const what = classify(name, event);
  if (typeof what === 'string') return what;
  const recipient = recipientOf(event.email);
  if (!recipient) return `${name} event has no email address`;
  return compact({
    ...what,
    channel: 'sendgrid' as const,
    recipient,
    at: timeOf(typeof event.timestamp === 'number' ? event.timestamp : undefined, now),
    eventId: text(event, 'sg_event_id'),
    originalMessageId: messageIdOf(event['smtp-id']),
    issueHeader: text(event, SENDGRID_ISSUE_ARG)?.trim() || undefined,
    raw: rawExcerpt(JSON.stringify(event)),
  });
}

type Classified = Pick<DeliveryReport, 'kind' | 'status' | 'diagnostic'>;

function classify(name: string, event: Record<string, unknown>): Classified | string {
  const reason = diagnosticOf(event.reason);
  const response = diagnosticOf(event.response);
  const status = text(event, 'status') ?? enhancedStatusIn(reason ?? response);
  switch (name) {
    case 'bounce': {
      // `type: blocked` is a refusal of this message (reputation, content), not of the address.
      const type = text(event, 'type');
      const hard = type === 'bounce' || (type !== 'blocked' && status?.startsWith('5') === true);
      return { kind: hard ? 'hard-bounce' : 'soft-bounce', status, diagnostic: reason };
    }
    case 'dropped':
      return { kind: DROPPED_KINDS[reason ?? ''] ?? 'unknown', status, diagnostic: diagnosticOf(`SendGrid dropped the message: ${reason ?? 'no reason given'}`) };
    case 'deferred':
      return { kind: 'soft-bounce', status, diagnostic: response };
    case 'spamreport':
      return { kind: 'complaint' };
    case 'delivered':
      return { kind: 'delivered', status, diagnostic: response };
    case 'unsubscribe':
    case 'group_unsubscribe':
      // SendGrid's own unsubscribe link or group: our links are ours, so this is listed for the operator.
      return { kind: 'unknown', diagnostic: `SendGrid ${name} event` };
    default:
      return `${name} event is not a delivery report`;
  }
}
