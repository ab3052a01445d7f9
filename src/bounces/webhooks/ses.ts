import { rawExcerpt, type DeliveryReport, type ReportKind } from '../report.js';
import {
  compact,
  diagnosticOf,
  enhancedStatusIn,
  isRecord,
  messageIdOf,
  parseJson,
  recipientOf,
  refuse,
  text,
  timeOf,
  type WebhookAccepted,
  type WebhookInput,
  type WebhookRefused,
} from './common.js';
import { isSnsSubscribeUrl, verifySnsMessage, type SnsConfig, type SnsDeps, type SnsMessageType } from './sns.js';

/**
 * Amazon SES bounce, complaint and delivery events, published to an SNS topic that POSTs to us.
 * Both shapes are read: SES notifications (`notificationType`,
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html) and configuration-set
 * event publishing (`eventType`, https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html).
 */

export type SesResult = (WebhookAccepted & { messageType: SnsMessageType; subscribeUrl?: string }) | WebhookRefused;

/** Verifies the SNS envelope, then reads the SES event in it. A SubscriptionConfirmation gives the URL the edge must GET. */
export async function verifySes(input: WebhookInput<SnsConfig>, deps: SnsDeps): Promise<SesResult> {
  const verified = await verifySnsMessage(input, deps);
  if (!verified.ok) return verified;
  const message = verified.message;
  const base = { ok: true as const, messageType: message.Type, reports: [] };
  if (message.Type === 'SubscriptionConfirmation') {
    // Signed by SNS already; checked again so the edge never GETs anything but SNS's confirm call.
    if (!isSnsSubscribeUrl(message.SubscribeURL ?? '', message.TopicArn)) return refuse('SubscribeURL is not an https://sns.<region>.amazonaws.com ConfirmSubscription URL for this topic');
    return { ...base, ignored: [], subscribeUrl: message.SubscribeURL };
  }
  if (message.Type === 'UnsubscribeConfirmation') return { ...base, ignored: ['SNS UnsubscribeConfirmation: the topic no longer posts here'] };
  const read = sesEventReports(message.Message, message.MessageId, input.now);
  return read.ok ? { ...read, messageType: message.Type } : read;
}

/** What one SES event (the JSON text in an SNS Notification's `Message`) says, one report per recipient. */
export function sesEventReports(messageText: string, snsMessageId: string, now: Date): WebhookAccepted | WebhookRefused {
  const parsed = parseJson(messageText);
  if (!parsed.ok) return refuse('SNS Message is not SES event JSON');
  const event = parsed.value;
  if (!isRecord(event)) return refuse('SES event is not an object');
  const type = text(event, 'notificationType') ?? text(event, 'eventType');
  if (type === undefined) return refuse('SES event has neither notificationType nor eventType');
  if (!['Bounce', 'Complaint', 'Delivery', 'DeliveryDelay'].includes(type)) return { ok: true, reports: [], ignored: [`SES ${type} event is not a delivery report`] };

  const mail = event.mail;
  if (!isRecord(mail)) return refuse(`SES ${type} event lacks mail`);
  const detail = event[type === 'DeliveryDelay' ? 'deliveryDelay' : type.toLowerCase()];
  if (!isRecord(detail)) return refuse(`SES ${type} event lacks its ${type.toLowerCase()} object`);

  const common = {
    channel: 'ses' as const,
    at: timeOf(detail.timestamp, now),
    ...mailClues(mail),
    raw: rawExcerpt(messageText),
  };
  const entries = recipientEntries(type, detail);
  if (typeof entries === 'string') return refuse(entries);
  const reports: DeliveryReport[] = [];
  for (const entry of entries) {
    const recipient = recipientOf(entry.address);
    if (!recipient) return refuse(`SES ${type} event has a recipient that is not an address`);
    reports.push(compact({ ...common, ...entry.fields, recipient, eventId: `${snsMessageId}:${recipient}` }));
  }
  return { ok: true, reports, ignored: [] };
}

