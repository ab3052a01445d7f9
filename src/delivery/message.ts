import addrs from 'email-addresses';
import type { Issue, Subscriber } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import type { RenderedForReader } from '../render/pipeline.js';
import type { OutgoingMessage } from '../transport/transport.js';

/** The domain for Message-ID and List-Id: the configured one, else the From address's. */
export function listDomain(newsletter: NewsletterConfig): string {
  if (newsletter.listDomain) return newsletter.listDomain;
  const parsed = addrs.parseOneAddress(newsletter.from);
  const domain = parsed && parsed.type === 'mailbox' ? (parsed as addrs.ParsedMailbox).domain : undefined;
  return domain ?? 'localhost';
}

/**
 * Fixed per outbox row, so a retry reuses it and receivers can recognise a duplicate; the
 * issue's creation time keeps ids unique across stores that reuse row numbers.
 */
export function messageIdFor(issue: Issue, outboxId: number, domain: string): string {
  return `<${issue.newsletterId}.${issue.id}.${outboxId}.${Date.parse(issue.createdAt).toString(36)}@${domain}>`;
}

export interface MessageInput {
  newsletter: NewsletterConfig;
  issue: Issue;
  outboxId: number;
  subscriber: Subscriber;
  rendered: RenderedForReader;
  unsubscribeUrl: string;
  date: Date;
}

/** Headers every digest carries (DESIGN.md invariant 4): text part, List-*, unique Message-ID. */
export function buildMessage({ newsletter, issue, outboxId, subscriber, rendered, unsubscribeUrl, date }: MessageInput): OutgoingMessage {
  const domain = listDomain(newsletter);
  const messageId = messageIdFor(issue, outboxId, domain);
  return {
    key: `${newsletter.id}/issue-${issue.id}/${String(outboxId).padStart(6, '0')}`,
    mail: {
      messageId,
      date,
      from: newsletter.from,
      replyTo: newsletter.replyTo,
      to: { name: subscriber.name, address: subscriber.email },
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      textEncoding: 'quoted-printable',
      list: {
        id: { url: `${newsletter.id}.${domain}`, comment: newsletter.name },
        unsubscribe: { url: unsubscribeUrl, comment: '' },
      },
      headers: {
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Auto-Submitted': 'auto-generated',
        'X-Newsletter-Issue': `${newsletter.id}/${issue.id}`,
      },
    },
  };
}
