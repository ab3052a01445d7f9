import { sql } from 'kysely';
import type { QueuedEvent, EventType } from '../domain/events.js';
import { emptyCounts, type ConsentKind, type DeliveryState, type StateCounts } from '../domain/types.js';
import type { DeliveryTimes, GrowthCount, TimelineCount, WebhookDelivery, WebhookOutcome } from './store.js';
import { CHUNK } from './rows.js';
import { EventQueries } from './event-queries.js';

/**
 * What watching delivery reads and writes: the webhooks' durable queue (written in the
 * transaction of the change it reports, claimed like outbox rows), and the aggregates the
 * metrics and the dashboard show.
 */
export abstract class WatchQueries extends EventQueries {
  async enqueueEvents(rows: QueuedEvent[], now: string): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('webhook_outbox')
        .values(
          rows.slice(i, i + CHUNK).map((r) => ({
            event_id: r.eventId,
            type: r.type,
            endpoint: r.endpoint,
            data: r.data,
            subscriber_id: r.subscriberId,
            email: r.email,
            at: r.at,
            state: 'pending',
            next_attempt_at: now,
            created_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['event_id', 'endpoint']).doNothing())
        .execute();
    }
  }

  async claimWebhooks(limit: number, now: string, leaseUntil: string): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .updateTable('webhook_outbox')
      .set((eb) => ({ lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (eb) => {
        const q = eb
          .selectFrom('webhook_outbox')
          .select('id')
          .where('state', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
          .orderBy('id')
          .limit(limit);
        // Several instances on one PostgreSQL share the queue without taking each other's rows.
        return this.dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
      })
      .returning(['id', 'event_id', 'type', 'endpoint', 'data', 'subscriber_id', 'email', 'at', 'attempts'])
      .execute();
    return rows
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        id: r.id,
        eventId: r.event_id,
        type: r.type as EventType,
        endpoint: r.endpoint,
        data: JSON.parse(r.data) as Record<string, unknown>,
        subscriberId: r.subscriber_id,
        email: r.email,
        at: r.at,
        attempts: r.attempts,
      }));
  }

  async recordWebhook(id: number, outcome: WebhookOutcome, now: string): Promise<void> {
    await this.db
      .updateTable('webhook_outbox')
      .set({
        state: outcome.state,
        lease_until: null,
        last_error: outcome.state === 'delivered' ? null : outcome.error.slice(0, 500),
        ...(outcome.state === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.state === 'delivered' ? { delivered_at: now } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  async webhookCounts(): Promise<Record<'pending' | 'delivered' | 'failed', number>> {
    const rows = await this.db
      .selectFrom('webhook_outbox')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const out = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) if (r.state in out) out[r.state as keyof typeof out] = Number(r.n);
    return out;
  }

  async markIssueFinished(issueId: number, now: string): Promise<boolean> {
    const r = await this.db.updateTable('issues').set({ finished_at: now }).where('id', '=', issueId).where('finished_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async outboxTotals(): Promise<StateCounts> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const counts = emptyCounts();
    for (const r of rows) counts[r.state as DeliveryState] = Number(r.n);
    return counts;
  }

  async oldestQueuedAt(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('created_at').as('t'))
      .where('state', '=', 'queued')
      .where('issue_id', 'not in', (eb) => eb.selectFrom('issues').select('id').where('paused_at', 'is not', null))
      .executeTakeFirst();
    return (row?.t as string | null) ?? undefined;
  }

  async deliveryTimeline(issueId: number): Promise<TimelineCount[]> {
    // ISO times sort and cut as text in both databases: the first 13 characters are the hour.
    const hour = sql<string>`substr(coalesce(sent_at, updated_at), 1, 13)`;
    const rows = await this.db
      .selectFrom('outbox')
      .select([hour.as('hour'), 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('issue_id', '=', issueId)
      .groupBy([hour, 'state'])
      .orderBy(hour)
      .execute();
    return rows.map((r) => ({ hour: r.hour, state: r.state as DeliveryState, count: Number(r.n) }));
  }

  /**
   * Nearest-rank percentiles of the time from queueing to the relay's 250 over an issue's sent
   * rows, worked out by the database: each percentile is one row fetched by its rank, so a
   * million-reader issue costs a few sorted scans, never a million values in this process.
   */
  async deliveryTimePercentiles(issueId: number, percents: readonly number[]): Promise<DeliveryTimes> {
    // Both columns hold ISO 8601 text; each dialect turns the difference into milliseconds.
    const ms =
      this.dialect === 'postgres'
        ? sql<number>`round(extract(epoch from (cast(sent_at as timestamptz) - cast(created_at as timestamptz))) * 1000)`
        : sql<number>`round((julianday(sent_at) - julianday(created_at)) * 86400000)`;
    const timed = () => this.db.selectFrom('outbox').where('issue_id', '=', issueId).where('sent_at', 'is not', null).where(ms, '>=', 0);
    const totals = await timed()
      .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max(ms).as('max')])
      .executeTakeFirst();
    const count = Number(totals?.n ?? 0);
    const at = async (p: number): Promise<number | null> => {
      if (count === 0) return null;
      const rank = Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
      const row = await timed().select(ms.as('ms')).orderBy(ms).limit(1).offset(rank).executeTakeFirst();
      return row ? Number(row.ms) : null;
    };
    const values: (number | null)[] = [];
    for (const p of percents) values.push(await at(p));
    return { count, percentiles: values, maxMs: count ? Number(totals!.max) : null };
  }

  async listGrowth(newsletterId: string): Promise<GrowthCount[]> {
    const day = sql<string>`substr(at, 1, 10)`;
    const rows = await this.db
      .selectFrom('consent_events')
      .select([day.as('day'), 'kind', 'source', (eb) => eb.fn.countAll<number>().as('n')])
      .where('newsletter_id', '=', newsletterId)
      .groupBy([day, 'kind', 'source'])
      .orderBy(day)
      .execute();
    return rows.map((r) => ({ day: r.day, kind: r.kind as ConsentKind, source: r.source, count: Number(r.n) }));
  }
}
