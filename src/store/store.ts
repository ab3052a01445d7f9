import type { Problem } from '../domain/errors.js';
import type { EventQueue, EventType } from '../domain/events.js';
import type { ConsentEvent, ConsentKind, DeliveryState, Issue, IssueArticle, IssueReview, StateCounts, Subscriber, Window } from '../domain/types.js';

/** The subscriber fields a list file or form sets; the store assigns the id. */
export type SubscriberFields = Omit<Subscriber, 'id'>;

export interface Subscription {
  subscriberId: number;
  newsletterId: string;
  state: ConsentKind;
  stateAt: string;
  source: string;
}

export interface ExportRow {
  subscriber: Subscriber;
  state: ConsentKind;
  stateAt: string;
  source: string;
  /** When consent was last given, if ever. */
  consentedAt: string | null;
  suppressed: string | null;
}

export interface ListSync {
  fingerprint: string;
  rows: number;
  /** The file's own problems (bad rows, duplicates), reported again while the file is unchanged. */
  problems: Problem[];
}

export interface IssueDraft {
  newsletterId: string;
  slot: string;
  window: Window;
  articles: IssueArticle[];
  createdAt: string;
  /** Local-time delivery: the earliest send time for readers in a time zone ('' is the newsletter's). */
  notBefore?: (timezone: string) => string;
  /** Made as a draft for editors' review: no reader is queued until it is released. */
  review?: IssueReview;
}

/** One change to a draft, as its log keeps it. */
export interface IssueEdit {
  at: string;
  editor: string;
  what: string;
}

/** A claimed outbox row with what the worker needs to render and address the message. */
export interface ClaimedDelivery {
  outboxId: number;
  attempts: number;
  firstQueuedAt: string;
  subscriber: Subscriber;
  /** A welcome mail: the issue, with a welcome above it, for a reader who just confirmed. */
  welcome?: boolean;
}

/** What queueing a welcome did: queued on an issue, or why not. */
export type WelcomeOutcome = { outcome: 'queued'; issueId: number } | { outcome: 'already-welcomed' | 'no-issue-yet' | 'had-latest-issue' };

export type DeliveryOutcome =
  | { outboxId: number; state: 'sent'; messageId: string; response: string }
  /** Back to the queue, not counted against the reader (shutdown, or a fault of ours). */
  | { outboxId: number; state: 'queued'; messageId: string; error?: string }
  | { outboxId: number; state: 'deferred'; messageId: string; error: string; nextAttemptAt: string }
  | { outboxId: number; state: 'failed' | 'unknown' | 'skipped'; messageId: string; error: string };

export interface OutboxRow {
  outboxId: number;
  issueId: number;
  subscriberId: number;
  email: string;
  state: DeliveryState;
  attempts: number;
  messageId: string | null;
  lastResponse: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  updatedAt: string;
  /** The worker (host:pid) that last claimed the row. */
  claimedBy: string | null;
  /** While `sending`: until when the claim holds; renewed while its process lives. */
  leaseUntil: string | null;
}

/** A report that came back after the relay's 250 (bounces/intake.ts), as the store keeps it. */
export interface DeliveryEventInput {
  /** Same key, same report: recorded once. */
  dedupeKey: string;
  kind: string;
  channel: string;
  outboxId?: number;
  issueId?: number;
  subscriberId?: number;
  newsletterId?: string;
  /** How it was matched to its row: 'verp', 'message-id', 'recipient-issue', 'unsubscribe-address'. */
  matchedBy?: string;
  /** The match is proven (a signed tag, or a provider's verified webhook); only then does it change anything. */
  verified: boolean;
  recipient?: string;
  status?: string;
  diagnostic?: string;
  raw: string;
  at: string;
}

export interface StoredDeliveryEvent {
  id: number;
  kind: string;
  channel: string;
  outboxId: number | null;
  issueId: number | null;
  subscriberId: number | null;
  newsletterId: string | null;
  matchedBy: string | null;
  verified: boolean;
  effect: string | null;
  recipient: string | null;
  status: string | null;
  diagnostic: string | null;
  raw: string;
  at: string;
  recordedAt: string;
}

