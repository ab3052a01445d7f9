import type { Received } from './smtp-sink.js';

const CRLF = '\r\n';

/** The headers of a message as it was sent (for the part a DSN or ARF report returns). */
export function headersOf(m: Received): string {
  const raw = m.raw.toString('utf8');
  return raw.slice(0, raw.indexOf(`${CRLF}${CRLF}`));
}

/** A header's value, unfolded (RFC 5322: a line break before white space is not part of the value). */
export function header(m: Received, name: string): string {
  const unfolded = headersOf(m).replace(/\r\n(?=[ \t])/g, '');
  return new RegExp(`^${name}: (.*)$`, 'mi').exec(unfolded)?.[1]?.trim() ?? '';
}

/**
 * An RFC 3464 delivery status notification, shaped as Postfix writes one: a human part, the
 * machine-readable per-recipient fields, and the original message's headers.
 */
export function dsn(m: Received, options: { status?: string; action?: string; diagnostic?: string; to?: string; returnedHeaders?: boolean } = {}): Buffer {
  const {
    status = '5.1.1',
    action = 'failed',
    diagnostic = 'smtp; 550 5.1.1 <recipient>: Recipient address rejected: User unknown in virtual mailbox table',
    to = m.from,
    returnedHeaders = true,
  } = options;
  const boundary = 'dsn-boundary-1';
  const lines = [
    'Return-Path: <>',
    `Delivered-To: ${to}`,
    'From: MAILER-DAEMON@mx.receiver.example (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${to}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    'Message-Id: <20261128150102.ABC@mx.receiver.example>',
    'Date: Sat, 28 Nov 2026 15:01:02 +0000',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    "I'm sorry to have to inform you that your message could not be delivered.",
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.receiver.example',
    'Arrival-Date: Sat, 28 Nov 2026 15:01:01 +0000',
    '',
    `Final-Recipient: rfc822; ${m.to[0]}`,
    `Original-Recipient: rfc822;${m.to[0]}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: ${diagnostic.replace('<recipient>', `<${m.to[0]}>`)}`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    ...(returnedHeaders ? headersOf(m).split(CRLF) : ['Subject: (headers not returned)']),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join(CRLF));
}

/** An RFC 5965 abuse report about a message, as a mailbox provider's feedback loop sends it. */
export function arf(m: Received, to: string): Buffer {
  const boundary = 'arf-boundary-1';
  return Buffer.from(
    [
      'From: fbl@provider.example',
      `To: ${to}`,
      'Subject: FW: complaint',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=feedback-report; boundary="${boundary}"`,
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      '',
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      'This is an email abuse report for an email message received from IP 192.0.2.1.',
      '',
      `--${boundary}`,
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: SomeGenerator/1.0',
      'Version: 1',
      `Original-Mail-From: <${m.from}>`,
      `Original-Rcpt-To: <${m.to[0]}>`,
      'Arrival-Date: Sat, 28 Nov 2026 15:00:30 +0000',
      'Source-IP: 192.0.2.1',
      '',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      ...headersOf(m).split(CRLF),
      '',
      `--${boundary}--`,
      '',
    ].join(CRLF),
  );
}
