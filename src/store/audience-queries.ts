import type { Dialect } from './migrations.js';
import type { ExportRow, ListSync, Store, SubscriberFields, Subscription } from './store.js';
import type { Problem } from '../domain/errors.js';
import type { ConsentEvent, ConsentKind, Subscriber } from '../domain/types.js';
import { CHUNK, toSubscriber, type Db } from './rows.js';

/** Audience queries: subscribers, the consent log and its projection, suppressions, list files. */
export abstract class AudienceQueries {
  constructor(
    protected readonly db: Db,
    protected readonly dialect: Dialect,
  ) {}

  abstract transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;

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
    const row = await this.db.selectFrom('subscriptions').selectAll().where('subscriber_id', '=', subscriberId).where('newsletter_id', '=', newsletterId).executeTakeFirst();
    return row ? { subscriberId: row.subscriber_id, newsletterId: row.newsletter_id, state: row.state as ConsentKind, stateAt: row.state_at, source: row.source } : undefined;
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

  async suppression(subscriberId: number): Promise<{ at: string; reason: string } | undefined> {
    const r = await this.db.selectFrom('subscribers').select(['suppressed_at', 'suppressed_reason']).where('id', '=', subscriberId).executeTakeFirst();
    return r?.suppressed_at ? { at: r.suppressed_at, reason: r.suppressed_reason ?? '' } : undefined;
  }

  async erasedAmong(hashes: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < hashes.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('suppressions')
        .select('email_hash')
        .where('email_hash', 'in', hashes.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.add(r.email_hash);
    }
    return out;
  }

  async erase(subscriberId: number | undefined, emailHash: string, now: string): Promise<void> {
    await this.transaction(async (s) => {
      const db = (s as unknown as AudienceQueries).db;
      await db
        .insertInto('suppressions')
        .values({ email_hash: emailHash, reason: 'erased on request', at: now })
        .onConflict((oc) => oc.column('email_hash').doNothing())
        .execute();
      if (subscriberId === undefined) return;
      // Reports about the person (bounces, complaints) keep their counts, not their words: the
      // address is in the recipient, the diagnostic and the raw text. Unmatched ones by address.
      const person = await db.selectFrom('subscribers').select('email').where('id', '=', subscriberId).executeTakeFirst();
      await db
        .updateTable('delivery_events')
        .set({ recipient: null, diagnostic: null, raw: '[erased on request]' })
        .where((eb) => eb.or([eb('subscriber_id', '=', subscriberId), ...(person ? [eb('recipient', '=', person.email.toLowerCase())] : [])]))
        .execute();
      // Webhook events about them, queued or sent, lose the address: none is sent carrying it.
      await db.updateTable('webhook_outbox').set({ email: null }).where('subscriber_id', '=', subscriberId).execute();
      await db.deleteFrom('consent_events').where('subscriber_id', '=', subscriberId).execute();
      await db.deleteFrom('subscriptions').where('subscriber_id', '=', subscriberId).execute();
      // Rows not yet sent are skipped at their next claim (no subscription any more).
      await db
        .updateTable('subscribers')
        .set({
          email: `erased-${subscriberId}@invalid`,
          name: '',
          locale: '',
          timezone: '',
          topics: '[]',
          attributes: '{}',
          suppressed_at: now,
          suppressed_reason: 'erased on request',
          updated_at: now,
        })
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

  async getListSync(path: string): Promise<ListSync | undefined> {
    const row = await this.db.selectFrom('list_files').select(['fingerprint', 'rows', 'problems']).where('path', '=', path).executeTakeFirst();
    return row ? { fingerprint: row.fingerprint, rows: Number(row.rows), problems: JSON.parse(row.problems) as Problem[] } : undefined;
  }

  async setListSync(path: string, sync: ListSync, now: string): Promise<void> {
    const values = { fingerprint: sync.fingerprint, rows: sync.rows, problems: JSON.stringify(sync.problems), synced_at: now };
    await this.db
      .insertInto('list_files')
      .values({ path, ...values })
      .onConflict((oc) => oc.column('path').doUpdateSet(values))
      .execute();
  }
}