/** A queued webhook delivery claimed for sending. */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  type: EventType;
  endpoint: string;
  data: Record<string, unknown>;
  subscriberId: number | null;
  email: string | null;
  at: string;
  attempts: number;
}

export type WebhookOutcome = { state: 'delivered' } | { state: 'pending'; nextAttemptAt: string; error: string } | { state: 'failed'; error: string };

/** Outbox rows of an issue by state and hour (the row's sent time, else its last change), for the dashboard's chart. */
/** What deliveryTimePercentiles answers: null values when no row was sent. */
export interface DeliveryTimes {
  count: number;
  percentiles: (number | null)[];
  maxMs: number | null;
}

export interface TimelineCount {
  /** `YYYY-MM-DDTHH`, UTC. */
  hour: string;
  state: DeliveryState;
  count: number;
}

/** Consent events of a newsletter by day, kind and source: the list's growth. */
export interface GrowthCount {
  day: string;
  kind: ConsentKind;
  source: string;
  count: number;
}

export interface DomainCount {
  domain: string;
  state: DeliveryState;
  count: number;
}

/**
 * The persistence port. The delivery log is the outbox: one row per (issue, subscriber).
 * Every method is atomic on its own; `transaction` groups several.
 */
export interface Store extends EventQueue {
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;

  // audience
  upsertSubscriber(fields: SubscriberFields, now: string): Promise<number>;
  /** Many at once (list sync): email → id. */
  upsertSubscribers(rows: SubscriberFields[], now: string): Promise<Map<string, number>>;
  subscriptionsFor(subscriberIds: number[], newsletterId: string): Promise<Map<number, Subscription>>;
  findSubscriberByEmail(email: string): Promise<Subscriber | undefined>;
  getSubscriber(subscriberId: number): Promise<Subscriber | undefined>;
  /** The reader's own choices from the preference page. */
  updateProfile(subscriberId: number, changes: { locale?: string; topics?: string[] }, now: string): Promise<void>;
  getSubscription(subscriberId: number, newsletterId: string): Promise<Subscription | undefined>;
  /** Appends to the log; the subscription follows when the event is not older than its state. */
  appendConsentEvent(event: ConsentEvent, now: string): Promise<'recorded' | 'duplicate'>;
  /** Many at once; returns how many were new (the rest were already in the log). */
  appendConsentEvents(events: ConsentEvent[], now: string): Promise<number>;
  consentEvents(subscriberId: number): Promise<(ConsentEvent & { recordedAt: string })[]>;
  subscriptionsOf(subscriberId: number): Promise<Subscription[]>;
  /** Every outbox row of a reader, newest first: the per-recipient delivery log. */
  deliveriesOf(subscriberId: number): Promise<(OutboxRow & { issueId: number; newsletterId: string; slot: string })[]>;
  suppression(subscriberId: number): Promise<{ at: string; reason: string } | undefined>;
  countSubscriptions(newsletterId: string): Promise<Partial<Record<ConsentKind, number>>>;
  /** What the last complete sync of a list file found: its bytes' fingerprint, readers and problems. */
  getListSync(path: string): Promise<ListSync | undefined>;
  setListSync(path: string, sync: ListSync, now: string): Promise<void>;

  /** Which of these suppression hashes belong to addresses erased on request. */
  erasedAmong(hashes: string[]): Promise<Set<string>>;
  /**
   * GDPR erasure: deletes the person's consent events and subscriptions, blanks their profile,
   * and keeps only a hash of the address. Outbox rows stay as counts, without personal data.
   */
  erase(subscriberId: number | undefined, emailHash: string, now: string): Promise<void>;
  /** The current state of a newsletter's audience, for export. */
  exportRows(newsletterId: string): Promise<ExportRow[]>;

