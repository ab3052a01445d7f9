import { setMaxListeners } from 'node:events';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { readerLocale } from '../domain/locale.js';
import type { ClaimedDelivery } from '../store/store.js';
import type { OutgoingMessage, Transport } from '../transport/transport.js';
import { articlesForTopics, type IssueRenderer } from '../render/issue-renderer.js';
import type { LocaleRendering } from '../render/pipeline.js';
import { RawMessageTemplate } from './raw-message.js';
import { readerValues } from '../audience/reader-links.js';
import { withoutAddresses } from '../audience/email.js';
import { listDomain, messageIdFor, type MessageOptions } from './message.js';
import type { DeliveryStore } from './delivery-store.js';
import { cancelledAttempt, domainOf, failedAttempt, IN_DOUBT_AT_STOP, OutcomeTally, replyClassOfAttempt, retryLater, sentAttempt, type Attempt, type OutcomeContext } from './outcomes.js';
import type { Events, NewsletterEvent } from '../domain/events.js';
import type { Metrics } from '../domain/metrics.js';

export interface DeliverySettings {
  batchSize: number;
  leaseSeconds: number;
  retryLifetimeMs: number;
  /** Deferred or in-doubt readers in a row after which the run stops (the relay is likely down); the issue is not paused. */
  stopAfterFailures: number;
  /** How often the leases of rows in flight are renewed; default a third of `leaseSeconds`. */
  renewEveryMs?: number;
}

/**
 * After a stop is asked for (`signal`), how long messages in flight may still take to be
 * answered. Then their sends are cancelled: a message not yet handed over goes back to the
 * queue, one whose data went out without a reply is recorded `unknown`. With the closing that
 * follows, a stop stays under the 30 s an operator (or a service manager) is promised.
 */
export const STOP_GRACE_MS = 20_000;
/** After cancelling, how long a transport gets to give its messages back before they are recorded in doubt anyway. */
const CANCEL_SETTLE_MS = 2_000;

export interface DeliveryDeps {
  store: DeliveryStore;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  secret: string;
  publicUrl: string;
  settings: DeliverySettings;
  message?: MessageOptions;
  /** Recorded on each claimed row (host:pid). */
  workerId?: string;
  /** delivery.failed events, queued in the transaction that records the outcome. */
  events?: Events;
  metrics?: Metrics;
}

export interface DeliveryRun {
  attempted: number;
  expiredLeases: number;
  paused?: string;
}

/** Finished messages with reader slots, one per rendering (see raw-message.ts). */
type Templates = WeakMap<LocaleRendering, RawMessageTemplate>;

