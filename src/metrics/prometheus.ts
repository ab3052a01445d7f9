import { timingSafeEqual, createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics, SendObservation } from '../domain/metrics.js';
import type { Clock } from '../domain/types.js';
import { DeliveryStates } from '../domain/types.js';
import type { Store } from '../store/store.js';

/**
 * Prometheus metrics of this process (prom-client), at GET /metrics. Counters move as this
 * process sends and takes reports; the gauges read the store when scraped, so every instance on
 * one PostgreSQL shows the same outbox (the counters are each instance's own).
 */
export interface PrometheusMetrics extends Metrics {
  registry: Registry;
  /** The text exposition format. */
  text(): Promise<string>;
  contentType: string;
}

export function prometheusMetrics(store: Pick<Store, 'outboxTotals' | 'oldestQueuedAt' | 'webhookCounts' | 'draftCount'>, clock: Clock, options: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'newsletter_' });
  const messages = new Counter({
    name: 'newsletter_messages_total',
    help: 'Delivery attempts by newsletter and the state they left the row in',
    labelNames: ['newsletter', 'state'],
    registers: [registry],
  });
  const replies = new Counter({ name: 'newsletter_smtp_replies_total', help: 'SMTP replies by class (none: no reply, e.g. a connection lost)', labelNames: ['class'], registers: [registry] });
  const retries = new Counter({ name: 'newsletter_retries_total', help: 'Delivery attempts that were not the first for their row', labelNames: ['newsletter'], registers: [registry] });
  const reports = new Counter({
    name: 'newsletter_reports_total',
    help: 'Bounces, complaints and mailto unsubscribes taken, by kind and way in',
    labelNames: ['kind', 'channel'],
    registers: [registry],
  });
  const sendLatency = new Histogram({
    name: 'newsletter_send_duration_seconds',
    help: 'From handing a message to the transport to its answer',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const windowLatency = new Histogram({
    name: 'newsletter_window_duration_seconds',
    help: 'From the first launch of a window of messages to its outcomes being recorded',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'newsletter_outbox_rows',
    help: 'Outbox rows of every issue by state (read from the store)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const totals = await store.outboxTotals();
      for (const s of DeliveryStates) this.set({ state: s }, totals[s]);
    },
  });
  new Gauge({
    name: 'newsletter_oldest_queued_seconds',
    help: 'Age of the longest-waiting queued row of an issue not paused (0 when none)',
    registers: [registry],
    async collect() {
      const oldest = await store.oldestQueuedAt();
      this.set(oldest ? Math.max(0, (clock.now().getTime() - Date.parse(oldest)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'newsletter_webhook_deliveries',
    help: 'Webhook deliveries in the durable queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await store.webhookCounts();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'newsletter_issues_awaiting_approval',
    help: "Drafts under editors' review not yet approved (review.mode optional or required)",
    registers: [registry],
    async collect() {
      this.set(await store.draftCount());
    },
  });
  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    delivered(newsletterId: string, observed: SendObservation[], windowSeconds: number) {
      for (const o of observed) {
        messages.inc({ newsletter: newsletterId, state: o.state });
        replies.inc({ class: o.replyClass });
        if (o.retry) retries.inc({ newsletter: newsletterId });
        if (o.sendSeconds !== undefined) sendLatency.observe(o.sendSeconds);
      }
      if (observed.length > 0) windowLatency.observe(windowSeconds);
    },
    reported(kind: string, channel: string) {
      reports.inc({ kind, channel });
    },
  };
}

/** Whether an Authorization header carries the token, compared in constant time (hashes of equal length). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}
