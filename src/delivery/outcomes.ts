import type { ClaimedDelivery, DeliveryOutcome } from '../store/store.js';
import { TransportError, type FailureDetails, type FailureKind } from '../transport/transport.js';
import { nextAttempt } from './retry-policy.js';
import type { DeliveryStore } from './delivery-store.js';
import type { Logger } from '../domain/logger.js';
import { replyClassOf, type ReplyClass } from '../domain/metrics.js';

/**
 * What a send's result means for the reader's row, and what a recorded batch of outcomes means
 * for the run: the one place that maps outcomes to state changes. The loop in
 * deliver.ts only launches sends and records what comes back.
 *
 *   accepted (250)                   → sent
 *   deferred (4xx; 421 throttles)    → deferred until the retry policy's next attempt; failed after the lifetime
 *   failed-sender (5.7.x, our login) → queued again; the issue is paused until `retry` (not the reader's fault)
 *   failed-recipient (5xx)           → failed; a hard bounce (addressGone) also suppresses the address everywhere
 *   in-doubt (data sent, no reply)   → unknown
 *   cancelled by our own stop        → queued (nothing handed over) or unknown (data sent)
 *   anything but a TransportError    → unknown: a carrier that breaks its port may have sent it
 */
/** Why a send failed, as the transport said it. */
export interface Failure extends FailureDetails {
  kind: FailureKind;
}

export interface Attempt {
  outcome: DeliveryOutcome;
  failure?: Failure;
  claimed: ClaimedDelivery;
  /** Seconds from handing the message to the transport to its answer (metrics); absent when nothing was handed over. */
  sendSeconds?: number;
  /** performance.now() when the attempt was launched (the window's latency). */
  launchedAt?: number;
}

/** The reply class an attempt's outcome shows (metrics). */
export function replyClassOfAttempt(a: Attempt): ReplyClass {
  if (a.outcome.state === 'sent') return replyClassOf(a.outcome.response, '2xx');
  if (!a.failure) return 'none';
  const byKind: ReplyClass = a.failure.kind === 'deferred' ? '4xx' : a.failure.kind === 'in-doubt' ? 'none' : '5xx';
  return replyClassOf(a.failure.reply, byKind);
}

/** How long a domain that answered 421 is left alone in this run. */
export const THROTTLE_MS = 5 * 60_000;

export const IN_DOUBT_AT_STOP = 'stopped while waiting for the relay to answer the message data; it may have arrived';

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** What the run knows while it goes: domains that asked us to slow down, and the retry lifetime. */
export interface OutcomeContext {
  now: Date;
  retryLifetimeMs: number;
  /** Domain → until when (ms) it is left alone. */
  throttled: Map<string, number>;
}

export function sentAttempt(d: ClaimedDelivery, messageId: string, response: string): Attempt {
  return { claimed: d, outcome: { outboxId: d.outboxId, state: 'sent', messageId, response } };
}

/** Deferred until the next attempt the retry policy allows, or failed once the lifetime is spent. */
export function retryLater(d: ClaimedDelivery, messageId: string, reason: string, ctx: OutcomeContext, failure?: Failure): Attempt {
  const base = { outboxId: d.outboxId, messageId };
  const next = nextAttempt(d.attempts, new Date(d.firstQueuedAt), ctx.now, ctx.retryLifetimeMs);
  if (next) return { claimed: d, failure, outcome: { ...base, state: 'deferred', error: reason, nextAttemptAt: next.toISOString() } };
  return { claimed: d, failure, outcome: { ...base, state: 'failed', error: `gave up after ${d.attempts} attempts: ${reason}` } };
}

/** What the transport's error says; an error that is not the port's is taken as in doubt. */
export function failureOf(err: unknown): Failure {
  if (err instanceof TransportError) return { kind: err.kind, ...err.details };
  return { kind: 'in-doubt', reply: `the transport failed in a way it does not classify: ${(err as Error)?.message ?? String(err)}` };
}

