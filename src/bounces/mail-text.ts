import { classifyFailure, findStatus, saysDelivered } from './mail-classify.js';
import { cleanLine, MAX_BLOCKS, readAddress, type Finding } from './mail-fields.js';

/**
 * Bounces without a delivery-status part, as Exim, qmail, old Sendmail, Exchange, Gmail, Yahoo
 * and others still write them: a notice in prose, then a copy of the message. Read by their
 * shapes, not by vendor:
 *   - the copy starts at a dashed line ("--- Below this line is a copy of the message.",
 *     "------ This is a copy of the message, including all the headers. ------",
 *     "----- Original message -----", "----- Unsent message follows -----") or at a line
 *     "Original message follows."
 *   - a failed recipient is a line of its own in the notice: `  a@b` (Exim, Gmail), `<a@b>:`
 *     (qmail, Yahoo), `a@b<mailto:a@b>` (Office 365), `a@b on <date>` (Exchange 2003),
 *     `<a@b>: reason` (Postfix without DSN), `550 5.1.1 <a@b>... reason` (Sendmail transcript);
 *     its reason is what follows, up to the next recipient
 *   - else the `RCPT TO:<a@b>` of a transcript
 * The status is the first enhanced code in the reason; hard or soft by mail-classify.ts. What
 * cannot be read is left out, not guessed: a notice with a reason but no recipient gives a
 * finding without one (the caller may know the recipient from the copy's To).
 */

/**
 * A line that starts the copy: a dashed line naming it, or one of a few whole lines. Tested line
 * by line, on lines of at most 200 characters, with no pattern that can backtrack far.
 */
const DASHED = /^[ \t>|]*[-=_]{2}/;
const DASHED_WORDS = /\b(copy of|original message|unsent message|returned message|message text follows|message follows|headers? follow|undelivered message)\b/i;
const WHOLE_LINE = /^[ \t>]*(original message follows|original message|below is a copy of the original message|the original message (is attached|follows))[.:]?[ \t]*$/i;
const isCopyMarker = (line: string) => line.length <= 200 && ((DASHED.test(line) && DASHED_WORDS.test(line)) || WHOLE_LINE.test(line));
const ADDR = String.raw`[^\s@<>()[\]",;:]{1,64}@[A-Za-z0-9.-]{1,253}`;
/** Shapes of a line naming a failed recipient: `addr` is the recipient, `reason` what the line says of it. */
const RECIPIENT_LINE = [
  new RegExp(String.raw`^<?(?<addr>${ADDR})>?:?$`),
  new RegExp(String.raw`^<?(?<addr>${ADDR})>?\s*(?:<mailto:[^>\s]*>|\(${ADDR}\))$`),
  new RegExp(String.raw`^<?(?<addr>${ADDR})>?\s+on\s+\w{3}, .*$`),
  new RegExp(String.raw`^<?(?<addr>${ADDR})>?\s*(?:\.\.\.|:)\s*(?<reason>.+)$`),
  new RegExp(String.raw`^[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3} )?<(?<addr>${ADDR})>\.\.\.\s*(?<reason>.+)$`),
  // "User mailbox exceeds allowed size: a@b", "Did not reach the following recipient: a@b";
  // a one-word label ("To: a@b" of the quoted message) is no reason.
  new RegExp(String.raw`^(?<reason>[^:<>@]{0,120} [^:<>@]{1,120}):\s*<?(?<addr>${ADDR})>?$`),
];
const RCPT_TO = new RegExp(String.raw`RCPT TO:\s*<(${ADDR})>`, 'gi');

/** The notice, and the copy of the returned message when a marker shows where it starts. */
export function splitAtCopy(text: string): { notice: string; copy?: string } {
  let start = 0;
  for (let n = 0; n < 20_000 && start < text.length; n++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(start, end).trimEnd();
    if (isCopyMarker(line)) return { notice: text.slice(0, start), copy: text.slice(end) };
    start = end;
  }
  return { notice: text };
}

interface Block {
  recipient: string;
  reason: string[];
}

/** `ours`: addresses of our own side (the bounce address, the report's sender) that are never a failed recipient. */
export function readTextBounce(notice: string, ours: ReadonlySet<string>): Finding[] {
  const lines = notice.split(/\r?\n/, 2000);
  const blocks: Block[] = [];
  const preamble: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^>\s?/, '').trim();
    const hit = recipientOf(line, ours);
    if (hit && blocks.length < MAX_BLOCKS) {
      const same = blocks.find((b) => b.recipient === hit.recipient);
      if (same) same.reason.push(...hit.reason);
      else blocks.push(hit);
    } else if (blocks.length > 0) {
      blocks.at(-1)!.reason.push(line);
    } else {
      preamble.push(line);
    }
  }
  if (blocks.length === 0) {
    for (const m of notice.matchAll(RCPT_TO)) {
      const recipient = readAddress(m[1]);
      if (recipient && !ours.has(recipient) && !blocks.some((b) => b.recipient === recipient)) blocks.push({ recipient, reason: [] });
    }
    for (const b of blocks) b.reason = [notice];
  }
  if (blocks.length === 0) {
    const finding = judge(preamble.join('\n'), undefined);
    return finding ? [finding] : [];
  }
  // A recipient named with no failure said of it: a delivery when the notice says so, else a
  // failure of no known kind, which is soft (mail-classify.ts).
  const unsaid = saysDelivered(notice) ? 'delivered' : 'soft-bounce';
  return blocks.map((b) => judge(b.reason.join('\n'), b.recipient) ?? judge(notice, b.recipient) ?? { kind: unsaid, recipient: b.recipient, diagnostic: reasonText(b.reason.join('\n')) });
}

function recipientOf(line: string, ours: ReadonlySet<string>): Block | undefined {
  if (line.length > 400) return undefined;
  for (const pattern of RECIPIENT_LINE) {
    const m = pattern.exec(line);
    const recipient = m && readAddress(m.groups?.addr);
    if (recipient && !ours.has(recipient)) return { recipient, reason: m.groups?.reason ? [line] : [] };
  }
  return undefined;
}

/** A finding when the words say it failed; undefined when they say nothing of the kind. */
function judge(words: string, recipient: string | undefined): Finding | undefined {
  const status = findStatus(words);
  const kind = classifyFailure(status, words);
  if (!kind) return undefined;
  return { kind, recipient, status, diagnostic: reasonText(words) };
}

/** The reason as one line: Exim and Gmail wrap it over several. */
function reasonText(words: string): string | undefined {
  return cleanLine(words, 1000);
}
