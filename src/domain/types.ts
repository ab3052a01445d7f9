/** Names here match the README glossary: article, issue, slot, window, outbox, consent event. */

export interface Article {
  /** Stable id: front matter `id`, else the file name; for feeds the guid, else URL, else hash. */
  id: string;
  title: string;
  /** Where "read more" points; when absent the web archive's page for the article is used. */
  url?: string;
  publishedAt: string; // ISO 8601, UTC
  lang?: string;
  topics: string[];
  /** Plain text, shown as the card's excerpt. */
  excerpt: string;
  /** Plain-text paragraphs of the body (the archive page shows them). */
  paragraphs: string[];
  author?: string;
  image?: { url: string; alt: string };
  /** Id of the article this one translates; a translation is never a second article of an issue. */
  translationOf?: string;
  /** File or URL the article came from, for reports. */
  origin: string;
}

/** An issue's article with the translations that readers of other languages get instead. */
export interface IssueArticle extends Article {
  translations: Record<string, Article>;
}

export interface Window {
  /** Exclusive start: the previous issue's slot, or slot minus the first-issue look-back. */
  start: string | null;
  /** Inclusive end: the issue's slot. Nothing published after the slot is taken. */
  end: string;
}

/** The frozen record of one newsletter's issue for one slot; unique per (newsletter, slot). */
export interface Issue {
  id: number;
  newsletterId: string;
  slot: string;
  window: Window;
  articles: IssueArticle[];
  createdAt: string;
  /** Set when delivery stopped for a fault of ours (e.g. the relay refuses our login) until an operator resumes it. */
  pausedReason?: string;
  /** Editors' review (domain/review.ts): absent for an issue made without one (review mode none). */
  review?: IssueReview;
}

/**
 * An issue under editors' review. `draft`: composed ahead of its slot, its articles editable,
 * no reader queued; `approved`: frozen by an editor, queued at its slot; `released`: its readers
 * are queued (approved, or sent as it stood at the slot in mode optional).
 */
export interface IssueReview {
  state: 'draft' | 'approved' | 'released';
  /** Articles an editor took out, kept so they can be put back. */
  excluded: IssueArticle[];
  /** The editor's note per locale (Markdown), shown above the articles. */
  note: Record<string, string>;
  /** A subject per locale instead of the locale file's. */
  subject: Record<string, string>;
  approvedBy?: string;
  approvedAt?: string;
  /** When the editors were told the draft is open, and reminded that it waits. */
  notifiedAt?: string;
  remindedAt?: string;
}

/** `bounced` and `complained` come after `sent`, from reports that arrive later (bounces/intake.ts). */
export const DeliveryStates = ['queued', 'sending', 'sent', 'deferred', 'failed', 'skipped', 'unknown', 'bounced', 'complained'] as const;
export type DeliveryState = (typeof DeliveryStates)[number];

export type StateCounts = Record<DeliveryState, number>;

export function emptyCounts(): StateCounts {
  return { queued: 0, sending: 0, sent: 0, deferred: 0, failed: 0, skipped: 0, unknown: 0, bounced: 0, complained: 0 };
}

/** A person on a list, as the store holds them. */
export interface Subscriber {
  id: number;
  email: string;
  name: string;
  locale: string;
  timezone: string;
  topics: string[];
  /** Extra list-file columns, for templates ({{attr "company"}}). */
  attributes: Record<string, string>;
}

/** Consent events are append-only; the latest one per (subscriber, newsletter) is the state. */
export const ConsentKinds = ['pending', 'consent', 'withdrawn', 'bounced', 'complained'] as const;
export type ConsentKind = (typeof ConsentKinds)[number];

export interface ConsentEvent {
  subscriberId: number;
  newsletterId: string;
  kind: ConsentKind;
  at: string;
  source: string;
  ip?: string;
  userAgent?: string;
  /** Version of the consent wording the person was shown (e.g. "signup-form-2026-01"). */
  wording?: string;
}

/** The only source of time for calculations; tests inject a fixed one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