async function deliverOne(deps: DeliveryDeps, renderer: IssueRenderer, d: ClaimedDelivery, throttled: Map<string, number>, templates: Templates, cancel: AbortSignal): Promise<Attempt> {
  const { issue, newsletter } = renderer;
  const messageId = messageIdFor(issue, d.outboxId, listDomain(newsletter), deps.message?.tagSecret);
  const now = deps.clock.now();
  const ctx: OutcomeContext = { now, retryLifetimeMs: deps.settings.retryLifetimeMs, throttled };
  const hold = throttled.get(domainOf(d.subscriber.email));
  if (hold !== undefined && hold > now.getTime()) {
    const error = `${domainOf(d.subscriber.email)} asked us to slow down (421); held until then`;
    return { claimed: d, outcome: { outboxId: d.outboxId, state: 'deferred', messageId, error, nextAttemptAt: new Date(hold).toISOString() } };
  }
  // Readers who chose topics skip an issue none of whose articles has one (an empty issue, sent
  // with sendWhenEmpty, still goes to everyone).
  if (d.subscriber.topics.length > 0 && issue.articles.length > 0 && articlesForTopics(issue, d.subscriber.topics).length === 0) {
    return { claimed: d, outcome: { outboxId: d.outboxId, state: 'skipped', messageId, error: `no article of this issue is in the reader's topics (${d.subscriber.topics.join(', ')})` } };
  }
  let message: OutgoingMessage;
  try {
    const locale = readerLocale(newsletter.locales, d.subscriber.locale);
    const rendering = await renderer.forLocale(locale, d.subscriber.timezone, d.subscriber.topics, d.welcome);
    let template = templates.get(rendering);
    if (!template) templates.set(rendering, (template = new RawMessageTemplate(rendering, newsletter, issue, deps.message)));
    message = template.build(d.outboxId, d.subscriber, readerValues(deps.publicUrl, deps.secret, d.subscriber, newsletter.id), now);
  } catch (err) {
    // Nothing was handed to the transport, so the reader is not in doubt: tried again later (a
    // rendering first needed now that fails, or the MJML thread gone).
    return retryLater(d, messageId, `the message could not be made: ${(err as Error).message}`, ctx);
  }
  const handedAt = performance.now();
  const took = (a: Attempt): Attempt => ({ ...a, sendSeconds: (performance.now() - handedAt) / 1000 });
  try {
    // A stop cancels it: a message still waiting in the transport's queue leaves it, and a
    // connection delivering one is closed.
    const result = await deps.transport.send({ ...message, signal: cancel });
    return took(sentAttempt(d, messageId, result.response));
  } catch (err) {
    return took(cancel.aborted ? cancelledAttempt(d, messageId, err) : failedAttempt(d, messageId, err, ctx));
  }
}

/**
 * Delivers an issue's queued (and due deferred) outbox rows until none are left, keeping at most
 * `batchSize` claimed rows in flight (the batch in flight). Rows are committed as `sending` with a lease before any
 * SMTP is spoken (so at most `batchSize` readers are in doubt after a crash), and outcomes are
 * committed as they come: once half the batch in flight has finished, those outcomes are recorded and as
 * many rows are claimed again, while the other half is still on the wire. Waiting for a whole
 * batch instead left every connection idle through its slowest message and the store's commits
 * (about 40 % of the time at 3,000 msgs/s to the bench's sink). With `batchSize` 1 it is one
 * reader at a time. Consent is checked again at every claim. Stops early when `signal` aborts
 * (messages in flight get `stopGraceMs` to finish, see STOP_GRACE_MS) or after a burst of failures.
 *
 * While the run lives, the leases of the rows it holds are renewed every third of the lease, so
 * a relay that is merely slow never lets another process take a living process's rows for dead
 * ones; and what has finished is recorded at least that often, so a stalled message does not
 * keep the others' outcomes unrecorded.
 */
