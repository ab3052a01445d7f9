import { sql } from 'kysely';
import type { IssueDraft, WelcomeOutcome } from './store.js';
import type { Issue } from '../domain/types.js';
import { claimable, toIssue, type Db } from './rows.js';
import type { IssueArticle, IssueReview } from '../domain/types.js';
import { AudienceQueries } from './audience-queries.js';

/** Issue queries: one issue per (newsletter, slot), created with its outbox rows in one transaction. */
export abstract class IssueQueries extends AudienceQueries {
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
      .where(claimable(now))
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
      // A draft's articles are not public before it goes.
      .where((eb) => eb.or([eb('issues.review_state', 'is', null), eb('issues.review_state', '=', 'released')]))
      .executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async listIssues(newsletterId: string, limit: number, options: { unreleased?: boolean } = {}): Promise<Issue[]> {
    let q = this.db.selectFrom('issues').selectAll().where('newsletter_id', '=', newsletterId);
    if (!options.unreleased) q = q.where((eb) => eb.or([eb('review_state', 'is', null), eb('review_state', '=', 'released')]));
    const rows = await q.orderBy('slot', 'desc').limit(limit).execute();
    return rows.map(toIssue);
  }

  async releaseIssue(issueId: number, now: string, notBefore?: IssueDraft['notBefore']): Promise<boolean> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      // Whoever moves the state queues the readers; a second caller finds it released and does nothing.
      // Writing first takes SQLite's write lock at once (a read first could not be upgraded under a concurrent writer).
      const issue = await db
        .updateTable('issues')
        .set({ review_state: 'released' })
        .where('id', '=', issueId)
        .where('review_state', 'in', ['draft', 'approved'])
        .returning('newsletter_id')
        .executeTakeFirst();
      if (!issue) return false;
      await queueReaders(db, issueId, issue.newsletter_id, now, notBefore);
      return true;
    });
  }

  async updateDraft(issueId: number, articles: IssueArticle[], review: IssueReview, edit: { at: string; editor: string; what: string }): Promise<boolean> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      const r = await db
        .updateTable('issues')
        .set({ articles: JSON.stringify(articles), review: reviewJson(review) })
        .where('id', '=', issueId)
        .where('review_state', '=', 'draft')
        .returning('newsletter_id')
        .executeTakeFirst();
      if (!r) return false;
      // The articles the draft holds are promised to it: no later issue takes them; an excluded one is free again.
      await db.deleteFrom('issue_articles').where('issue_id', '=', issueId).execute();
      if (articles.length > 0)
        await db
          .insertInto('issue_articles')
          .values(articles.map((a) => ({ newsletter_id: r.newsletter_id, article_id: a.id, issue_id: issueId })))
          .execute();
      await db.insertInto('issue_edits').values({ issue_id: issueId, at: edit.at, editor: edit.editor, what: edit.what }).execute();
      return true;
    });
  }

  async approveIssue(issueId: number, editor: string, at: string): Promise<boolean> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      // The state moves first (the write lock at once, and one caller wins), then who and when join the review.
      const row = await db.updateTable('issues').set({ review_state: 'approved' }).where('id', '=', issueId).where('review_state', '=', 'draft').returning('review').executeTakeFirst();
      if (!row) return false;
      const review = { ...(JSON.parse(row.review ?? '{}') as Omit<IssueReview, 'state'>), approvedBy: editor, approvedAt: at };
      await db
        .updateTable('issues')
        .set({ review: JSON.stringify(review) })
        .where('id', '=', issueId)
        .execute();
      await db.insertInto('issue_edits').values({ issue_id: issueId, at, editor, what: 'approved' }).execute();
      return true;
    });
  }

  async noteReviewMail(issueId: number, which: 'notifiedAt' | 'remindedAt', at: string): Promise<boolean> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      // A write first (it changes nothing) takes SQLite's write lock, so what is read is the latest.
      const row = await db
        .updateTable('issues')
        .set((eb) => ({ review: eb.ref('review') }))
        .where('id', '=', issueId)
        .where('review_state', 'is not', null)
        .returning('review')
        .executeTakeFirst();
      const review = row ? (JSON.parse(row.review ?? '{}') as Omit<IssueReview, 'state'>) : undefined;
      if (!review || review[which]) return false;
      await db
        .updateTable('issues')
        .set({ review: JSON.stringify({ ...review, [which]: at }) })
        .where('id', '=', issueId)
        .execute();
      return true;
    });
  }

  async queueWelcome(subscriberId: number, newsletterId: string, now: string): Promise<WelcomeOutcome> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      const first = await db
        .insertInto('welcomes')
        .values({ subscriber_id: subscriberId, newsletter_id: newsletterId, issue_id: null, outcome: 'deciding', at: now })
        .onConflict((oc) => oc.columns(['subscriber_id', 'newsletter_id']).doNothing())
        .returning('subscriber_id')
        .executeTakeFirst();
      if (!first) return { outcome: 'already-welcomed' as const };
      const latest = (await s.listIssues(newsletterId, 1))[0];
      const had = latest && (await db.selectFrom('outbox').select('id').where('issue_id', '=', latest.id).where('subscriber_id', '=', subscriberId).executeTakeFirst());
      const outcome: WelcomeOutcome = !latest ? { outcome: 'no-issue-yet' } : had ? { outcome: 'had-latest-issue' } : { outcome: 'queued', issueId: latest.id };
      if (outcome.outcome === 'queued') {
        await db.insertInto('outbox').values({ issue_id: outcome.issueId, subscriber_id: subscriberId, state: 'queued', attempts: 0, created_at: now, updated_at: now, kind: 'welcome' }).execute();
      }
      await db
        .updateTable('welcomes')
        .set({ outcome: outcome.outcome, issue_id: outcome.outcome === 'queued' ? outcome.issueId : null })
        .where('subscriber_id', '=', subscriberId)
        .where('newsletter_id', '=', newsletterId)
        .execute();
      return outcome;
    });
  }

  async queueImportWelcomes(newsletterId: string, now: string): Promise<number> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
      const latest = (await s.listIssues(newsletterId, 1))[0];
      if (!latest) return 0;
      const r = await db
        .insertInto('outbox')
        .columns(['issue_id', 'subscriber_id', 'state', 'attempts', 'created_at', 'updated_at', 'kind'])
        .expression((eb) =>
          eb
            .selectFrom('subscriptions')
            .select([
              sql.lit(latest.id).as('issue_id'),
              'subscriber_id',
              sql.lit('queued').as('state'),
              sql.lit(0).as('attempts'),
              sql.lit(now).as('created_at'),
              sql.lit(now).as('updated_at'),
              sql.lit('welcome').as('kind'),
            ])
            .where('newsletter_id', '=', newsletterId)
            .where('state', '=', 'consent')
            .where('subscriber_id', 'not in', (sub) => sub.selectFrom('subscribers').select('id').where('suppressed_at', 'is not', null))
            .where('subscriber_id', 'not in', (sub) => sub.selectFrom('welcomes').select('subscriber_id').where('newsletter_id', '=', newsletterId))
            .where('subscriber_id', 'not in', (sub) => sub.selectFrom('outbox').select('subscriber_id').where('issue_id', '=', latest.id)),
        )
        .executeTakeFirst();
      const queued = Number(r.numInsertedOrUpdatedRows ?? 0);
      if (queued > 0) {
        await db
          .insertInto('welcomes')
          .columns(['subscriber_id', 'newsletter_id', 'issue_id', 'outcome', 'at'])
          .expression((eb) =>
            eb
              .selectFrom('outbox')
              .select(['subscriber_id', sql.lit(newsletterId).as('newsletter_id'), sql.lit(latest.id).as('issue_id'), sql.lit('queued').as('outcome'), sql.lit(now).as('at')])
              .where('issue_id', '=', latest.id)
              .where('kind', '=', 'welcome')
              .where('created_at', '=', now),
          )
          .onConflict((oc) => oc.columns(['subscriber_id', 'newsletter_id']).doNothing())
          .execute();
      }
      return queued;
    });
  }

  async draftCount(): Promise<number> {
    const r = await this.db
      .selectFrom('issues')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('review_state', '=', 'draft')
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async issueEdits(issueId: number): Promise<{ at: string; editor: string; what: string }[]> {
    return this.db.selectFrom('issue_edits').select(['at', 'editor', 'what']).where('issue_id', '=', issueId).orderBy('id').execute();
  }

  async createIssue(d: IssueDraft): Promise<{ issue: Issue; created: boolean }> {
    return this.transaction(async (s) => {
      const db = (s as unknown as IssueQueries).db;
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
          ...(d.review ? { review_state: d.review.state, review: reviewJson(d.review) } : {}),
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
      // A draft under review queues nobody until it is released (releaseIssue).
      if (!d.review) await queueReaders(db, inserted.id, d.newsletterId, d.createdAt, d.notBefore);
      const issue = await s.getIssue(inserted.id);
      return { issue: issue!, created: true };
    });
  }
}