interface Entry {
  address: unknown;
  fields: Omit<DeliveryReport, 'channel' | 'at' | 'raw' | 'recipient'>;
}

function recipientEntries(type: string, detail: Record<string, unknown>): Entry[] | string {
  const list = detail[{ Bounce: 'bouncedRecipients', Complaint: 'complainedRecipients', Delivery: 'recipients', DeliveryDelay: 'delayedRecipients' }[type]!];
  if (!Array.isArray(list) || list.length === 0) return `SES ${type} event lists no recipients`;
  const reportingMta = text(detail, 'reportingMTA')?.replace(/^dsn;\s*/i, '');
  if (type === 'Delivery') {
    const response = diagnosticOf(detail.smtpResponse);
    return list.map((address) => ({ address, fields: { kind: 'delivered', diagnostic: response, status: enhancedStatusIn(response), reportingMta } }));
  }
  if (!list.every(isRecord)) return `SES ${type} event has a recipient entry that is not an object`;
  if (type === 'Complaint') {
    // OnAccountSuppressionList: SES did not send at all, because of an earlier complaint. Not a new
    // complaint (it must not count towards the complaint-rate pause), so kept as unknown.
    const suppressed = text(detail, 'complaintSubType') === 'OnAccountSuppressionList';
    const kind: ReportKind = suppressed ? 'unknown' : 'complaint';
    const diagnostic = suppressed ? 'SES did not send: the address is on the account suppression list after a complaint' : undefined;
    return list.map((r) => ({ address: r.emailAddress, fields: { kind, feedbackType: text(detail, 'complaintFeedbackType'), diagnostic } }));
  }
  // Bounce and DeliveryDelay: one status and diagnostic per recipient.
  const kind: ReportKind = type === 'Bounce' && text(detail, 'bounceType') === 'Permanent' ? 'hard-bounce' : 'soft-bounce';
  const fallback = type === 'Bounce' ? `SES bounce ${text(detail, 'bounceType') ?? '?'}/${text(detail, 'bounceSubType') ?? '?'}` : `SES delivery delay ${text(detail, 'delayType') ?? ''}`.trim();
  return list.map((r) => {
    const diagnostic = diagnosticOf(r.diagnosticCode) ?? fallback;
    return { address: r.emailAddress, fields: { kind, status: text(r, 'status') ?? enhancedStatusIn(diagnostic), diagnostic, reportingMta } };
  });
}

/**
 * How to find our outbox row from `mail`. SES's `mail.messageId` is the id SES gave the message
 * when it accepted it (the `250 Ok <id>` reply), not the Message-ID header we wrote, so it cannot
 * be looked up by Message-ID. SES documents that it overwrites a Message-ID header it is given
 * with its own `<…@email.amazonses.com>`; the header copies in `mail` are read anyway, preferring
 * one that is not SES's, and `mail.source` (our envelope sender, the signed VERP address) and
 * `X-Newsletter-Issue` are there to match by when it is.
 */
function mailClues(mail: Record<string, unknown>): Pick<DeliveryReport, 'originalMessageId' | 'issueHeader' | 'envelopeTo'> {
  const headers = Array.isArray(mail.headers) ? mail.headers.filter(isRecord) : [];
  const header = (name: string) => headers.find((h) => typeof h.name === 'string' && h.name.toLowerCase() === name && typeof h.value === 'string')?.value as string | undefined;
  const common = isRecord(mail.commonHeaders) ? mail.commonHeaders : {};
  const ids = [messageIdOf(header('message-id')), messageIdOf(common.messageId)].filter((id): id is string => id !== undefined);
  return {
    originalMessageId: ids.find((id) => !/@(?:[\w-]+\.)*amazonses\.com>$/i.test(id)) ?? ids[0],
    issueHeader: header('x-newsletter-issue')?.trim() || undefined,
    // Event-publishing examples show `source` with a display name; keep the address only.
    envelopeTo: /<([^<>\s]+@[^<>\s]+)>/.exec(text(mail, 'source') ?? '')?.[1] ?? text(mail, 'source'),
  };
}