  // issues
  findIssue(newsletterId: string, slot: string): Promise<Issue | undefined>;
  getIssue(issueId: number): Promise<Issue | undefined>;
  /** The newsletter's latest issue, or its latest before `beforeSlot`. */
  latestIssue(newsletterId: string, beforeSlot?: string): Promise<Issue | undefined>;
  /** Issues with queued rows or deferred rows due at `now`: work for the retry loop. */
  issuesWithWork(now: string): Promise<number[]>;
  sentArticleIds(newsletterId: string): Promise<Set<string>>;
  /** The issue that carried an article, for the archive's article page. */
  issueOfArticle(newsletterId: string, articleId: string): Promise<Issue | undefined>;
  /** Newest first; released issues only (the public archive) unless `unreleased`: drafts and approved ones too. */
  listIssues(newsletterId: string, limit: number, options?: { unreleased?: boolean }): Promise<Issue[]>;
  /** A draft or approved issue's readers are queued, once: true for the caller that did it. */
  releaseIssue(issueId: number, now: string, notBefore?: IssueDraft['notBefore']): Promise<boolean>;
  /** A draft's articles and review after an edit, with the edit logged; false when it is no longer a draft. */
  updateDraft(issueId: number, articles: IssueArticle[], review: IssueReview, edit: IssueEdit): Promise<boolean>;
  /** A draft approved by `editor`, logged; false when it is no longer a draft. */
  approveIssue(issueId: number, editor: string, at: string): Promise<boolean>;
  /** Notes that the editors were told (notifiedAt) or reminded (remindedAt), once: true for the caller that noted it. */
  noteReviewMail(issueId: number, which: 'notifiedAt' | 'remindedAt', at: string): Promise<boolean>;
  /**
   * The welcome of a reader who just confirmed, once per (reader, newsletter) ever: an outbox row
   * (kind welcome) on the newsletter's latest released issue, unless the reader has that issue's
   * row already or no issue was made yet; each case is recorded so it is decided once.
   */
  queueWelcome(subscriberId: number, newsletterId: string, now: string): Promise<WelcomeOutcome>;
  /**
   * welcome.forImports: a welcome for every reader with a current consent who was never welcomed
   * and has no row of the latest released issue (the readers a list file or import just added),
   * in one statement each; returns how many were queued.
   */
  queueImportWelcomes(newsletterId: string, now: string): Promise<number>;
  /** Drafts under review, of every newsletter: waiting for an editor (metrics). */
  draftCount(): Promise<number>;
  /** Every edit of an issue, oldest first. */
  issueEdits(issueId: number): Promise<IssueEdit[]>;
  /**
   * Creates the issue for (newsletter, slot) and queues one outbox row per reader whose consent
   * is current, in one transaction. When another process created it first, returns theirs.
   */
  createIssue(draft: IssueDraft): Promise<{ issue: Issue; created: boolean }>;

