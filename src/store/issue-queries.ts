import { sql } from 'kysely';
import type { IssueDraft } from './store.js';
import type { Issue } from '../domain/types.js';
import { claimable, toIssue } from './rows.js';
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
      .executeTakeFirst();
    return row ? toIssue(row) : undefined;
  }

  async listIssues(newsletterId: string, limit: number): Promise<Issue[]> {
    const rows = await this.db.selectFrom('issues').selectAll().where('newsletter_id', '=', newsletterId).orderBy('slot', 'desc').limit(limit).execute();
    return rows.map(toIssue);
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
      // No ORDER BY: sorting a million readers took SQLite's sorter about 50 MB at once (the peak
      // of a whole send); rows go in the order the subscriptions index gives, in practice the list's.
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
            .where('subscriber_id', 'not in', (sub) => sub.selectFrom('subscribers').select('id').where('suppressed_at', 'is not', null)),
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
}
