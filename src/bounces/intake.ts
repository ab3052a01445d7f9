import { createHash } from 'node:crypto';
import type { Logger } from '../domain/logger.js';
import type { OutboxRow, Store } from '../store/store.js';
import { readTaggedAddress } from '../domain/outbox-tags.js';
import { outboxOfMessageId } from '../delivery/message.js';
import { normaliseEmail } from '../audience/email.js';
import type { DeliveryReport, ReportChannel } from './report.js';
import type { Events, NewsletterEvent } from '../domain/events.js';
import type { Metrics } from '../domain/metrics.js';

/**
 * What a report changes, once matched to its outbox row (every way in — SMTP receiver, IMAP,
 * provider webhooks, `bounces import` — ends here):
 *   hard bounce  → the row `bounced` (also after `sent`), the address suppressed for every
 *                  newsletter, a `bounced` consent event for the row's newsletter
 *   soft bounce  → counted; `softBounces.limit` within `softBounces.within` suppresses as above
 *   complaint    → the row `complained`, a `complained` consent event (consent withdrawn), suppressed
 *   unsubscribe  → (a mail to the mailto List-Unsubscribe address) consent withdrawn, as the https link
 *   auto-reply, delivered, unknown → recorded, nothing changes
 * Matching, strongest first: the signed VERP tag of the address the report was sent to; the
 * signed tag in our Message-ID quoted by the report; the recipient and the issue (X-Newsletter-Issue).
 * Only a proven match acts: a signed tag, or the recipient and issue given by a provider whose
 * webhook signature was verified. Anything else is recorded and listed (`report --unmatched`), so
 * a forged report mailed to the bounce address suppresses nobody. The same report twice is one
 * event (dedupe key), and changes nothing the second time.
 */
export interface IntakeDeps {
  store: Store;
  logger: Logger;
  /** The newsletter secrets (the first signs; all verify). */
  secrets: readonly string[];
  /** delivery.bounceAddress, with `{id}`. */
  bounceAddress?: string;
  /** The mailto unsubscribe address, with `{id}`. */
  unsubscribeAddress?: string;
  softBounces: { limit: number; withinMs: number };
  /** delivery.bounced, delivery.complained, subscriber.unsubscribed: queued in the report's transaction. */
  events?: Events;
  metrics?: Metrics;
}

export interface IntakeResult {
  /** False when the same report was taken before. */
  recorded: boolean;
  kind: DeliveryReport['kind'];
  matchedBy?: MatchedBy;
  verified: boolean;
  outboxId?: number;
  /** What it changed, e.g. "bounced, suppressed"; undefined when nothing. */
  effect?: string;
}

type MatchedBy = 'verp' | 'message-id' | 'recipient-issue' | 'unsubscribe-address';

/** Provider webhooks are verified before they get here; a mail is from anyone. */
const VERIFIED_CHANNELS: ReadonlySet<ReportChannel> = new Set(['ses', 'postmark', 'sendgrid', 'mailgun']);

interface Match {
  row: OutboxRow;
  by: MatchedBy;
  verified: boolean;
}

/** Whether an address has a template's shape (`bounces+{id}@…`, `unsubscribe+{id}@…`), whether or not its tag verifies. */
export function fitsAddressTemplate(template: string | undefined, address: string | undefined): boolean {
  if (!template || !address) return false;
  const [before, after] = template.toLowerCase().split('{id}') as [string, string];
  const a = address.toLowerCase().replace(/^<|>$/g, '');
  return a.startsWith(before) && a.endsWith(after);
}

async function match(deps: IntakeDeps, r: DeliveryReport): Promise<Match | undefined> {
  const { store, secrets } = deps;
  const row = async (id: number | undefined, by: MatchedBy, verified: boolean): Promise<Match | undefined> => {
    const found = id === undefined ? undefined : await store.outboxRow(id);
    return found && { row: found, by, verified };
  };
  if (r.kind === 'unsubscribe') {
    return deps.unsubscribeAddress && r.envelopeTo ? row(readTaggedAddress(deps.unsubscribeAddress, 'unsubscribe', r.envelopeTo, secrets), 'unsubscribe-address', true) : undefined;
  }
  if (deps.bounceAddress && r.envelopeTo) {
    const m = await row(readTaggedAddress(deps.bounceAddress, 'bounce', r.envelopeTo, secrets), 'verp', true);
    if (m) return m;
  }
  if (r.originalMessageId) {
    const named = outboxOfMessageId(r.originalMessageId, secrets);
    const m = named && (await row(named.outboxId, 'message-id', true));
    if (m && m.row.issueId === named!.issueId) return m;
  }
  const issueId = Number(/^[^/]+\/(\d+)$/.exec(r.issueHeader ?? '')?.[1]);
  if (r.recipient && Number.isSafeInteger(issueId)) {
    const subscriber = await store.findSubscriberByEmail(normaliseEmail(r.recipient));
    const found = subscriber && (await store.outboxRowFor(issueId, subscriber.id));
    if (found) return { row: found, by: 'recipient-issue', verified: VERIFIED_CHANNELS.has(r.channel) };
  }
  return undefined;
}

function dedupeKey(r: DeliveryReport): string {
  if (r.eventId) return `${r.channel}:${r.eventId}`.slice(0, 300);
  // The same mail taken twice (by the receiver, then from a file) is one report whatever the way
  // in: not keyed on the address it came to, which each way in learns differently (RCPT TO,
  // Delivered-To, X-Original-To). A mailto unsubscribe is all address: there it is the key.
  const h = createHash('sha256');
  for (const part of [r.kind, r.recipient, r.status, r.originalMessageId, r.kind === 'unsubscribe' ? r.envelopeTo?.toLowerCase() : '', r.raw]) h.update(`${part ?? ''}\u0000`);
  return `mail:${h.digest('hex')}`;
}