export async function deliverIssue(
  deps: DeliveryDeps,
  renderer: IssueRenderer,
  options: { signal?: AbortSignal; onBatch?: (done: number, total: number) => void; stopGraceMs?: number } = {},
): Promise<DeliveryRun> {
  const { store, clock, settings, logger } = deps;
  const { issue, newsletter } = renderer;
  // Render every locale up front: a broken template stops here, before anyone is claimed.
  await Promise.all(newsletter.locales.supported.map((l) => renderer.forLocale(l)));

  const expiredLeases = await store.expireLeases(issue.id, clock.now().toISOString());
  if (expiredLeases > 0) {
    logger.warn('messages left in flight by a stopped process are now in doubt (unknown)', { issue: issue.id, count: expiredLeases });
  }
  const paused = (await store.getIssue(issue.id))?.pausedReason;
  if (paused) return { attempted: 0, expiredLeases, paused };
  const throttled = new Map<string, number>();
  const templates: Templates = new WeakMap();
  const start = await store.counts(issue.id);
  const total = start.queued + start.deferred + start.sending;
  const refillAfter = Math.ceil(settings.batchSize / 2);
  let attempted = 0;
  let waitUntil: number | undefined;
  let expired = expiredLeases;
  const tally = new OutcomeTally({ store, logger, issueId: issue.id, newsletterId: newsletter.id, stopAfterFailures: settings.stopAfterFailures });

  let inFlight = 0;
  let finished: Attempt[] = [];
  /** Rows launched and not yet recorded: still `sending` in the store, under our lease. */
  const held = new Map<number, ClaimedDelivery>();
  const cancel = new AbortController();
  // Every message in flight (at most batchSize) listens to it inside the SMTP pool: not a leak.
  setMaxListeners(settings.batchSize + 10, cancel.signal);
  const leaseMs = settings.leaseSeconds * 1000;
  const renewEvery = settings.renewEveryMs ?? leaseMs / 3;
  let lastRenewal = performance.now();
  let stopAskedAt: number | undefined;
  const onStop = () => (stopAskedAt ??= performance.now());
  if (options.signal?.aborted) onStop();
  options.signal?.addEventListener('abort', onStop, { once: true });
  let wake: (() => void) | undefined;
  // deliverOne turns every send error into an outcome; anything else is a bug, raised once the
  // batch in flight is empty (the rows it held stay `sending` and their lease makes them `unknown`).
  let bug: unknown;
  const launch = (d: ClaimedDelivery): void => {
    inFlight++;
    held.set(d.outboxId, d);
    const launchedAt = performance.now();
    deliverOne(deps, renderer, d, throttled, templates, cancel.signal)
      .then(
        (a) => finished.push({ ...a, launchedAt }),
        (err: unknown) => void (bug ??= err),
      )
      .finally(() => {
        inFlight--;
        wake?.();
      });
  };
  /** Waits until `enough` have finished (or none is in flight), a stop is asked for, or `maxMs` passed. */
  const settled = (enough: number, maxMs: number): Promise<void> =>
    finished.length >= enough || inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, Math.max(1, maxMs));
          if (!options.signal?.aborted) options.signal?.addEventListener('abort', done, { once: true });
          wake = () => {
            if (finished.length >= enough || inFlight === 0) done();
          };
        });

  /** Keeps our claims alive while this process lives; only a dead process's rows expire. */
  const renewIfDue = async (): Promise<void> => {
    if (performance.now() - lastRenewal < renewEvery) return;
    lastRenewal = performance.now();
    if (held.size === 0) return;
    try {
      await store.renewLeases([...held.keys()], new Date(clock.now().getTime() + leaseMs).toISOString(), deps.workerId);
    } catch (e) {
      logger.warn('could not renew the leases of the messages in flight; trying again', { issue: issue.id, error: (e as Error).message });
    }
  };

  /** Commits finished outcomes and acts on them (outcomes.ts: suppression, pausing, stopping). */
  const recordFinished = async (): Promise<void> => {
    const attempts = finished;
    finished = [];
    if (attempts.length === 0) return;
    const at = clock.now().toISOString();
    const outcomes = attempts.map((a) => a.outcome);
    const failed = deps.events?.wants('delivery.failed') ? attempts.filter((a) => a.outcome.state === 'failed') : [];
    if (failed.length > 0) {
      // The failures and their events are committed together: a crash between them loses neither.
      await store.transaction(async (tx) => {
        await tx.record(outcomes, at);
        await deps.events!.emit(
          tx,
          failed.map((a) => failedEvent(a, issue.id, newsletter.id, at)),
        );
      });
    } else {
      await store.record(outcomes, at);
    }
    if (deps.metrics) {
      const first = Math.min(...attempts.map((a) => a.launchedAt ?? performance.now()));
      deps.metrics.delivered(
        newsletter.id,
        attempts.map((a) => ({ state: a.outcome.state, replyClass: replyClassOfAttempt(a), retry: a.claimed.attempts > 1, sendSeconds: a.sendSeconds })),
        (performance.now() - first) / 1000,
      );
    }
    for (const a of attempts) held.delete(a.outcome.outboxId);
    attempted += attempts.length;
    await tally.apply(attempts, at, cancel.signal.aborted);
    options.onBatch?.(attempted, total);
  };

  /** Rows whose send the transport has not given back even after cancelling: in doubt, by us. */
  const recordAbandoned = async (): Promise<void> => {
    const done = new Set(finished.map((a) => a.outcome.outboxId));
    for (const d of held.values()) {
      if (done.has(d.outboxId)) continue;
      finished.push({
        claimed: d,
        outcome: { outboxId: d.outboxId, state: 'unknown', messageId: messageIdFor(issue, d.outboxId, listDomain(newsletter), deps.message?.tagSecret), error: IN_DOUBT_AT_STOP },
      });
    }
    await recordFinished();
  };

  while (!options.signal?.aborted && tally.ended === undefined && bug === undefined) {
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + settings.leaseSeconds * 1000).toISOString();
    // Finished but not yet recorded rows are still `sending` in the store: they count too.
    const room = settings.batchSize - inFlight - finished.length;
    const batch = room > 0 ? await store.claim(issue.id, newsletter.id, room, now.toISOString(), leaseUntil, deps.workerId) : [];
    for (const d of batch) launch(d);
    if (inFlight === 0 && finished.length === 0) {
      // Rows another process holds in `sending`: wait for them (bounded by a lease), so
      // the summary and exit status describe how the issue ended, and take over rows released.
      if ((await store.counts(issue.id)).sending === 0) break;
      waitUntil ??= Date.now() + (settings.leaseSeconds + 5) * 1000;
      if (Date.now() > waitUntil) break;
      await sleep(200, options.signal);
      expired += await store.expireLeases(issue.id, clock.now().toISOString());
      continue;
    }
    waitUntil = undefined;
    // Nothing more to claim: let the rest finish; else refill once half the batch in flight is done.
    await settled(room > 0 && batch.length === 0 ? Infinity : refillAfter, renewEvery);
    await renewIfDue();
    // SQLite answers synchronously, and a transport may too (one that keeps messages in memory,
    // a test's): yield once a refill, so timers, signals and the HTTP server of `start` get their
    // turn during a long send.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await recordFinished();
  }
  // Stopping (abort or pause): what is on the wire finishes and is recorded; on a stop asked
  // for, within the grace, then the rest is cancelled and recorded for what it is.
  const grace = options.stopGraceMs ?? STOP_GRACE_MS;
  while (inFlight > 0 || finished.length > 0) {
    let maxWait = renewEvery;
    if (stopAskedAt !== undefined) {
      const left = stopAskedAt + grace - performance.now();
      if (left <= 0 && !cancel.signal.aborted && inFlight > 0) {
        logger.warn('stopping: no reply from the relay for the messages still in flight; cancelling them (a message whose data went out is recorded as in doubt, unknown)', {
          issue: issue.id,
          inFlight,
          waitedMs: grace,
        });
        cancel.abort();
      }
      if (cancel.signal.aborted && left + CANCEL_SETTLE_MS <= 0) {
        await recordAbandoned();
        break;
      }
      maxWait = Math.min(maxWait, left > 0 ? left : left + CANCEL_SETTLE_MS);
    }
    await settled(Infinity, maxWait);
    await renewIfDue();
    await recordFinished();
  }
  options.signal?.removeEventListener('abort', onStop);
  if (bug !== undefined) throw bug;
  if (tally.ended !== undefined) return { attempted, expiredLeases: expired, paused: tally.ended };
  return { attempted, expiredLeases: expired };
}

function failedEvent(a: Attempt, issueId: number, newsletterId: string, at: string): NewsletterEvent {
  const o = a.outcome as { error?: string };
  return {
    type: 'delivery.failed',
    at,
    subscriberId: a.claimed.subscriber.id,
    email: a.claimed.subscriber.email,
    // The relay's reply often quotes the address: the event carries it only in `email`, which an erasure clears.
    data: {
      newsletter: newsletterId,
      issue: issueId,
      outbox: a.outcome.outboxId,
      subscriber: a.claimed.subscriber.id,
      attempts: a.claimed.attempts,
      reason: o.error ? withoutAddresses(o.error) : null,
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
