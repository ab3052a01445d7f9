import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/** Migrations in code, in order. Never edit one that has shipped: add the next. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('subscribers')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