export async function takeReport(deps: IntakeDeps, r: DeliveryReport, now: Date): Promise<IntakeResult> {
  const { store, logger } = deps;
  const at = now.toISOString();
  const m = await match(deps, r);
  const issue = m ? await store.getIssue(m.row.issueId) : undefined;
  // The event and what it changes are one transaction: a store error in between (the caller
  // answers 500 or 451, the sender retries) must not leave the event recorded and its effects
  // undone, or the retry would be a duplicate and the bounce lost.
  return store.transaction(async (tx) => {
    const eventId = await tx.recordDeliveryEvent(
      {
        dedupeKey: dedupeKey(r),
        kind: r.kind,
        channel: r.channel,
        outboxId: m?.row.outboxId,
        issueId: m?.row.issueId,
        subscriberId: m?.row.subscriberId,
        newsletterId: issue?.newsletterId,
        matchedBy: m?.by,
        verified: m?.verified ?? false,
        recipient: r.recipient,
        status: r.status,
        diagnostic: r.diagnostic,
        raw: r.raw,
        at: r.at,
      },
      at,
    );
    const result: IntakeResult = { recorded: eventId !== undefined, kind: r.kind, matchedBy: m?.by, verified: m?.verified ?? false, outboxId: m?.row.outboxId };
    if (eventId === undefined) return result;
    if (!m || !m.verified || !issue) {
      if (r.kind !== 'auto-reply' && r.kind !== 'delivered') {
        logger.warn(m ? 'a report named a reader without proof; recorded, nothing changed' : 'a report matched no message of ours; recorded', { kind: r.kind, channel: r.channel, matchedBy: m?.by });
      }
      return result;
    }
    const effect = await act({ ...deps, store: tx }, r, m.row, issue.newsletterId, at);
    if (effect) {
      await tx.setDeliveryEventEffect(eventId, effect);
      const event = eventOf(r, m.row, issue.newsletterId, effect, at);
      if (event && deps.events?.wants(event.type)) await deps.events.emit(tx, [event]);
      deps.metrics?.reported(r.kind, r.channel);
      logger.info('report taken', { kind: r.kind, channel: r.channel, outbox: m.row.outboxId, subscriber: m.row.subscriberId, effect });
    }
    return { ...result, effect };
  });
}

/** What the outside is told of a report that changed something. */
function eventOf(r: DeliveryReport, row: OutboxRow, newsletterId: string, effect: string, at: string): NewsletterEvent | undefined {
  const about = { subscriberId: row.subscriberId, email: row.email };
  const data = { newsletter: newsletterId, issue: row.issueId, outbox: row.outboxId, subscriber: row.subscriberId, channel: r.channel, status: r.status ?? null, effect };
  if (r.kind === 'hard-bounce' || (r.kind === 'soft-bounce' && effect.endsWith('suppressed')))
    return { type: 'delivery.bounced', at, ...about, data: { ...data, bounce: r.kind === 'hard-bounce' ? 'hard' : 'soft' } };
  if (r.kind === 'complaint') return { type: 'delivery.complained', at, ...about, data: { ...data, feedbackType: r.feedbackType ?? 'abuse' } };
  if (r.kind === 'unsubscribe') return { type: 'subscriber.unsubscribed', at, ...about, data: { newsletter: newsletterId, subscriber: row.subscriberId, source: `mailto:${r.channel}` } };
  return undefined;
}

async function act(deps: IntakeDeps, r: DeliveryReport, row: OutboxRow, newsletterId: string, now: string): Promise<string | undefined> {
  const { store } = deps;
  const why = [r.status, r.diagnostic].filter(Boolean).join(' ').slice(0, 500) || r.kind;
  const source = `${r.kind}:${r.channel}`;
  const consent = async (kind: 'bounced' | 'complained' | 'withdrawn') => {
    const current = await store.getSubscription(row.subscriberId, newsletterId);
    // A withdrawal stays a withdrawal; only a live subscription is changed.
    if (kind === 'withdrawn' && current?.state !== 'consent' && current?.state !== 'pending') return false;
    return (await store.appendConsentEvent({ subscriberId: row.subscriberId, newsletterId, kind, at: r.at, source }, now)) === 'recorded';
  };
  switch (r.kind) {
    case 'hard-bounce': {
      const marked = await store.markReported(row.outboxId, 'bounced', `bounced after delivery: ${why}`, now);
      await store.suppress(row.subscriberId, `hard bounce (${r.channel}): ${why}`, now);
      await consent('bounced');
      return marked ? 'bounced, suppressed' : 'suppressed';
    }
    case 'soft-bounce': {
      const since = new Date(Date.parse(now) - deps.softBounces.withinMs).toISOString();
      const count = await store.countDeliveryEvents(row.subscriberId, 'soft-bounce', since);
      if (count < deps.softBounces.limit) return `soft bounce ${count} of ${deps.softBounces.limit}`;
      await store.suppress(row.subscriberId, `${count} soft bounces since ${since.slice(0, 10)}: ${why}`, now);
      await consent('bounced');
      return `soft bounce ${count} of ${deps.softBounces.limit}: suppressed`;
    }
    case 'complaint': {
      await store.markReported(row.outboxId, 'complained', `complaint (${r.feedbackType ?? 'abuse'}) via ${r.channel}`, now);
      await store.suppress(row.subscriberId, `complaint (${r.channel})`, now);
      await consent('complained');
      return 'complained, consent withdrawn, suppressed';
    }
    case 'unsubscribe':
      return (await consent('withdrawn')) ? 'consent withdrawn' : undefined;
    default:
      return undefined;
  }
}
