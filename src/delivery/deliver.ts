import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { negotiateLocale } from '../domain/locale.js';
import { signToken } from '../domain/tokens.js';
import type { ClaimedDelivery, DeliveryOutcome, Store } from '../store/store.js';
import type { Transport } from '../transport/transport.js';
import type { IssueRenderer } from '../render/issue-renderer.js';
import { renderForReader } from '../render/pipeline.js';
import { buildMessage, listDomain, messageIdFor } from './message.js';
import { classifyError } from './classify.js';
import { nextAttempt } from './retry-policy.js';

export interface DeliverySettings {
  batchSize: number;
  leaseSeconds: number;
  retryLifetimeMs: number;
  /** Consecutive transient failures after which the issue pauses (the relay is likely down). */
  pauseAfterFailures: number;
}

export interface DeliveryDeps {
  store: Store;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  secret: string;
  publicUrl: string;
  settings: DeliverySettings;
}

export interface DeliveryRun {
  attempted: number;
  expiredLeases: number;
  paused?: string;
}

export function unsubscribeUrl(publicUrl: string, secret: string, subscriberId: number, newsletterId: string): string {
  return `${publicUrl}/u/${signToken({ p: 'unsubscribe', s: subscriberId, n: newsletterId }, secret)}`;
}

async function deliverOne(deps: DeliveryDeps, renderer: IssueRenderer, d: ClaimedDelivery): Promise<DeliveryOutcome> {
  const { issue, newsletter } = renderer;
  const messageId = messageIdFor(issue, d.outboxId, listDomain(newsletter));
  try {
    const locale = negotiateLocale(d.subscriber.locale, newsletter.locales.supported, newsletter.locales.default);
    const rendering = await renderer.forLocale(locale);
    const rendered = renderForReader(rendering, {
      name: d.subscriber.name,
      email: d.subscriber.email,
      unsubscribeUrl: unsubscribeUrl(deps.publicUrl, deps.secret, d.subscriber.id, newsletter.id),
    });
    const message = buildMessage({
      newsletter,
      issue,
      outboxId: d.outboxId,
      subscriber: d.subscriber,
      rendered,
      unsubscribeUrl: unsubscribeUrl(deps.publicUrl, deps.secret, d.subscriber.id, newsletter.id),
      date: deps.clock.now(),
    });
    const result = await deps.transport.send(message);
    return { outboxId: d.outboxId, state: 'sent', messageId, response: result.response };
  } catch (err) {
    const verdict = classifyError(err);
    if (verdict.kind === 'transient') {
      const now = deps.clock.now();
      const next = nextAttempt(d.attempts, new Date(d.firstQueuedAt), now, deps.settings.retryLifetimeMs);
      if (next) return { outboxId: d.outboxId, state: 'deferred', messageId, error: verdict.reason, nextAttemptAt: next.toISOString() };
      return { outboxId: d.outboxId, state: 'failed', messageId, error: `gave up after ${d.attempts} attempts: ${verdict.reason}` };
    }
    return { outboxId: d.outboxId, state: verdict.kind === 'permanent' ? 'failed' : 'unknown', messageId, error: verdict.reason };
  }
}

/**
 * Delivers an issue's queued (and due deferred) outbox rows in claimed batches until none are
 * left. Each batch is committed as `sending` with a lease before any SMTP is spoken, and its
 * outcomes are committed after; consent is checked again before every claim. Stops early
 * when `signal` aborts (in-flight messages finish first) or after a burst of failures.
 */
export async function deliverIssue(
  deps: DeliveryDeps,
  renderer: IssueRenderer,
  options: { signal?: AbortSignal; onBatch?: (done: number) => void } = {},
): Promise<DeliveryRun> {
  const { store, clock, settings, logger } = deps;
  const { issue, newsletter } = renderer;
  // Render every locale up front: a broken template stops here, before anyone is claimed.
  await Promise.all(newsletter.locales.supported.map((l) => renderer.forLocale(l)));

  const expiredLeases = await store.expireLeases(issue.id, clock.now().toISOString());
  if (expiredLeases > 0) {
    logger.warn('messages left in flight by a stopped process are now in doubt (unknown)', { issue: issue.id, count: expiredLeases });
  }
  let attempted = 0;
  let consecutiveFailures = 0;
  let lastError = '';
  let waitUntil: number | undefined;
  let expired = expiredLeases;
  while (!options.signal?.aborted) {
    const now = clock.now();
    await store.skipWithoutConsent(issue.id, newsletter.id, now.toISOString());
    const leaseUntil = new Date(now.getTime() + settings.leaseSeconds * 1000).toISOString();
    const batch = await store.claim(issue.id, settings.batchSize, now.toISOString(), leaseUntil);
    if (batch.length === 0) {
      // Rows another process holds in `sending`: wait for them (bounded by a lease), so the
      // summary and exit status describe how the issue ended, and take over rows it releases.
      if ((await store.counts(issue.id)).sending === 0) break;
      waitUntil ??= Date.now() + (settings.leaseSeconds + 5) * 1000;
      if (Date.now() > waitUntil) break;
      await sleep(200, options.signal);
      expired += await store.expireLeases(issue.id, clock.now().toISOString());
      continue;
    }
    const outcomes = await Promise.all(batch.map((d) => deliverOne(deps, renderer, d)));
    await store.record(outcomes, clock.now().toISOString());
    attempted += outcomes.length;
    for (const o of outcomes) {
      if (o.state === 'sent') consecutiveFailures = 0;
      else if (o.state === 'deferred' || o.state === 'unknown') {
        consecutiveFailures++;
        lastError = o.error;
      }
      if (o.state !== 'sent') logger.warn('delivery not completed', { issue: issue.id, outbox: o.outboxId, state: o.state, error: 'error' in o ? o.error : undefined });
    }
    options.onBatch?.(attempted);
    if (consecutiveFailures >= settings.pauseAfterFailures) {
      const paused = `${consecutiveFailures} deliveries in a row failed (last: ${lastError}); the issue is paused and its deferred readers are retried later`;
      logger.error('issue paused', { issue: issue.id, reason: paused });
      return { attempted, expiredLeases: expired, paused };
    }
  }
  return { attempted, expiredLeases: expired };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
