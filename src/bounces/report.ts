/**
 * What the intake makes of a delivery report, whatever way it came in (a DSN or ARF mail to the
 * bounce address, an IMAP mailbox, a provider's webhook, a file): one shape, so matching it to an
 * outbox row and acting on it (bounces/… handler) is written once. Pure data.
 */

/** What a report says happened to one recipient. */
export type ReportKind =
  /** Permanent failure (5.x.x, "user unknown", "domain not found"): the address is suppressed. */
  | 'hard-bounce'
  /** Temporary failure reported after the relay's 250 (4.x.x, mailbox full, delayed): counted. */
  | 'soft-bounce'
  /** The reader marked the mail as spam (ARF `Feedback-Type: abuse`, a provider's complaint event). */
  | 'complaint'
  /** An out-of-office or vacation reply: never a bounce; kept only so it is not "unmatched". */
  | 'auto-reply'
  /** A mail to the `mailto:` List-Unsubscribe address. */
  | 'unsubscribe'
  /** A DSN with `Action: delivered|relayed|expanded`, or a provider's delivery event: nothing to do. */
  | 'delivered'
  /** A mail that is none of the above (kept and listed as unmatched). */
  | 'unknown';

/** How the report reached us. */
export type ReportChannel = 'smtp' | 'imap' | 'import' | 'ses' | 'postmark' | 'sendgrid' | 'mailgun';

export interface DeliveryReport {
  kind: ReportKind;
  channel: ReportChannel;
  /** The recipient the report is about (DSN Final-Recipient/Original-Recipient, ARF Original-Rcpt-To, provider's email), lower-cased. */
  recipient?: string;
  /** Enhanced status code, e.g. `5.1.1` (DSN Status, provider's code). */
  status?: string;
  /** The remote server's words (Diagnostic-Code, the bounce text's reason, the provider's description), at most 1,000 characters. */
  diagnostic?: string;
  /** The reporting MTA or provider host, when known. */
  reportingMta?: string;
  /** ARF Feedback-Type (abuse, fraud, not-spam, …) for complaints. */
  feedbackType?: string;
  /**
   * Clues to find the outbox row, strongest first (bounces/match.ts):
   * the address the report was sent to (our VERP bounce address: SMTP RCPT TO, Delivered-To,
   * X-Original-To, or the returned message's Return-Path) …
   */
  envelopeTo?: string;
  /** … the original message's Message-ID, from the returned headers or the provider's event … */
  originalMessageId?: string;
  /** … the original message's `X-Newsletter-Issue` header (`newsletterId/issueId`). */
  issueHeader?: string;
  /** For `unsubscribe`: the token in `unsubscribe+TOKEN@…`. */
  unsubscribeToken?: string;
  /** When the report says the event happened (ISO 8601), else when it arrived. */
  at: string;
  /** The provider's own id for the event (idempotency across webhook retries), when there is one. */
  eventId?: string;
  /** The report's text, cut to 8 KiB: kept with the event so an operator can read what was said. */
  raw: string;
}

/** Keeps at most `max` characters of a report's raw text. */
export function rawExcerpt(text: string, max = 8192): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters]`;
}
