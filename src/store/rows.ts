/** Row shapes and conversions shared by the store's query classes. */
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Issue, IssueReview, Subscriber } from '../domain/types.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's parameter limits. */
export const CHUNK = 500;

export function toIssue(row: Selectable<Database['issues']>): Issue {
  return {
    id: row.id,
    newsletterId: row.newsletter_id,
    slot: row.slot,
    window: { start: row.window_start, end: row.window_end },
    articles: JSON.parse(row.articles) as Issue['articles'],
    createdAt: row.created_at,
    ...(row.paused_reason ? { pausedReason: row.paused_reason } : {}),
    ...(row.review_state ? { review: { ...(JSON.parse(row.review ?? '{}') as Omit<IssueReview, 'state'>), state: row.review_state as IssueReview['state'] } } : {}),
  };
}

export function toSubscriber(row: { id: number; email: string; name: string; locale: string; timezone: string; topics: string; attributes: string }): Subscriber {
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

/** The columns of an outbox row as the delivery log shows it (report, subscribers show). */
export const OUTBOX_ROW_COLUMNS = [
  'outbox.id as outboxId',
  'outbox.issue_id as issueId',
  'outbox.subscriber_id as subscriberId',
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
  'outbox.lease_until as leaseUntil',
] as const;

/** Outbox rows a worker may take at `now`: queued, or deferred and due, and not held for local time. */
export function claimable(now: string) {
  return (w: ExpressionBuilder<Database, 'outbox'>) =>
    w.and([w.or([w('state', '=', 'queued'), w.and([w('state', '=', 'deferred'), w('next_attempt_at', '<=', now)])]), w.or([w('not_before', 'is', null), w('not_before', '<=', now)])]);
}