/** One outbox row per reader whose consent is current and who is not suppressed; held per time zone for local-time delivery. */
async function queueReaders(db: Db, issueId: number, newsletterId: string, at: string, notBefore: IssueDraft['notBefore']): Promise<void> {
  // No ORDER BY: sorting a million readers took SQLite's sorter about 50 MB at once (the peak
  // of a whole send); rows go in the order the subscriptions index gives, in practice the list's.
  await db
    .insertInto('outbox')
    .columns(['issue_id', 'subscriber_id', 'state', 'attempts', 'created_at', 'updated_at'])
    .expression((eb) =>
      eb
        .selectFrom('subscriptions')
        .select([sql.lit(issueId).as('issue_id'), 'subscriber_id', sql.lit('queued').as('state'), sql.lit(0).as('attempts'), sql.lit(at).as('created_at'), sql.lit(at).as('updated_at')])
        .where('newsletter_id', '=', newsletterId)
        .where('state', '=', 'consent')
        .where('subscriber_id', 'not in', (sub) => sub.selectFrom('subscribers').select('id').where('suppressed_at', 'is not', null)),
    )
    .execute();
  if (notBefore) {
    const zones = await db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select('subscribers.timezone as tz')
      .distinct()
      .where('outbox.issue_id', '=', issueId)
      .execute();
    for (const { tz } of zones) {
      await db
        .updateTable('outbox')
        .set({ not_before: notBefore(tz) })
        .where('issue_id', '=', issueId)
        .where('subscriber_id', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('timezone', '=', tz))
        .execute();
    }
  }
}

/** The review as stored beside its state column. */
function reviewJson(review: IssueReview): string {
  const { state: _state, ...rest } = review;
  return JSON.stringify(rest);
}
