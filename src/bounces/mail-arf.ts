import { cleanLine, first, readAddress, readFieldBlocks, readMta, type Fields, type Finding } from './mail-fields.js';

/**
 * Complaints. RFC 5965 ARF: the `message/feedback-report` part (Feedback-Type, Original-Rcpt-To,
 * Original-Mail-From, Arrival-Date, Reporting-MTA). Only a reader's complaint counts as one:
 * abuse, fraud, virus and other. `not-spam` (the reader took it out of spam), `auth-failure`
 * (a DMARC/DKIM failure report, RFC 6591, about the mail and not the reader), `opt-out` (an old
 * draft's removal request) and types we do not know are kept as `unknown`, with their type.
 */
const COMPLAINTS: ReadonlySet<string> = new Set(['abuse', 'fraud', 'virus', 'other']);

export function readArf(reportText: string): Finding[] {
  // One block by the RFC; some reporters put blank lines in it, so the blocks are merged.
  const fields: Fields = new Map();
  for (const block of readFieldBlocks(reportText, 10)) {
    for (const [name, values] of block) fields.set(name, [...(fields.get(name) ?? []), ...values]);
  }
  const feedbackType = cleanLine(first(fields, 'feedback-type'), 60)?.toLowerCase();
  const kind = feedbackType && COMPLAINTS.has(feedbackType) ? 'complaint' : 'unknown';
  const common: Finding = {
    kind,
    feedbackType,
    reportingMta: readMta(first(fields, 'reporting-mta')),
    // Original-Mail-From is the envelope sender of our message: the VERP address.
    envelopeTo: readAddress(first(fields, 'original-mail-from')),
  };
  const rcpts = [...(fields.get('original-rcpt-to') ?? []), ...(fields.get('removal-recipient') ?? [])];
  const recipients = [...new Set(rcpts.map(readAddress).filter((a): a is string => a !== undefined))];
  return recipients.length === 0 ? [common] : recipients.map((recipient) => ({ ...common, recipient }));
}

/**
 * Microsoft's Junk Mail Reporting Program (Outlook.com, Hotmail) sends no ARF part: a
 * multipart/mixed with the reported message, which carries `X-HmXmrOriginalRecipient`. It has no
 * Feedback-Type, so none is made up.
 */
export function readJmrp(returned: Fields): Finding | undefined {
  const recipient = first(returned, 'x-hmxmroriginalrecipient');
  if (recipient === undefined) return undefined;
  return { kind: 'complaint', recipient: readAddress(recipient) };
}
