import { sql } from 'kysely';
import type { DeliveryEventInput, DomainCount, OutboxRow, StoredDeliveryEvent } from './store.js';
import type { DeliveryState } from '../domain/types.js';
import { OUTBOX_ROW_COLUMNS } from './rows.js';
import { IssueQueries } from './issue-queries.js';

/** States a later report may turn into `bounced`: mail that left, or may have (never queued or skipped rows). */
const BOUNCEABLE: DeliveryState[] = ['sending', 'sent', 'unknown', 'deferred', 'failed'];

/**
 * The delivery events: what came back after the relay's 250 (bounces, complaints, mailto
 * unsubscribes), matched or not. Inserting is idempotent by the report's dedupe key.
 */
export abstract class EventQueries extends IssueQueries {
  async recordDeliveryEvent(e: DeliveryEventInput, now: string): Promise<number | undefined> {
    const row = await this.db
      .insertInto('delivery_events')
      .values({
        dedupe_key: e.dedupeKey,
        kind: e.kind,
        channel: e.channel,
        outbox_id: e.outboxId ?? null,
        issue_id: e.issueId ?? null,
        subscriber_id: e.subscriberId ?? null,
        newsletter_id: e.newsletterId ?? null,
        matched_by: e.matchedBy ?? null,
        verified: e.verified ? 1 : 0,
        effect: null,
        recipient: e.recipient ?? null,
        status: e.status ?? null,
        diagnostic: e.diagnostic ?? null,
        raw: e.raw,
        at: e.at,
        recorded_at: now,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  async setDeliveryEventEffect(eventId: number, effect: string): Promise<void> {
    await this.db.updateTable('delivery_events').set({ effect }).where('id', '=', eventId).execute();
  }

  async markReported(outboxId: number, state: 'bounced' | 'complained', note: string, now: string): Promise<boolean> {
    // A complaint outranks a bounce (the reader got it, and objected); nothing outranks a complaint.
    const from: DeliveryState[] = state === 'complained' ? [...BOUNCEABLE, 'bounced'] : BOUNCEABLE;
    const r = await this.db
      .updateTable('outbox')
      .set({ state, last_error: note.slice(0, 1000), lease_until: null, updated_at: now })
      .where('id', '=', outboxId)
      .where('state', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async countDeliveryEvents(subscriberId: number, kind: string, since: string): Promise<number> {
    // Per message: a relay reports a delay at each attempt of the same message.
    const row = await this.db
      .selectFrom('delivery_events')
      .select((eb) => eb.fn.count<number>('outbox_id').distinct().as('n'))
      .where('subscriber_id', '=', subscriberId)
      .where('kind', '=', kind)
      .where('verified', '=', 1)
      .where('at', '>=', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async deliveryEvents(filter: { subscriberId?: number; issueId?: number; unmatched?: boolean; limit?: number }): Promise<StoredDeliveryEvent[]> {
    let q = this.db.selectFrom('delivery_events').selectAll();
    if (filter.subscriberId !== undefined) q = q.where('subscriber_id', '=', filter.subscriberId);
    if (filter.issueId !== undefined) q = q.where('issue_id', '=', filter.issueId);
    if (filter.unmatched) q = q.where((eb) => eb.or([eb('outbox_id', 'is', null), eb('verified', '=', 0)]));
    const rows = await q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      channel: r.channel,
      outboxId: r.outbox_id,
      issueId: r.issue_id,
      subscriberId: r.subscriber_id,
      newsletterId: r.newsletter_id,
      matchedBy: r.matched_by,
      verified: r.verified === 1,
      effect: r.effect,
      recipient: r.recipient,
      status: r.status,
      diagnostic: r.diagnostic,
      raw: r.raw,
      at: r.at,
      recordedAt: r.recorded_at,
    }));
  }

  async domainCounts(issueId: number): Promise<DomainCount[]> {
    // The part after the last @, lower-cased: by hand in each dialect (SQLite has no split_part).
    const domain = this.dialect === 'postgres' ? sql<string>`lower(split_part(subscribers.email, '@', -1))` : sql<string>`lower(substr(subscribers.email, instr(subscribers.email, '@') + 1))`;
    const rows = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select([domain.as('domain'), 'outbox.state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('outbox.issue_id', '=', issueId)
      .groupBy([domain, 'outbox.state'])
      .execute();
    return rows.map((r) => ({ domain: r.domain, state: r.state as DeliveryState, count: Number(r.n) }));
  }

  async outboxRowFor(issueId: number, subscriberId: number): Promise<OutboxRow | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select(OUTBOX_ROW_COLUMNS)
      .where('outbox.issue_id', '=', issueId)
      .where('outbox.subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    return row && { ...row, state: row.state as DeliveryState };
  }
}
