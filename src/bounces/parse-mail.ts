import { simpleParser, type ParsedMail } from 'mailparser';
import { rawExcerpt, type DeliveryReport } from './report.js';
import { readArf, readJmrp } from './mail-arf.js';
import { hasBounceSubject, isAutoReply, isDaemonSender } from './mail-classify.js';
import { hasDsnFields, readDsn } from './mail-dsn.js';
import { cleanLine, cleanText, first, readAddress, readAddresses, readHeaderBlock, readMessageId, readTime, type Fields, type Finding } from './mail-fields.js';
import { readTextBounce, splitAtCopy } from './mail-text.js';

/**
 * One mail that came back to us (to the bounce address, the feedback-loop address, a mailbox, a
 * file) → what it says, one report per recipient it speaks of. In order:
 *   1. an ARF report (RFC 5965, `message/feedback-report`) → complaint, or `unknown` when the
 *      feedback type is no complaint (mail-arf.ts); Microsoft's JMRP likewise
 *   2. a DSN (RFC 3464, `message/delivery-status`, or its fields in plain text) → hard-bounce,
 *      soft-bounce or delivered per recipient (mail-dsn.ts)
 *   3. an auto-reply (RFC 3834, X-Autoreply, "Out of Office" …) from a person → auto-reply
 *   4. a bounce in prose from a mail system (mail-text.ts) → hard-bounce or soft-bounce
 *      (delivered when its words say so)
 *   5. anything else, or anything that could not be read → one `unknown`
 * A mail is never dropped: the result is never empty, and bad input gives `unknown`, not an
 * error. Every report carries the clues for matching it to an outbox row (envelopeTo,
 * originalMessageId, issueHeader) and the mail's text (raw, 8 KiB). Nothing here is trusted:
 * it is what a stranger wrote, and the caller decides, by signed tags, whether it names us.
 * Pure apart from the parsing: no I/O, no clock (`receivedAt` stands in for a missing date).
 */
export interface ReportMailContext {
  channel: 'smtp' | 'imap' | 'import';
  /** The address the mail was delivered to (SMTP RCPT TO), when the caller knows it. */
  envelopeTo?: string;
  /** When the mail arrived (ISO 8601): the time of a report that gives none. */
  receivedAt: string;
}

/** Only the first 1 MiB of a mail is parsed: reports are small, and the copy they carry is cut anyway. */
export const MAX_MAIL_BYTES = 1024 * 1024;
/** The returned message or headers: only its header block is read. */
const MAX_RETURNED_CHARS = 256 * 1024;

const PARSER_OPTIONS = {
  keepDeliveryStatus: true,
  // A returned message stays an attachment: parsed inline, its text would mix with the notice.
  ignoreEmbedded: true,
  skipImageLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  keepCidLinks: true,
  checksumAlgo: false,
  maxHtmlLengthToParse: 256 * 1024,
  maxChildNodes: 200,
} as const;

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global-headers']);

/** What the parser made of the mail, reduced to what is read here. */
interface MailView {
  header(name: string): string | undefined;
  subject: string;
  text: string;
  statusParts: string[];
  feedbackParts: string[];
  returned?: Fields;
  raw: string;
}

export async function parseReportMail(raw: Buffer | string, ctx: ReportMailContext): Promise<DeliveryReport[]> {
  // A string is cut in characters first so that a huge one is never encoded whole.
  let source = (typeof raw === 'string' ? Buffer.from(raw.slice(0, MAX_MAIL_BYTES)) : raw).subarray(0, MAX_MAIL_BYTES);
  // A file saved with bare CRs (old Mac tools) has no lines for the parser; CR is one byte in UTF-8 too.
  if (!source.includes(0x0a) && source.includes(0x0d)) source = Buffer.from(source.toString('latin1').replace(/\r/g, '\n'), 'latin1');
  let view: MailView | undefined;
  try {
    view = viewOf(await simpleParser(source, PARSER_OPTIONS));
  } catch {
    view = undefined;
  }
  try {
    // A parser that found nothing (a multipart whose boundary never comes) has not read the mail.
    if (!view || (view.text.trim() === '' && view.statusParts.length === 0 && view.feedbackParts.length === 0 && !view.returned)) {
      view = { ...plainView(source.toString('utf8')), ...(view && { header: view.header, subject: view.subject }) };
    }
    return reportsOf(view, ctx);
  } catch {
    // A mail that breaks a reader is still a mail: kept, listed, never lost.
    return [{ kind: 'unknown', channel: ctx.channel, at: ctx.receivedAt, raw: rawExcerpt(cleanText(source.toString('utf8'))) }];
  }
}