  // outbox
  /** Rows left `sending` past their lease belonged to a dead process: `unknown`. */
  expireLeases(issueId: number, now: string): Promise<number>;
  /**
   * Claims up to `limit` due rows (as `sending`, with a lease) and returns those whose reader still
   * consents; the others become `skipped` in the same call.
   */
  claim(issueId: number, newsletterId: string, limit: number, now: string, leaseUntil: string, workerId?: string): Promise<ClaimedDelivery[]>;
  /**
   * Extends the lease of rows this process still holds in `sending` (claimed by `workerId` when
   * given), so that only a dead process's rows expire. Returns how many were extended.
   */
  renewLeases(outboxIds: number[], leaseUntil: string, workerId?: string): Promise<number>;
  /**
   * Records outcomes for rows still `sending`. A `sent` outcome is recorded whatever the row's
   * state meanwhile (unknown after an expired lease, queued again, deferred, failed or skipped by
   * another process): the relay said 250, so the reader was mailed. A row already `sent` keeps
   * its first record.
   */
  record(outcomes: DeliveryOutcome[], now: string): Promise<void>;
  counts(issueId: number): Promise<StateCounts>;
  /** Puts rows of the chosen states back in the queue (the `retry` command); never `sent` rows. */
  requeue(issueId: number, states: ('failed' | 'unknown' | 'deferred')[], now: string): Promise<number>;
  pauseIssue(issueId: number, reason: string, now: string): Promise<void>;
  resumeIssue(issueId: number): Promise<void>;
  /** Suppresses an address for every newsletter (hard bounce, complaint). */
  suppress(subscriberId: number, reason: string, now: string): Promise<void>;
  /** Failed rows of an issue grouped by their last error. */
  failureReasons(issueId: number): Promise<{ reason: string; count: number }[]>;
  nextAttemptAt(issueId: number): Promise<string | undefined>;
  /** Queued rows held for local-time delivery after `now`: how many, and the earliest time. */
  waitingForLocalTime(issueId: number, now: string): Promise<{ count: number; next: string | undefined }>;
  outboxRows(issueId: number): Promise<OutboxRow[]>;
  /** One row by its id (a bounce names it, through the VERP address), or undefined. */
  outboxRow(outboxId: number): Promise<OutboxRow | undefined>;
  /** The row of a reader in an issue, or undefined. */
  outboxRowFor(issueId: number, subscriberId: number): Promise<OutboxRow | undefined>;
  /** Rows by recipient domain and state, for bounce and complaint rates per domain. */
  domainCounts(issueId: number): Promise<DomainCount[]>;

  // reports after the 250 (bounces, complaints, mailto unsubscribes)
  /** Records a report; returns its id, or undefined when the same report (dedupe key) was recorded before. */
  recordDeliveryEvent(event: DeliveryEventInput, now: string): Promise<number | undefined>;
  /** Notes what a recorded report changed. */
  setDeliveryEventEffect(eventId: number, effect: string): Promise<void>;
  /**
   * A later report's verdict on a row: `bounced` for mail that left (sent, in doubt, deferred,
   * failed, or still sending), `complained` over any of those and `bounced`. Returns whether it changed.
   */
  markReported(outboxId: number, state: 'bounced' | 'complained', note: string, now: string): Promise<boolean>;
  /** Messages of a reader with a verified event of a kind since a time (soft bounces in a period: a message delayed at each attempt counts once). */
  countDeliveryEvents(subscriberId: number, kind: string, since: string): Promise<number>;
  /** Recorded reports, newest first: a reader's, an issue's, or those that matched nothing (or nothing proven). */
  deliveryEvents(filter: { subscriberId?: number; issueId?: number; unmatched?: boolean; limit?: number }): Promise<StoredDeliveryEvent[]>;

  // watching delivery (webhooks out, metrics, the dashboard)
  /** Claims up to `limit` webhook deliveries due at `now` (pending, not leased by another process). */
  claimWebhooks(limit: number, now: string, leaseUntil: string): Promise<WebhookDelivery[]>;
  recordWebhook(id: number, outcome: WebhookOutcome, now: string): Promise<void>;
  /** Queued webhook deliveries by state. */
  webhookCounts(): Promise<Record<'pending' | 'delivered' | 'failed', number>>;
  /** Notes the issue finished (nothing queued, sending or deferred) once: true for the caller that noted it. */
  markIssueFinished(issueId: number, now: string): Promise<boolean>;
  /** Outbox rows of every issue by state (metrics). */
  outboxTotals(): Promise<StateCounts>;
  /** When the longest-waiting queued row (of an issue not paused) was queued. */
  oldestQueuedAt(): Promise<string | undefined>;
  /** An issue's rows by hour and state. */
  deliveryTimeline(issueId: number): Promise<TimelineCount[]>;
  /** Milliseconds from queueing to the relay's 250 over an issue's sent (or later bounced or complained) rows: how many, the nearest-rank `percents`, the slowest. */
  deliveryTimePercentiles(issueId: number, percents: readonly number[]): Promise<DeliveryTimes>;
  /** A newsletter's consent events by day, kind and source. */
  listGrowth(newsletterId: string): Promise<GrowthCount[]>;
}