/** The row of a send that failed with `err`. */
export function failedAttempt(d: ClaimedDelivery, messageId: string, err: unknown, ctx: OutcomeContext): Attempt {
  const base = { outboxId: d.outboxId, messageId };
  const failure = failureOf(err);
  switch (failure.kind) {
    case 'deferred':
      if (failure.throttle) ctx.throttled.set(domainOf(d.subscriber.email), ctx.now.getTime() + THROTTLE_MS);
      return retryLater(d, messageId, failure.reply, ctx, failure);
    case 'failed-sender':
      return { claimed: d, failure, outcome: { ...base, state: 'queued', error: failure.reply } };
    case 'failed-recipient':
      return { claimed: d, failure, outcome: { ...base, state: 'failed', error: failure.reply } };
    case 'in-doubt':
      return { claimed: d, failure, outcome: { ...base, state: 'unknown', error: failure.reply } };
  }
}

/** The row of a send we cancelled while stopping: no verdict on the reader. */
export function cancelledAttempt(d: ClaimedDelivery, messageId: string, err: unknown): Attempt {
  const base = { outboxId: d.outboxId, messageId };
  if (err instanceof TransportError && err.details.handedOver === false) {
    return { claimed: d, outcome: { ...base, state: 'queued', error: 'stopped before the message was handed over' } };
  }
  return { claimed: d, outcome: { ...base, state: 'unknown', error: IN_DOUBT_AT_STOP } };
}

/**
 * The run's reading of recorded outcomes: suppresses hard-bounced addresses, pauses the issue
 * when the relay refuses us (until `retry`), and ends the run after `stopAfterFailures` deferred
 * or in-doubt readers in a row (the relay is likely down; the deferred are retried later, the
 * issue is not paused). Returns why the run must end, once.
 */
export class OutcomeTally {
  private consecutiveFailures = 0;
  private lastError = '';
  /** Why the run ends early, once decided. */
  ended: string | undefined;

  constructor(private readonly deps: { store: DeliveryStore; logger: Logger; issueId: number; newsletterId: string; stopAfterFailures: number }) {}

  async apply(attempts: Attempt[], at: string, cancelledByUs: boolean): Promise<void> {
    const { store, logger, issueId, newsletterId } = this.deps;
    let pauseReason: string | undefined;
    for (const { outcome: o, failure, claimed } of attempts) {
      if (failure?.addressGone) {
        // The address does not exist: never mail it again, from any newsletter.
        await store.suppress(claimed.subscriber.id, `hard bounce: ${failure.reply}`, at);
        await store.appendConsentEvent({ subscriberId: claimed.subscriber.id, newsletterId, kind: 'bounced', at, source: `smtp ${failure.enhanced ?? ''}`.trim() }, at);
      }
      if (failure?.kind === 'failed-sender')
        pauseReason = `the relay refused us, not the reader (${failure.reply}); fix the sender's authentication (login, SPF, DKIM, DMARC), then run \`newsletter retry --issue ${issueId}\``;
      if (o.state === 'sent') this.consecutiveFailures = 0;
      else if (cancelledByUs) {
        // Cancelled by our own stop: says nothing about the relay.
      } else if (o.state === 'deferred' || o.state === 'unknown') {
        this.consecutiveFailures++;
        this.lastError = o.error;
      }
      if (o.state !== 'sent') logger.warn('delivery not completed', { issue: issueId, outbox: o.outboxId, to: claimed.subscriber.email, state: o.state, error: o.error });
    }
    if (this.ended !== undefined) return;
    if (pauseReason) {
      this.ended = pauseReason;
      await store.pauseIssue(issueId, pauseReason, at);
      logger.error('issue paused', { issue: issueId, reason: pauseReason });
    } else if (this.consecutiveFailures >= this.deps.stopAfterFailures) {
      this.ended = `${this.consecutiveFailures} deliveries in a row failed (last: ${this.lastError}); stopped for now, deferred readers are retried from their next attempt time`;
      logger.error('run stopped after a burst of failures (the issue is not paused)', { issue: issueId, reason: this.ended });
    }
  }
}