function reportsOf(mail: MailView, ctx: ReportMailContext): DeliveryReport[] {
  const fromField = mail.header('from');
  const from = readAddress(fromField);
  const findings = findingsOf(mail, from, fromField ?? '', ctx);
  const returned = mail.returned;
  const envelopeTo = readAddress(ctx.envelopeTo) ?? cleanLine(ctx.envelopeTo, 320) ?? readAddress(mail.header('x-original-to')) ?? readAddress(mail.header('delivered-to'));
  const raw = rawExcerpt(mail.raw);
  return findings.map((f) => {
    const report: DeliveryReport = {
      kind: f.kind,
      channel: ctx.channel,
      recipient: f.recipient,
      status: f.status,
      diagnostic: f.diagnostic,
      reportingMta: f.reportingMta,
      feedbackType: f.feedbackType,
      // The address the report came to proves the most (VERP), then the envelope sender it quotes.
      envelopeTo: envelopeTo ?? f.envelopeTo ?? readAddress(first(returned, 'return-path')),
      originalMessageId: f.originalMessageId ?? readMessageId(first(returned, 'message-id')),
      issueHeader: cleanLine(first(returned, 'x-newsletter-issue'), 200),
      at: readTime([f.at, mail.header('date')], ctx.receivedAt),
      raw,
    };
    return withoutUndefined(report);
  });
}

function findingsOf(mail: MailView, from: string | undefined, fromField: string, ctx: ReportMailContext): Finding[] {
  // Our messages have one recipient each: where a report names none that is an address (a
  // complaint without Original-Rcpt-To, a bounce in prose, a DSN about a pipe a .forward led to),
  // the To of the copy it returns is the reader.
  const returnedTo = readAddresses(first(mail.returned, 'to'));
  const orCopyTo = (findings: Finding[]) => findings.map((f) => (f.recipient || returnedTo.length !== 1 ? f : { ...f, recipient: returnedTo[0] }));
  if (mail.feedbackParts.length > 0) return orCopyTo(readArf(mail.feedbackParts.join('\n\n')));
  // The notice of a real DSN often repeats its fields in prose: the text counts only without a status part.
  const dsn = mail.statusParts.flatMap(readDsn);
  if (dsn.length > 0) return orCopyTo(dsn);
  const dsnInText = hasDsnFields(mail.text) ? readDsn(mail.text) : [];
  if (dsnInText.length > 0) return orCopyTo(dsnInText);
  const jmrp = mail.returned && readJmrp(mail.returned);
  if (jmrp) return [jmrp];

  const daemon = isDaemonSender(from, fromField);
  const autoReply = isAutoReply((name) => mail.header(name), mail.subject);
  // Bounces carry `Auto-Submitted: auto-replied` too; a mail system's is a bounce, a person's is
  // not. The person is the reader (or where the reader's mail goes); In-Reply-To quotes our Message-ID.
  if (autoReply && !daemon) return [{ kind: 'auto-reply', recipient: from, originalMessageId: readMessageId(mail.header('in-reply-to')) }];
  if (daemon || hasBounceSubject(mail.subject)) {
    const ours = new Set(
      [from, readAddress(ctx.envelopeTo), ...readAddresses(mail.header('to')), readAddress(mail.header('delivered-to')), readAddress(mail.header('x-original-to'))].filter((a): a is string => !!a),
    );
    const bounces = readTextBounce(splitAtCopy(mail.text).notice, ours);
    if (bounces.length > 0) return orCopyTo(bounces);
  }
  // A mail system's notice that is no bounce we can read (a group that does not exist, a
  // malformed address) is not a person's auto-reply either, though it says auto-replied.
  return [{ kind: 'unknown' }];
}

function viewOf(parsed: ParsedMail): MailView {
  const header = (name: string) => {
    const line = parsed.headerLines.find((h) => h.key === name)?.line;
    return line === undefined
      ? undefined
      : line
          .slice(line.indexOf(':') + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim();
  };
  const partText = (types: ReadonlySet<string>) => parsed.attachments.filter((a) => types.has(a.contentType.toLowerCase())).map((a) => a.content.toString('utf8'));
  const text = parsed.text ?? '';
  const returnedText = partText(RETURNED_TYPES)[0]?.slice(0, MAX_RETURNED_CHARS);
  // Without a returned part, the copy is in the text after a marker (mail-text.ts).
  const copy = returnedText ?? splitAtCopy(text).copy;
  const statusParts = partText(STATUS_TYPES);
  const feedbackParts = partText(new Set(['message/feedback-report']));
  const heads = ['from', 'to', 'subject', 'date'].map((k) => parsed.headerLines.find((h) => h.key === k)?.line).filter((l) => l !== undefined);
  // Of the returned message, its headers: they name the message; its body is our own text.
  const returnedHead = returnedText?.split(/\r?\n\r?\n/, 1)[0]?.slice(0, 4096) ?? '';
  const rawText = [heads.join('\n'), text, ...statusParts, ...feedbackParts, returnedHead];
  return {
    header,
    subject: parsed.subject ?? '',
    text,
    statusParts,
    feedbackParts,
    returned: copy === undefined ? undefined : readHeaderBlock(copy.trimStart()),
    raw: cleanText(rawText.filter((s) => s.trim() !== '').join('\n\n')),
  };
}

/** When the parser gave up: the source read as text, its header block as headers. */
function plainView(source: string): MailView {
  const headers = readHeaderBlock(source);
  const end = source.search(/\r?\n\r?\n/);
  const text = end < 0 ? '' : source.slice(end).trim();
  const copy = splitAtCopy(text).copy;
  return {
    header: (name) => first(headers, name),
    subject: first(headers, 'subject') ?? '',
    text,
    statusParts: [],
    feedbackParts: [],
    returned: copy === undefined ? undefined : readHeaderBlock(copy.trimStart()),
    raw: cleanText(source),
  };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
