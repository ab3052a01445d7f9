import type { Generated } from 'kysely';

/** Table shapes as kysely sees them. Times are ISO 8601 UTC strings, which sort as text. */
export interface Database {
  subscribers: {
    id: Generated<number>;
    email: string;
    name: string;
    locale: string;
    timezone: string;
    topics: string; // JSON array
    created_at: string;
    updated_at: string;
    suppressed_at: string | null;
    suppressed_reason: string | null;
    attributes: string; // JSON object of extra list columns
  };
  consent_events: {
    id: Generated<number>;
    subscriber_id: number;
    newsletter_id: string;
    kind: string;
    at: string;
    source: string;
    ip: string | null;
    user_agent: string | null;
    recorded_at: string;
    wording: string | null;
  };
  suppressions: {
    email_hash: string;
    reason: string;
    at: string;
  };
  /** The latest consent event per (subscriber, newsletter): a projection of consent_events. */
  subscriptions: {
    subscriber_id: number;
    newsletter_id: string;
    state: string;
    state_at: string;
    source: string;
  };
  list_files: {
    path: string;
    fingerprint: string;
    synced_at: string;
    rows: Generated<number>;
    /** JSON array of Problem. */
    problems: Generated<string>;
  };
  issues: {
    id: Generated<number>;
    newsletter_id: string;
    slot: string;
    window_start: string | null;
    window_end: string;
    articles: string; // JSON IssueArticle[]
    created_at: string;
    paused_at: string | null;
    paused_reason: string | null;
    finished_at: Generated<string | null>;
    review_state: Generated<string | null>;
    /** JSON IssueReview without its state. */
    review: Generated<string | null>;
  };
  issue_edits: {
    id: Generated<number>;
    issue_id: number;
    at: string;
    editor: string;
    what: string;
  };
  issue_articles: {
    newsletter_id: string;
    article_id: string;
    issue_id: number;
  };
  outbox: {
    id: Generated<number>;
    issue_id: number;
    subscriber_id: number;
    state: string;
    attempts: number;
    message_id: string | null;
    lease_until: string | null;
    next_attempt_at: string | null;
    last_response: string | null;
    last_error: string | null;
    sent_at: string | null;
    created_at: string;
    updated_at: string;
    not_before: string | null;
    claimed_by: string | null;
    /** 'welcome' for a welcome mail (a row of the latest issue made for a new reader); null for the issue itself. */
    kind: Generated<string | null>;
  };
  welcomes: {
    subscriber_id: number;
    newsletter_id: string;
    issue_id: number | null;
    /** queued | no-issue-yet | had-latest-issue */
    outcome: string;
    at: string;
  };
  delivery_events: {
    id: Generated<number>;
    dedupe_key: string;
    kind: string;
    channel: string;
    outbox_id: number | null;
    issue_id: number | null;
    subscriber_id: number | null;
    newsletter_id: string | null;
    matched_by: string | null;
    /** 1 when the match was proven (signed tag, verified provider): only then did it change anything. */
    verified: Generated<number>;
    /** What it changed: 'bounced', 'complained', 'suppressed', 'withdrawn', … or null. */
    effect: string | null;
    recipient: string | null;
    status: string | null;
    diagnostic: string | null;
    raw: string;
    at: string;
    recorded_at: string;
  };
  webhook_outbox: {
    id: Generated<number>;
    event_id: string;
    type: string;
    endpoint: string;
    /** JSON object: the event's data, without the address. */
    data: string;
    subscriber_id: number | null;
    /** The address of the person the event is about; cleared by an erasure. */
    email: string | null;
    at: string;
    /** pending → delivered, or failed after the last retry. */
    state: string;
    attempts: Generated<number>;
    next_attempt_at: string;
    lease_until: string | null;
    last_error: string | null;
    delivered_at: string | null;
    created_at: string;
  };
}
