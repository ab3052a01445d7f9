import { Migrator, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** Migrations in code, in order, for both dialects. Never edit one that has shipped: add the next. */
function migrations(dialect: Dialect): Record<string, Migration> {
  // An auto-numbered primary key: INTEGER PRIMARY KEY AUTOINCREMENT on SQLite, SERIAL on PostgreSQL.
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const id = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('subscribers')
          .addColumn('id', idType, id)
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('locale', 'text', (c) => c.notNull())
          .addColumn('timezone', 'text', (c) => c.notNull())
          .addColumn('topics', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('consent_events')
          .addColumn('id', idType, id)
          .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
          .addColumn('newsletter_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('ip', 'text')
          .addColumn('user_agent', 'text')
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('consent_events_once', ['subscriber_id', 'newsletter_id', 'kind', 'at'])
          .execute();
        await db.schema
          .createTable('subscriptions')
          .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
          .addColumn('newsletter_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('state_at', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('subscriptions_pk', ['subscriber_id', 'newsletter_id'])
          .execute();
        await db.schema.createIndex('subscriptions_by_state').on('subscriptions').columns(['newsletter_id', 'state']).execute();
        await db.schema
          .createTable('list_files')
          .addColumn('path', 'text', (c) => c.primaryKey())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('synced_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('issues')
          .addColumn('id', idType, id)
          .addColumn('newsletter_id', 'text', (c) => c.notNull())
          .addColumn('slot', 'text', (c) => c.notNull())
          .addColumn('window_start', 'text')
          .addColumn('window_end', 'text', (c) => c.notNull())
          .addColumn('articles', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('issues_one_per_slot', ['newsletter_id', 'slot'])
          .execute();
        await db.schema
          .createTable('issue_articles')
          .addColumn('newsletter_id', 'text', (c) => c.notNull())
          .addColumn('article_id', 'text', (c) => c.notNull())
          .addColumn('issue_id', 'integer', (c) => c.notNull().references('issues.id'))
          .addPrimaryKeyConstraint('issue_articles_pk', ['newsletter_id', 'article_id'])
          .execute();
        await db.schema
          .createTable('outbox')
          .addColumn('id', idType, id)
          .addColumn('issue_id', 'integer', (c) => c.notNull().references('issues.id'))
          .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('message_id', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('next_attempt_at', 'text')
          .addColumn('last_response', 'text')
          .addColumn('last_error', 'text')
          .addColumn('sent_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('outbox_once_per_reader', ['issue_id', 'subscriber_id'])
          .execute();
        await db.schema.createIndex('outbox_by_state').on('outbox').columns(['issue_id', 'state', 'id']).execute();
      },
    },
    '0002_suppression_and_pause': {
      async up(db: Kysely<unknown>) {
        // An address that hard-bounced or complained is suppressed for every newsletter.
        await db.schema.alterTable('subscribers').addColumn('suppressed_at', 'text').execute();
        await db.schema.alterTable('subscribers').addColumn('suppressed_reason', 'text').execute();
        // An issue paused for a fault of ours (authentication, policy) waits for the operator.
        await db.schema.alterTable('issues').addColumn('paused_at', 'text').execute();
        await db.schema.alterTable('issues').addColumn('paused_reason', 'text').execute();
      },
    },
    '0003_local_time_delivery': {
      async up(db: Kysely<unknown>) {
        // Local-time delivery: a row is not claimed before this time (the slot's wall-clock time in the reader's zone).
        await db.schema.alterTable('outbox').addColumn('not_before', 'text').execute();
      },
    },
    '0004_claimed_by': {
      async up(db: Kysely<unknown>) {
        // Which worker (host:pid) last claimed the row: for operators, and to show work is shared.
        await db.schema.alterTable('outbox').addColumn('claimed_by', 'text').execute();
      },
    },
    '0005_audience': {
      async up(db: Kysely<unknown>) {
        // The wording version a person was shown when they consented (proof of consent).
        await db.schema.alterTable('consent_events').addColumn('wording', 'text').execute();
        // Extra list-file columns, usable in templates as {{attr "name"}}.
        await db.schema
          .alterTable('subscribers')
          .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
          .execute();
        // Addresses erased on request (GDPR): only a hash is kept, so an import cannot bring them back.
        await db.schema
          .createTable('suppressions')
          .addColumn('email_hash', 'text', (c) => c.primaryKey())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0006_list_problems': {
      async up(db: Kysely<unknown>) {
        // An unchanged list file is no longer read at each sync: what its last sync found is kept.
        await db.schema
          .alterTable('list_files')
          .addColumn('rows', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .alterTable('list_files')
          .addColumn('problems', 'text', (c) => c.notNull().defaultTo('[]'))
          .execute();
        // Files synced before have no problems on record: read each once more (applying is idempotent).
        await db.deleteFrom('list_files' as never).execute();
      },
    },
    '0007_delivery_events': {
      async up(db: Kysely<unknown>) {
        // What came back after the relay's 250: bounces, complaints, mailto unsubscribes, and the
        // reports nobody could match (kept and listed, never dropped). A row's id is its report's
        // dedupe key, so the same report twice is one event.
        await db.schema
          .createTable('delivery_events')
          .addColumn('id', idType, id)
          .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('outbox_id', 'integer')
          .addColumn('issue_id', 'integer')
          .addColumn('subscriber_id', 'integer')
          .addColumn('newsletter_id', 'text')
          .addColumn('matched_by', 'text')
          .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('effect', 'text')
          .addColumn('recipient', 'text')
          .addColumn('status', 'text')
          .addColumn('diagnostic', 'text')
          .addColumn('raw', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('delivery_events_by_subscriber').on('delivery_events').columns(['subscriber_id', 'kind', 'at']).execute();
        await db.schema.createIndex('delivery_events_by_issue').on('delivery_events').columns(['issue_id', 'kind']).execute();
        await db.schema.createIndex('delivery_events_by_time').on('delivery_events').columns(['recorded_at']).execute();
      },
    },
    '0008_webhooks_out': {
      async up(db: Kysely<unknown>) {
        // Webhooks out: one row per (event, endpoint), written in the transaction of the change it
        // reports, sent by the webhook loop with retries. The address of the person an event is
        // about is kept apart (email), so an erasure clears it from every queued body.
        await db.schema
          .createTable('webhook_outbox')
          .addColumn('id', idType, id)
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('endpoint', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('subscriber_id', 'integer')
          .addColumn('email', 'text')
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('lease_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('delivered_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('webhook_outbox_once', ['event_id', 'endpoint'])
          .execute();
        await db.schema.createIndex('webhook_outbox_due').on('webhook_outbox').columns(['state', 'next_attempt_at']).execute();
        await db.schema.createIndex('webhook_outbox_by_subscriber').on('webhook_outbox').columns(['subscriber_id']).execute();
        // When an issue was seen finished (nothing queued, sending or deferred): issue.sent once.
        await db.schema.alterTable('issues').addColumn('finished_at', 'text').execute();
      },
    },
    '0009_review': {
      async up(db: Kysely<unknown>) {
        // Editors' review (domain/review.ts): review_state draft | approved | released, NULL for an
        // issue made without review; the rest of the review (excluded articles, notes, subjects,
        // who approved) as JSON. A draft has no outbox rows until it is released.
        await db.schema.alterTable('issues').addColumn('review_state', 'text').execute();
        await db.schema.alterTable('issues').addColumn('review', 'text').execute();
        await db.schema
          .createTable('issue_edits')
          .addColumn('id', idType, id)
          .addColumn('issue_id', 'integer', (c) => c.notNull().references('issues.id'))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('editor', 'text', (c) => c.notNull())
          .addColumn('what', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('issue_edits_by_issue').on('issue_edits').columns(['issue_id', 'id']).execute();
      },
    },
    '0010_welcome': {
      async up(db: Kysely<unknown>) {
        // The welcome mail goes through the outbox as a row of the newsletter's latest issue with
        // kind 'welcome' (rendered with a welcome above it); `welcomes` keeps it to once per reader
        // and newsletter, whatever happens to their subscription later.
        await db.schema.alterTable('outbox').addColumn('kind', 'text').execute();
        await db.schema
          .createTable('welcomes')
          .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('subscribers.id'))
          .addColumn('newsletter_id', 'text', (c) => c.notNull())
          .addColumn('issue_id', 'integer')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('welcomes_pk', ['subscriber_id', 'newsletter_id'])
          .execute();
      },
    },
  };
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
