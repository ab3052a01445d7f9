import { failureKind, classifyFailure } from './mail-classify.js';
import { cleanLine, first, readAddress, readFieldBlocks, readMta, type Fields, type Finding } from './mail-fields.js';

/**
 * The `message/delivery-status` part of a DSN (RFC 3464 §2): one per-message block
 * (Reporting-MTA, Arrival-Date), then one block per recipient (Final-Recipient, Action, Status,
 * Diagnostic-Code, Remote-MTA, Last-Attempt-Date). Also read from plain text, where MTAs that do
 * not build a multipart/report still write these fields.
 *   Action failed                      → hard or soft by the status (mail-classify.ts)
 *   Action delayed (or expired)        → soft-bounce
 *   Action delivered|relayed|expanded  → delivered
 *   no Action                          → by the status class, else `unknown`
 */
export function readDsn(text: string): Finding[] {
  const blocks = readFieldBlocks(text);
  const isRecipient = (b: Fields) => b.has('final-recipient') || b.has('original-recipient');
  const perMessage = blocks.find((b) => !isRecipient(b) && (b.has('reporting-mta') || b.has('arrival-date') || b.has('received-from-mta')));
  const reporting = readMta(first(perMessage, 'reporting-mta'));
  return blocks.filter(isRecipient).map((b) => {
    const status = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(first(b, 'status') ?? '');
    const code = status ? `${status[1]}.${Number(status[2])}.${Number(status[3])}` : undefined;
    const diagnostic = cleanLine(first(b, 'diagnostic-code')?.replace(/^[\w-]+\s*;\s*/, ''), 1000);
    return {
      kind: kindOf(first(b, 'action'), code, diagnostic ?? ''),
      // Original-Recipient is the address as we sent it (ORCPT); Final-Recipient may be where a
      // forward led, which is not the reader we know.
      recipient: readAddress(first(b, 'original-recipient')) ?? readAddress(first(b, 'final-recipient')),
      status: code,
      diagnostic,
      reportingMta: reporting ?? readMta(first(b, 'remote-mta')),
      at: first(b, 'last-attempt-date'),
    };
  });
}

function kindOf(action: string | undefined, status: string | undefined, diagnostic: string): Finding['kind'] {
  switch (
    action
      ?.trim()
      .toLowerCase()
      .split(/[\s;(]/)[0]
  ) {
    case 'failed':
      return failureKind(status, diagnostic);
    case 'delayed':
    case 'expired': // not in RFC 3464; SendGrid's word for "gave up after retrying"
      return 'soft-bounce';
    case 'delivered':
    case 'relayed':
    case 'expanded':
      return 'delivered';
    default:
      if (status?.startsWith('2')) return 'delivered';
      return classifyFailure(status, diagnostic) ?? 'unknown';
  }
}

/** Whether plain text carries DSN recipient fields (a DSN written without its MIME structure). */
export function hasDsnFields(text: string): boolean {
  return /^(final|original)-recipient\s*:/im.test(text) && /^(action|status)\s*:/im.test(text);
}
