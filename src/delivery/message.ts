import addrs from 'email-addresses';
import { outboxTag, readOutboxTag } from '../domain/outbox-tags.js';
import type { Issue } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';

const domains = new WeakMap<NewsletterConfig, string>();

/** The domain for Message-ID and List-Id: the configured one, else the From address's (parsed once). */
export function listDomain(newsletter: NewsletterConfig): string {
  let domain = domains.get(newsletter);
  if (domain === undefined) {
    const parsed = newsletter.listDomain ? undefined : addrs.parseOneAddress(newsletter.from);
    domain = newsletter.listDomain ?? (parsed && parsed.type === 'mailbox' ? (parsed as addrs.ParsedMailbox).domain : undefined) ?? 'localhost';
    domains.set(newsletter, domain);
  }
  return domain;
}

/** The name a reader's message of an issue is filed under (the capture transport's file path): one builder. */
export function outboxKey(newsletterId: string, issueId: number, outboxId: number): string {
  return `${newsletterId}/issue-${issueId}/${String(outboxId).padStart(6, '0')}`;
}

/**
 * Fixed per outbox row, so a retry reuses it and receivers can recognise a duplicate; the
 * issue's creation time keeps ids unique across stores that reuse row numbers. With a secret the
 * row's number is a signed tag (domain/outbox-tags.ts), so a bounce or complaint that quotes the
 * Message-ID names its row in a way nobody else can forge.
 */
export function messageIdFor(issue: Issue, outboxId: number, domain: string, tagSecret?: string): string {
  const row = tagSecret ? outboxTag('message', outboxId, tagSecret) : String(outboxId);
  return `<${issue.newsletterId}.${issue.id}.${row}.${Date.parse(issue.createdAt).toString(36)}@${domain}>`;
}

/** The outbox row a Message-ID of ours names with a valid signed tag (see messageIdFor), else undefined. */
export function outboxOfMessageId(messageId: string, secrets: readonly string[]): { issueId: number; outboxId: number } | undefined {
  const local = /^<?([^<>@\s]{1,200})@[^<>@\s]+>?$/.exec(messageId.trim())?.[1];
  const parts = local?.split('.');
  if (!parts || parts.length < 4) return undefined;
  const issueId = Number(parts.at(-3));
  const outboxId = readOutboxTag('message', parts.at(-2)!, secrets);
  return Number.isSafeInteger(issueId) && outboxId !== undefined ? { issueId, outboxId } : undefined;
}

/** One DKIM key: its selector and its private key (PEM, RSA or Ed25519). */
export interface DkimKeyPem {
  keySelector: string;
  privateKey: string;
}

/** Operator settings that shape every message: bounce address (VERP) and DKIM signing. */
export interface MessageOptions {
  /** Envelope sender; `{id}` is replaced by the row's signed tag (VERP), e.g. bounces+{id}@news.example.org. */
  bounceAddress?: string;
  /** Signs the row tags in the VERP address, the mailto unsubscribe address and the Message-ID (the newsletter secret). */
  tagSecret?: string;
  /** `unsubscribe+{id}@bounce-domain`, offered in List-Unsubscribe beside the https link when the bounce receiver runs. */
  unsubscribeAddress?: string;
  /**
   * Relays whose webhooks report bounces (bounces.webhooks): each gets the issue, and Postmark
   * our Message-ID, in the header it hands back in its events (its events carry no headers).
   */
  providerTags?: { postmark?: boolean; sendgrid?: boolean; mailgun?: boolean };
  /**
   * DKIM signing (delivery/dkim-signer.ts): the signing domain and the first key in the flat
   * fields the transport port's DkimKey has; `keys`, when there are several, lists them all (the
   * first included), and every message is signed with each: RSA and Ed25519, or the old and the
   * new selector while a key is being rotated.
   */
  dkim?: { domainName: string; keySelector: string; privateKey: string; keys?: readonly DkimKeyPem[] };
  /**
   * Where mailbox providers send complaint reports (RFC 9477 CFBL-Address). Its domain must align
   * with the DKIM signing domain, and the header must be signed, or receivers ignore it.
   */
  complaintAddress?: string;
}

/**
 * Headers DKIM signs (those a message has): List-Unsubscribe and List-Unsubscribe-Post must be
 * covered (RFC 8058), CFBL-Address and CFBL-Feedback-ID too (RFC 9477), and Auto-Submitted so a
 * relay cannot turn a confirmation into something that looks personal.
 */
export const DKIM_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Unsubscribe-Post:Feedback-ID:Auto-Submitted:CFBL-Address:CFBL-Feedback-ID';
