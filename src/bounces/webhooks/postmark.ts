import { rawExcerpt, type DeliveryReport, type ReportKind } from '../report.js';
import {
  compact,
  diagnosticOf,
  enhancedStatusIn,
  isRecord,
  messageIdOf,
  parseJsonKeepingLongIntegers,
  recipientOf,
  refuse,
  sameSecret,
  text,
  timeOf,
  tooLarge,
  type WebhookAccepted,
  type WebhookInput,
  type WebhookRefused,
} from './common.js';

/**
 * Postmark bounce, spam-complaint and delivery webhooks
 * (https://postmarkapp.com/developer/webhooks/bounce-webhook, …/spam-complaint-webhook,
 * …/delivery-webhook). Postmark does not sign webhooks; the only proof of origin is HTTP Basic
 * credentials we put in the webhook URL (`https://user:pass@host/…`), so the URL must be https and
 * the credentials long and random. There is no timestamp to bound replays: idempotency by
 * `eventId` is what makes a replayed request harmless. One event per request.
 */

export interface PostmarkSecrets {
  username: string;
  password: string;
}

/**
 * Postmark's bounce `Type`s (https://postmarkapp.com/developer/api/bounce-api#bounce-types).
 * Deliberately not bounces: SpamNotification and VirusNotification are a receiving filter's
 * verdict on one message, not the reader's complaint (a complaint withdraws consent and counts
 * towards the complaint-rate pause); AutoResponder, ChallengeVerification and AddressChange are
 * automatic replies. `Unsubscribe` is Postmark's reading of the words of some mail sent to its
 * bounce address; anyone can send such a mail, so it stays `unknown` instead of unsubscribing
 * (our own mailto unsubscribe carries a signed token). DMARCPolicy is our domain's fault, not the
 * reader's; it is kept as `unknown` so it does not count towards suppressing the reader.
 */
const BOUNCE_KINDS: Readonly<Record<string, ReportKind>> = {
  HardBounce: 'hard-bounce',
  BadEmailAddress: 'hard-bounce',
  SoftBounce: 'soft-bounce',
  Transient: 'soft-bounce',
  DnsError: 'soft-bounce',
  Blocked: 'soft-bounce',
  SpamNotification: 'soft-bounce',
  VirusNotification: 'soft-bounce',
  AutoResponder: 'auto-reply',
  ChallengeVerification: 'auto-reply',
  AddressChange: 'auto-reply',
  SpamComplaint: 'complaint',
};

/**
 * Postmark's `MessageID` is its own id, not our Message-ID header, and its events carry no
 * headers. When we relay through Postmark, `X-PM-Metadata-message-id` and
 * `X-PM-Metadata-newsletter-issue` headers come back as these `Metadata` keys.
 */
export const POSTMARK_METADATA = { messageId: 'message-id', issue: 'newsletter-issue' } as const;

export function verifyPostmark(input: WebhookInput<PostmarkSecrets>): WebhookAccepted | WebhookRefused {
  const large = tooLarge(input.body);
  if (large) return large;
  const auth = checkBasicAuth(input.headers.authorization, input.secrets);
  if (auth) return auth;
  const parsed = parseJsonKeepingLongIntegers(input.body);
  if (!parsed.ok) return parsed;
  const record = parsed.value;
  if (!isRecord(record)) return refuse('Postmark body is not an object');
  // Older bounce payloads (and Postmark's own examples) have no RecordType.
  const recordType = text(record, 'RecordType') ?? (text(record, 'BouncedAt') ? 'Bounce' : undefined);
  if (recordType === undefined) return refuse('Postmark record has no RecordType');
  const clues = { channel: 'postmark' as const, ...messageClues(record), raw: rawExcerpt(input.body) };

  if (recordType === 'Delivery') {
    const recipient = recipientOf(record.Recipient);
    if (!recipient) return refuse('Postmark Delivery record has no Recipient address');
    const messageId = text(record, 'MessageID');
    const diagnostic = diagnosticOf(record.Details);
    const report: DeliveryReport = {
      ...clues,
      kind: 'delivered',
      recipient,
      diagnostic,
      status: enhancedStatusIn(diagnostic),
      at: timeOf(record.DeliveredAt, input.now),
      eventId: messageId && `${messageId}:delivered:${recipient}`,
    };
    return { ok: true, reports: [compact(report)], ignored: [] };
  }
  if (recordType !== 'Bounce' && recordType !== 'SpamComplaint') return { ok: true, reports: [], ignored: [`Postmark ${recordType} record is not a delivery report`] };

  const recipient = recipientOf(record.Email);
  if (!recipient) return refuse(`Postmark ${recordType} record has no Email address`);
  const type = text(record, 'Type');
  if (recordType === 'Bounce' && type === undefined) return refuse('Postmark Bounce record has no Type');
  const kind: ReportKind = recordType === 'SpamComplaint' ? 'complaint' : (BOUNCE_KINDS[type!] ?? 'unknown');
  const details = diagnosticOf(record.Details);
  const diagnostic = details ?? diagnosticOf(record.Description);
  const id = typeof record.ID === 'number' || typeof record.ID === 'string' ? String(record.ID) : undefined;
  const report: DeliveryReport = {
    ...clues,
    kind,
    recipient,
    status: enhancedStatusIn(details),
    diagnostic: kind === 'unknown' ? diagnosticOf(`Postmark ${type}: ${diagnostic ?? ''}`) : diagnostic,
    at: timeOf(record.BouncedAt, input.now),
    eventId: id,
  };
  return { ok: true, reports: [compact(report)], ignored: [] };
}

function checkBasicAuth(header: string | undefined, secrets: PostmarkSecrets): WebhookRefused | undefined {
  // An empty password would make "no credentials" a valid guess.
  if (secrets.username === '' || secrets.password === '') return refuse('Postmark webhook credentials are not configured');
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return refuse('missing or malformed Authorization: Basic header');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return refuse('malformed Basic credentials');
  // Both compared, always, so the time taken does not tell which one was wrong.
  const userOk = sameSecret(decoded.slice(0, colon), secrets.username);
  const passwordOk = sameSecret(decoded.slice(colon + 1), secrets.password);
  return userOk && passwordOk ? undefined : refuse('Basic credentials do not match');
}

function messageClues(record: Record<string, unknown>): Pick<DeliveryReport, 'originalMessageId' | 'issueHeader'> {
  const metadata = isRecord(record.Metadata) ? record.Metadata : {};
  const meta = (key: string) => Object.entries(metadata).find(([k, v]) => k.toLowerCase() === key && typeof v === 'string')?.[1] as string | undefined;
  // A `Headers` list ({ Name, Value }) appears in Postmark's inbound and bounce-dump shapes; read it when present.
  const headers = Array.isArray(record.Headers) ? record.Headers.filter(isRecord) : [];
  const header = (name: string) => headers.find((h) => typeof h.Name === 'string' && h.Name.toLowerCase() === name && typeof h.Value === 'string')?.Value as string | undefined;
  return {
    originalMessageId: messageIdOf(meta(POSTMARK_METADATA.messageId) ?? header('message-id')),
    issueHeader: (meta(POSTMARK_METADATA.issue) ?? header('x-newsletter-issue'))?.trim() || undefined,
  };
}
