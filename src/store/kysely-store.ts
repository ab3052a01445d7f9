import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './migrations.js';
import type { ClaimedDelivery, DeliveryOutcome, OutboxRow, Store } from './store.js';
import { emptyCounts, type DeliveryState, type StateCounts } from '../domain/types.js';
import { OUTBOX_ROW_COLUMNS, claimable, toSubscriber, type Db } from './rows.js';
import { WatchQueries } from './watch-queries.js';

/** Outcomes per statement (a power of two): 6 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535. */
const RECORD_CHUNK = 1024;

/**
 * The store's queries, written once in kysely for both adapters, by concern: audience
 * (audience-queries.ts), issues (issue-queries.ts), reports after the 250 (event-queries.ts), webhooks out and the aggregates
 * watching delivery reads (watch-queries.ts),
 * and here the outbox, the delivery log.
 * Claims are one `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING`.
 */
export class KyselyStore extends WatchQueries implements Store {
  constructor(
    db: Db,
    dialect: Dialect,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    super(db, dialect);
  }

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return (this.db as Kysely<Database>).transaction().execute((trx) => fn(new KyselyStore(trx, this.dialect)));
  }

  close(): Promise<void> {
    return this.onClose();
  }

  async expireLeases(issueId: number, now: string): Promise<number> {
    const r = await this.db
      .updateTable('outbox')
      .set({ state: 'unknown', last_error: 'the sending process stopped while this message was in flight; it may or may not have arrived', updated_at: now })
      .where('issue_id', '=', issueId)
      .where('state', '=', 'sending')
      .where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** One claim statement for rows in `state`, in id order through the (issue_id, state, id) index. */
  private claimIn(state: 'queued' | 'deferred', issueId: number, limit: number, now: string, leaseUntil: string, workerId?: string) {
    return this.db
      .updateTable('outbox')
      .set((eb) => ({ state: 'sending', lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now, claimed_by: workerId ?? null }))
      .where('id', 'in', (eb) => {
        let q = eb.selectFrom('outbox').select('id').where('issue_id', '=', issueId).where('state', '=', state).where(claimable(now));
        if (state === 'deferred') q = q.where('next_attempt_at', '<=', now);
        q = q.orderBy('id').limit(limit);
        // PostgreSQL: concurrent workers skip each other's locked rows instead of waiting on them.
        // SQLite has one writer at a time, which makes the statement atomic by itself.
        return this.dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
      })
      .returning(['id', 'subscriber_id', 'attempts', 'created_at', 'kind'])
      .execute();
  }

  async claim(issueId: number, newsletterId: string, limit: number, now: string, leaseUntil: string, workerId?: string): Promise<ClaimedDelivery[]> {
    // Queued rows first, deferred ones that are due after: one state per statement lets the
    // database walk the (issue_id, state, id) index instead of scanning and sorting the issue.
    const claimed = await this.claimIn('queued', issueId, limit, now, leaseUntil, workerId);
    if (claimed.length < limit) claimed.push(...(await this.claimIn('deferred', issueId, limit - claimed.length, now, leaseUntil, workerId)));
    if (claimed.length === 0) return [];
    // Consent is checked for exactly the rows claimed, at the moment they are claimed: a reader
    // who unsubscribed or was suppressed after the issue was made is skipped, even mid-send.
    const subs = await this.db
      .selectFrom('subscribers')
      .leftJoin('subscriptions', (j) => j.onRef('subscriptions.subscriber_id', '=', 'subscribers.id').on('subscriptions.newsletter_id', '=', newsletterId))
      .selectAll('subscribers')
      .select('subscriptions.state as consent')
      .where(
        'subscribers.id',
        'in',
        claimed.map((c) => c.subscriber_id),
      )
      .execute();
    const byId = new Map(subs.map((r) => [r.id, r]));
    const withdrawn = claimed.filter((c) => {
      const r = byId.get(c.subscriber_id);
      return !r || r.consent !== 'consent' || r.suppressed_at !== null;
    });
    if (withdrawn.length > 0) {
      await this.db
        .updateTable('outbox')
        .set((eb) => ({ state: 'skipped', attempts: eb('attempts', '-', 1), lease_until: null, last_error: 'consent withdrawn or address suppressed before sending', updated_at: now }))
        .where(
          'id',
          'in',
          withdrawn.map((c) => c.id),
        )
        .where('state', '=', 'sending')
        .execute();
    }
    const skipped = new Set(withdrawn.map((c) => c.id));
    // Empty means "nothing left to claim" to the caller: when every row taken was skipped, take the next ones.
    if (skipped.size === claimed.length) return this.claim(issueId, newsletterId, limit, now, leaseUntil, workerId);
    return claimed
      .filter((c) => !skipped.has(c.id))
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ outboxId: c.id, attempts: c.attempts, firstQueuedAt: c.created_at, subscriber: toSubscriber(byId.get(c.subscriber_id)!), ...(c.kind === 'welcome' ? { welcome: true } : {}) }));
  }

  async renewLeases(outboxIds: number[], leaseUntil: string, workerId?: string): Promise<number> {
    if (outboxIds.length === 0) return 0;
    let q = this.db.updateTable('outbox').set({ lease_until: leaseUntil }).where('id', 'in', outboxIds).where('state', '=', 'sending');
    // A row that expired and was claimed again by another process is theirs to renew.
    if (workerId !== undefined) q = q.where('claimed_by', '=', workerId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * One statement for a whole window of outcomes: `UPDATE … FROM (VALUES …)`, which SQLite (3.33
   * and later) and PostgreSQL both take. One UPDATE per outcome was 1.8–2.2 ms a window of 25 on
   * SQLite (a sixth of the main thread at 1,400 msgs/s) and would be 25 round trips on
   * PostgreSQL. A row changes while still in `sending`; besides, `sent` wins over any state but
   * `sent` and what a later report made of it (`bounced`, `complained`: a bounce can overtake a slow 250): a 250 that arrives after another process took the row over (marked it `unknown` when
   * our lease looked expired, queued it again for `retry --unknown`, or skipped it) still
   * records that the reader was mailed, so nobody mails them twice. Other late outcomes change
   * nothing. `sent` keeps the relay's reply and the time; the other states leave both as they
   * were. Of two outcomes for one row, the first counts (as it did one UPDATE at a time; in one
   * statement the databases would pick differently).
   */
  async record(outcomes: DeliveryOutcome[], now: string): Promise<void> {
    const seen = new Set<number>();
    const firsts = outcomes.filter((o) => !seen.has(o.outboxId) && seen.add(o.outboxId));
    if (firsts.length > RECORD_CHUNK) {
      // Several statements in one transaction: the outcomes are committed together or not at all.
      await this.transaction(async (tx) => {
        for (let i = 0; i < firsts.length; i += RECORD_CHUNK) await (tx as KyselyStore).recordAtOnce(firsts.slice(i, i + RECORD_CHUNK), now);
      });
    } else if (firsts.length > 0) {
      await this.recordAtOnce(firsts, now);
    }
  }

  private async recordAtOnce(outcomes: DeliveryOutcome[], now: string): Promise<void> {
    const rows = outcomes.map((o) => {
      const error = o.state === 'sent' ? null : (o.error ?? null);
      const next = o.state === 'deferred' ? o.nextAttemptAt : null;
      const response = o.state === 'sent' ? o.response : null;
      // PostgreSQL takes untyped parameters in VALUES for text, and `integer = text` fails.
      return sql`(cast(${o.outboxId} as integer), ${o.state}, ${o.messageId}, ${error}, ${next}, ${response})`;
    });
    // Padded to a power of two with rows that match nothing, so that a run's windows make a
    // handful of SQL texts, not one per size: the SQLite statement cache keeps 64.
    while (rows.length & (rows.length - 1)) rows.push(sql`(cast(null as integer), null, null, null, null, null)`);
    await sql`with v(v_id, v_state, v_message_id, v_error, v_next, v_response) as (values ${sql.join(rows)})
      update outbox set
        state = v.v_state,
        message_id = v.v_message_id,
        lease_until = null,
        updated_at = ${now},
        last_error = v.v_error,
        next_attempt_at = v.v_next,
        last_response = case when v.v_state = 'sent' then v.v_response else outbox.last_response end,
        sent_at = case when v.v_state = 'sent' then ${now} else outbox.sent_at end
      from v
      where outbox.id = v.v_id and (outbox.state = 'sending' or (v.v_state = 'sent' and outbox.state not in ('sent', 'bounced', 'complained')))`.execute(this.db);
  }

  async counts(issueId: number): Promise<StateCounts> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('issue_id', '=', issueId)
      .groupBy('state')
      .execute();
    const counts = emptyCounts();
    for (const r of rows) counts[r.state as DeliveryState] = Number(r.n);
    return counts;
  }

  async requeue(issueId: number, states: ('failed' | 'unknown' | 'deferred')[], now: string): Promise<number> {
    if (states.length === 0) return 0;
    const r = await this.db
      .updateTable('outbox')
      .set({ state: 'queued', next_attempt_at: null, lease_until: null, updated_at: now })
      .where('issue_id', '=', issueId)
      .where('state', 'in', states)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async pauseIssue(issueId: number, reason: string, now: string): Promise<void> {
    await this.db.updateTable('issues').set({ paused_at: now, paused_reason: reason }).where('id', '=', issueId).execute();
  }

  async resumeIssue(issueId: number): Promise<void> {
    await this.db.updateTable('issues').set({ paused_at: null, paused_reason: null }).where('id', '=', issueId).execute();
  }

  async suppress(subscriberId: number, reason: string, now: string): Promise<void> {
    await this.db.updateTable('subscribers').set({ suppressed_at: now, suppressed_reason: reason }).where('id', '=', subscriberId).where('suppressed_at', 'is', null).execute();
  }

  async failureReasons(issueId: number): Promise<{ reason: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(['last_error', (eb) => eb.fn.countAll<number>().as('n')])
      .where('issue_id', '=', issueId)
      .where('state', '=', 'failed')
      .groupBy('last_error')
      .orderBy('n', 'desc')
      .execute();
    return rows.map((r) => ({ reason: r.last_error ?? '(no reply recorded)', count: Number(r.n) }));
  }

  async waitingForLocalTime(issueId: number, now: string): Promise<{ count: number; next: string | undefined }> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('not_before').as('next')])
      .where('issue_id', '=', issueId)
      .where('state', '=', 'queued')
      .where('not_before', '>', now)
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), next: (row?.next as string | null) ?? undefined };
  }

  async nextAttemptAt(issueId: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('t'))
      .where('issue_id', '=', issueId)
      .where('state', '=', 'deferred')
      .executeTakeFirst();
    return (row?.t as string | null) ?? undefined;
  }

  async deliveriesOf(subscriberId: number): Promise<(OutboxRow & { issueId: number; newsletterId: string; slot: string })[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .innerJoin('issues', 'issues.id', 'outbox.issue_id')
      .select([...OUTBOX_ROW_COLUMNS, 'issues.id as issueId', 'issues.newsletter_id as newsletterId', 'issues.slot as slot'])
      .where('outbox.subscriber_id', '=', subscriberId)
      .orderBy('outbox.id', 'desc')
      .execute();
    return rows.map((r) => ({ ...r, state: r.state as DeliveryState }));
  }

  async outboxRows(issueId: number): Promise<OutboxRow[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select(OUTBOX_ROW_COLUMNS)
      .where('outbox.issue_id', '=', issueId)
      .orderBy('outbox.id')
      .execute();
    return rows.map((r) => ({ ...r, state: r.state as DeliveryState }));
  }

  async outboxRow(outboxId: number): Promise<OutboxRow | undefined> {
    const row = await this.db.selectFrom('outbox').innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id').select(OUTBOX_ROW_COLUMNS).where('outbox.id', '=', outboxId).executeTakeFirst();
    return row && { ...row, state: row.state as DeliveryState };
  }
}
