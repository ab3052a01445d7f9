import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './migrations.js';
import type { ClaimedDelivery, DeliveryOutcome, ExportRow, IssueDraft, OutboxRow, Store, SubscriberFields, Subscription } from './store.js';
import { emptyCounts, type ConsentEvent, type ConsentKind, type DeliveryState, type Issue, type StateCounts, type Subscriber } from '../domain/types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

function toIssue(row: Selectable<Database['issues']>): Issue {
  return {
    id: row.id,
    newsletterId: row.newsletter_id,
    slot: row.slot,
    window: { start: row.window_start, end: row.window_end },
    articles: JSON.parse(row.articles) as Issue['articles'],
    createdAt: row.created_at,
    ...(row.paused_reason ? { pausedReason: row.paused_reason } : {}),
  };
}

function toSubscriber(row: { id: number; email: string; name: string; locale: string; timezone: string; topics: string; attributes: string }): Subscriber {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    locale: row.locale,
    timezone: row.timezone,
    topics: JSON.parse(row.topics) as string[],
    attributes: JSON.parse(row.attributes || '{}') as Record<string, string>,
  };
}

/**
 * The store's queries, written once in kysely for both adapters. Claims are one
 * `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING`.
 */
export class KyselyStore implements Store {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return (this.db as Kysely<Database>).transaction().execute((trx) => fn(new KyselyStore(trx, this.dialect)));
  }

  close(): Promise<void> {
    return this.onClose();
  }

  async upsertSubscriber(f: SubscriberFields, now: string): Promise<number> {
    return (await this.upsertSubscribers([f], now)).get(f.email)!;
  }

  async upsertSubscribers(rows: SubscriberFields[], now: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const returned = await this.db
        .insertInto('subscribers')
        .values(
          chunk.map((f) => ({
            email: f.email,
            name: f.name,
            locale: f.locale,
            timezone: f.timezone,
            topics: JSON.stringify(f.topics),
            attributes: JSON.stringify(f.attributes),
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) =>
          oc.column('email').doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            locale: eb.ref('excluded.locale'),
            timezone: eb.ref('excluded.timezone'),
            topics: eb.ref('excluded.topics'),
            attributes: eb.ref('excluded.attributes'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returning(['id', 'email'])
        .execute();
      for (const r of returned) ids.set(r.email, r.id);
    }
    return ids;
  }

  async subscriptionsFor(subscriberIds: number[], newsletterId: string): Promise<Map<number, Subscription>> {
    const out = new Map<number, Subscription>();
    for (let i = 0; i < subscriberIds.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('subscriptions')
        .selectAll()
        .where('newsletter_id', '=', newsletterId)
        .where('subscriber_id', 'in', subscriberIds.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) {
        out.set(r.subscriber_id, { subscriberId: r.subscriber_id, newsletterId: r.newsletter_id, state: r.state as ConsentKind, stateAt: r.state_at, source: r.source });
      }
    }
    return out;
  }

  async findSubscriberByEmail(email: string): Promise<Subscriber | undefined> {
    const row = await this.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  async getSubscriber(subscriberId: number): Promise<Subscriber | undefined> {
    const row = await this.db.selectFrom('subscribers').selectAll().where('id', '=', subscriberId).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  async updateProfile(subscriberId: number, changes: { locale?: string; topics?: string[] }, now: string): Promise<void> {
    await this.db
      .updateTable('subscribers')
      .set({
        ...(changes.locale !== undefined ? { locale: changes.locale } : {}),
        ...(changes.topics !== undefined ? { topics: JSON.stringify(changes.topics) } : {}),
        updated_at: now,
      })
      .where('id', '=', subscriberId)
      .execute();
  }

  async getSubscription(subscriberId: number, newsletterId: string): Promise<Subscription | undefined> {
    const row = await this.db
      .selectFrom('subscriptions')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('newsletter_id', '=', newsletterId)
      .executeTakeFirst();
    return row
      ? { subscriberId: row.subscriber_id, newsletterId: row.newsletter_id, state: row.state as ConsentKind, stateAt: row.state_at, source: row.source }
      : undefined;
  }

  async appendConsentEvent(e: ConsentEvent, now: string): Promise<'recorded' | 'duplicate'> {
    return (await this.appendConsentEvents([e], now)) === 1 ? 'recorded' : 'duplicate';
  }

  async appendConsentEvents(events: ConsentEvent[], now: string): Promise<number> {
    let recorded = 0;
    for (let i = 0; i < events.length; i += CHUNK) {
      const inserted = await this.db
        .insertInto('consent_events')
        .values(
          events.slice(i, i + CHUNK).map((e) => ({
            subscriber_id: e.subscriberId,
            newsletter_id: e.newsletterId,
            kind: e.kind,
            at: e.at,
            source: e.source,
            ip: e.ip ?? null,
            user_agent: e.userAgent ?? null,
            wording: e.wording ?? null,
            recorded_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['subscriber_id', 'newsletter_id', 'kind', 'at']).doNothing())
        .returning(['subscriber_id', 'newsletter_id', 'kind', 'at', 'source'])
        .execute();
      if (inserted.length === 0) continue;
      recorded += inserted.length;
      // The projection moves only forward in event time: an old consent never overrides a later
      // withdrawal. Several new events for one reader: the latest goes in.
      const latest = new Map<string, (typeof inserted)[number]>();
      for (const e of inserted) {
        const key = `${e.subscriber_id}\u0000${e.newsletter_id}`;
        const seen = latest.get(key);
        if (!seen || seen.at <= e.at) latest.set(key, e);
      }
      await this.db
        .insertInto('subscriptions')
        .values([...latest.values()].map((e) => ({ subscriber_id: e.subscriber_id, newsletter_id: e.newsletter_id, state: e.kind, state_at: e.at, source: e.source })))
        .onConflict((oc) =>
          oc
            .columns(['subscriber_id', 'newsletter_id'])
            .doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), state_at: eb.ref('excluded.state_at'), source: eb.ref('excluded.source') }))
            .where('subscriptions.state_at', '<=', (eb) => eb.ref('excluded.state_at')),
        )
        .execute();
    }
    return recorded;
  }

  async consentEvents(subscriberId: number): Promise<(ConsentEvent & { recordedAt: string })[]> {
    const rows = await this.db.selectFrom('consent_events').selectAll().where('subscriber_id', '=', subscriberId).orderBy('at').orderBy('id').execute();
    return rows.map((r) => ({
      subscriberId: r.subscriber_id,
      newsletterId: r.newsletter_id,
      kind: r.kind as ConsentKind,
      at: r.at,
      source: r.source,
      ...(r.ip ? { ip: r.ip } : {}),
      ...(r.user_agent ? { userAgent: r.user_agent } : {}),
      ...(r.wording ? { wording: r.wording } : {}),
      recordedAt: r.recorded_at,
    }));
  }

  async subscriptionsOf(subscriberId: number): Promise<Subscription[]> {
    const rows = await this.db.selectFrom('subscriptions').selectAll().where('subscriber_id', '=', subscriberId).orderBy('newsletter_id').execute();
    return rows.map((r) => ({ subscriberId: r.subscriber_id, newsletterId: r.newsletter_id, state: r.state as ConsentKind, stateAt: r.state_at, source: r.source }));
  }

  async deliveriesOf(subscriberId: number): Promise<(OutboxRow & { issueId: number; newsletterId: string; slot: string })[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .innerJoin('issues', 'issues.id', 'outbox.issue_id')
      .select([
        'outbox.id as outboxId',
        'subscribers.email as email',
        'outbox.state as state',
        'outbox.attempts as attempts',
        'outbox.message_id as messageId',
        'outbox.last_response as lastResponse',
        'outbox.last_error as lastError',
        'outbox.next_attempt_at as nextAttemptAt',
        'outbox.sent_at as sentAt',
        'outbox.updated_at as updatedAt',
        'outbox.claimed_by as claimedBy',
        'issues.id as issueId',
        'issues.newsletter_id as newsletterId',
        'issues.slot as slot',
      ])
      .where('outbox.subscriber_id', '=', subscriberId)
      .orderBy('outbox.id', 'desc')
      .execute();
    return rows.map((r) => ({ ...r, state: r.state as DeliveryState }));
  }

  async suppression(subscriberId: number): Promise<{ at: string; reason: string } | undefined> {
    const r = await this.db.selectFrom('subscribers').select(['suppressed_at', 'suppressed_reason']).where('id', '=', subscriberId).executeTakeFirst();
    return r?.suppressed_at ? { at: r.suppressed_at, reason: r.suppressed_reason ?? '' } : undefined;
  }

  async erasedAmong(hashes: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < hashes.length; i += CHUNK) {
      const rows = await this.db.selectFrom('suppressions').select('email_hash').where('email_hash', 'in', hashes.slice(i, i + CHUNK)).execute();
      for (const r of rows) out.add(r.email_hash);
    }
    return out;
  }

  async erase(subscriberId: number | undefined, emailHash: string, now: string): Promise<void> {
    await this.transaction(async (s) => {
      const db = (s as KyselyStore).db;
      await db.insertInto('suppressions').values({ email_hash: emailHash, reason: 'erased on request', at: now }).onConflict((oc) => oc.column('email_hash').doNothing()).execute();
      if (subscriberId === undefined) return;
      await db.deleteFrom('consent_events').where('subscriber_id', '=', subscriberId).execute();
      await db.deleteFrom('subscriptions').where('subscriber_id', '=', subscriberId).execute();
      // Rows not yet sent are skipped at their next claim (no subscription any more).
      await db
        .updateTable('subscribers')
        .set({ email: `erased-${subscriberId}@invalid`, name: '', locale: '', timezone: '', topics: '[]', attributes: '{}', suppressed_at: now, suppressed_reason: 'erased on request', updated_at: now })
        .where('id', '=', subscriberId)
        .execute();
    });
  }

  async exportRows(newsletterId: string): Promise<ExportRow[]> {
    const rows = await this.db
      .selectFrom('subscriptions')
      .innerJoin('subscribers', 'subscribers.id', 'subscriptions.subscriber_id')
      .selectAll('subscribers')
      .select([
        'subscriptions.state as state',
        'subscriptions.state_at as state_at',
        'subscriptions.source as source',
        (eb) =>
          eb
            .selectFrom('consent_events')
            .select((e) => e.fn.max('consent_events.at').as('m'))
            .whereRef('consent_events.subscriber_id', '=', 'subscribers.id')
            .where('consent_events.newsletter_id', '=', newsletterId)
            .where('consent_events.kind', '=', 'consent')
            .as('consented_at'),
      ])
      .where('subscriptions.newsletter_id', '=', newsletterId)
      .where('subscribers.email', 'not like', 'erased-%@invalid')
      .orderBy('subscribers.email')
      .execute();
    return rows.map((r) => ({
      subscriber: toSubscriber(r),
      state: r.state as ConsentKind,
      stateAt: r.state_at,
      source: r.source,
      consentedAt: (r.consented_at as string | null) ?? null,
      suppressed: r.suppressed_reason,
    }));
  }

  async countSubscriptions(newsletterId: string): Promise<Partial<Record<ConsentKind, number>>> {
    const rows = await this.db
      .selectFrom('subscriptions')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('newsletter_id', '=', newsletterId)
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  async getListFingerprint(path: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('list_files').select('fingerprint').where('path', '=', path).executeTakeFirst();
    return row?.fingerprint;
  }

  async setListFingerprint(path: string, fingerprint: string, now: string): Promise<void> {
    await this.db
      .insertInto('list_files')
      .values({ path, fingerprint, synced_at: now })
      .onConflict((oc) => oc.column('path').doUpdateSet({ fingerprint, synced_at: now }))
      .execute();
  }

  async findIssue(newsletterId: string, slot: string): Promise<Issue | undefined> {
    const row = await this.db.selectFrom('issues').selectAll().where('newsletter_id', '=', newsletterId).where('slot', '=', slot).executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async getIssue(issueId: number): Promise<Issue | undefined> {
    const row = await this.db.selectFrom('issues').selectAll().where('id', '=', issueId).executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async latestIssue(newsletterId: string, beforeSlot?: string): Promise<Issue | undefined> {
    let q = this.db.selectFrom('issues').selectAll().where('newsletter_id', '=', newsletterId);
    if (beforeSlot) q = q.where('slot', '<', beforeSlot);
    const row = await q.orderBy('slot', 'desc').limit(1).executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async issuesWithWork(now: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .select('issue_id')
      .distinct()
      .where((w) => w.and([
              w.or([w('state', '=', 'queued'), w.and([w('state', '=', 'deferred'), w('next_attempt_at', '<=', now)])]),
              w.or([w('not_before', 'is', null), w('not_before', '<=', now)]),
            ]))
      .where('issue_id', 'not in', (eb) => eb.selectFrom('issues').select('id').where('paused_at', 'is not', null))
      .orderBy('issue_id')
      .execute();
    return rows.map((r) => r.issue_id);
  }

  async sentArticleIds(newsletterId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('issue_articles').select('article_id').where('newsletter_id', '=', newsletterId).execute();
    return new Set(rows.map((r) => r.article_id));
  }

  async issueOfArticle(newsletterId: string, articleId: string): Promise<Issue | undefined> {
    const row = await this.db
      .selectFrom('issue_articles')
      .innerJoin('issues', 'issues.id', 'issue_articles.issue_id')
      .selectAll('issues')
      .where('issue_articles.newsletter_id', '=', newsletterId)
      .where('issue_articles.article_id', '=', articleId)
      .executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async listIssues(newsletterId: string, limit: number): Promise<Issue[]> {
    const rows = await this.db.selectFrom('issues').selectAll().where('newsletter_id', '=', newsletterId).orderBy('slot', 'desc').limit(limit).execute();
    return rows.map(toIssue);
  }

  async createIssue(d: IssueDraft): Promise<{ issue: Issue; created: boolean }> {
    return this.transaction(async (s) => {
      const db = (s as KyselyStore).db;
      // Writing first takes SQLite's write lock at once, so a concurrent creator waits here
      // instead of failing later on a stale read.
      const inserted = await db
        .insertInto('issues')
        .values({
          newsletter_id: d.newsletterId,
          slot: d.slot,
          window_start: d.window.start,
          window_end: d.window.end,
          articles: JSON.stringify(d.articles),
          created_at: d.createdAt,
        })
        .onConflict((oc) => oc.columns(['newsletter_id', 'slot']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        const existing = await s.findIssue(d.newsletterId, d.slot);
        if (!existing) throw new Error(`issue for ${d.newsletterId} at ${d.slot} vanished`);
        return { issue: existing, created: false };
      }
      if (d.articles.length > 0) {
        await db
          .insertInto('issue_articles')
          .values(d.articles.map((a) => ({ newsletter_id: d.newsletterId, article_id: a.id, issue_id: inserted.id })))
          .execute();
      }
      await db
        .insertInto('outbox')
        .columns(['issue_id', 'subscriber_id', 'state', 'attempts', 'created_at', 'updated_at'])
        .expression((eb) =>
          eb
            .selectFrom('subscriptions')
            .select([
              sql.lit(inserted.id).as('issue_id'),
              'subscriber_id',
              sql.lit('queued').as('state'),
              sql.lit(0).as('attempts'),
              sql.lit(d.createdAt).as('created_at'),
              sql.lit(d.createdAt).as('updated_at'),
            ])
            .where('newsletter_id', '=', d.newsletterId)
            .where('state', '=', 'consent')
            .where('subscriber_id', 'not in', (sub) => sub.selectFrom('subscribers').select('id').where('suppressed_at', 'is not', null))
            .orderBy('subscriber_id'),
        )
        .execute();
      if (d.notBefore) {
        const zones = await db
          .selectFrom('outbox')
          .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
          .select('subscribers.timezone as tz')
          .distinct()
          .where('outbox.issue_id', '=', inserted.id)
          .execute();
        for (const { tz } of zones) {
          await db
            .updateTable('outbox')
            .set({ not_before: d.notBefore(tz) })
            .where('issue_id', '=', inserted.id)
            .where('subscriber_id', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('timezone', '=', tz))
            .execute();
        }
      }
      const issue = await s.getIssue(inserted.id);
      return { issue: issue!, created: true };
    });
  }

  async skipWithoutConsent(issueId: number, newsletterId: string, now: string): Promise<number> {
    const r = await this.db
      .updateTable('outbox')
      .set({ state: 'skipped', last_error: 'consent withdrawn or address suppressed before sending', updated_at: now })
      .where('issue_id', '=', issueId)
      .where('state', 'in', ['queued', 'deferred'])
      .where((w) =>
        w.or([
          w('subscriber_id', 'not in', (eb) =>
            eb.selectFrom('subscriptions').select('subscriber_id').where('newsletter_id', '=', newsletterId).where('state', '=', 'consent'),
          ),
          w('subscriber_id', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('suppressed_at', 'is not', null)),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
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

  async claim(issueId: number, limit: number, now: string, leaseUntil: string, workerId?: string): Promise<ClaimedDelivery[]> {
    const claimed = await this.db
      .updateTable('outbox')
      .set((eb) => ({ state: 'sending', lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now, claimed_by: workerId ?? null }))
      .where('id', 'in', (eb) => {
        const q = eb
          .selectFrom('outbox')
          .select('id')
          .where('issue_id', '=', issueId)
          .where((w) => w.and([
              w.or([w('state', '=', 'queued'), w.and([w('state', '=', 'deferred'), w('next_attempt_at', '<=', now)])]),
              w.or([w('not_before', 'is', null), w('not_before', '<=', now)]),
            ]))
          .orderBy('id')
          .limit(limit);
        // PostgreSQL: concurrent workers skip each other's locked rows instead of waiting on them.
        // SQLite has one writer at a time, which makes the statement atomic by itself.
        return this.dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
      })
      .returning(['id', 'subscriber_id', 'attempts', 'created_at'])
      .execute();
    if (claimed.length === 0) return [];
    const subs = await this.db
      .selectFrom('subscribers')
      .selectAll()
      .where('id', 'in', claimed.map((c) => c.subscriber_id))
      .execute();
    const byId = new Map(subs.map((r) => [r.id, toSubscriber(r)]));
    return claimed
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ outboxId: c.id, attempts: c.attempts, firstQueuedAt: c.created_at, subscriber: byId.get(c.subscriber_id)! }));
  }

  async record(outcomes: DeliveryOutcome[], now: string): Promise<void> {
    if (outcomes.length === 0) return;
    await this.transaction(async (s) => {
      const db = (s as KyselyStore).db;
      for (const o of outcomes) {
        const common = { state: o.state, message_id: o.messageId, lease_until: null, updated_at: now };
        const set =
          o.state === 'sent'
            ? { ...common, last_response: o.response, last_error: null, next_attempt_at: null, sent_at: now }
            : o.state === 'queued'
              ? { ...common, last_error: o.error ?? null, next_attempt_at: null }
              : o.state === 'deferred'
                ? { ...common, last_error: o.error, next_attempt_at: o.nextAttemptAt }
                : { ...common, last_error: o.error, next_attempt_at: null };
        // Only a row this process holds in `sending` changes; a row another process marked
        // `unknown` after our lease ran out stays as it is.
        await db.updateTable('outbox').set(set).where('id', '=', o.outboxId).where('state', '=', 'sending').execute();
      }
    });
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
    await this.db
      .updateTable('subscribers')
      .set({ suppressed_at: now, suppressed_reason: reason })
      .where('id', '=', subscriberId)
      .where('suppressed_at', 'is', null)
      .execute();
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

  async outboxRows(issueId: number): Promise<OutboxRow[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select([
        'outbox.id as outboxId',
        'subscribers.email as email',
        'outbox.state as state',
        'outbox.attempts as attempts',
        'outbox.message_id as messageId',
        'outbox.last_response as lastResponse',
        'outbox.last_error as lastError',
        'outbox.next_attempt_at as nextAttemptAt',
        'outbox.sent_at as sentAt',
        'outbox.updated_at as updatedAt',
        'outbox.claimed_by as claimedBy',
      ])
      .where('outbox.issue_id', '=', issueId)
      .orderBy('outbox.id')
      .execute();
    return rows.map((r) => ({ ...r, state: r.state as DeliveryState }));
  }
}
