import type { App } from '../app.js';
import type { NewsletterConfig } from '../config/schema.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { Issue } from '../domain/types.js';

/** The states `retry` can put back in the queue. */
export type RetryableState = 'deferred' | 'failed' | 'unknown';

export interface RetryPlan {
  issue: Issue;
  newsletter: NewsletterConfig;
  /** The states put back in the queue. */
  states: RetryableState[];
  requeued: number;
  /** Whether a pause was lifted. */
  resumed: boolean;
}

/**
 * `retry`: puts an issue's deferred readers (and failed or in-doubt ones when asked) back in the
 * queue and lifts its pause. A sent reader is never queued again (the store refuses). Delivering
 * them is `sendNewsletter` for the issue's slot, which the caller runs when it wants to.
 */
export async function requeueIssue(app: App, issueId: number, also: { failed?: boolean; unknown?: boolean }): Promise<RetryPlan> {
  const issue = await app.store.getIssue(issueId);
  if (!issue) throw new NewsletterError(ErrorCodes.USAGE, `there is no issue ${issueId} in this store`);
  const newsletter = app.config.newsletters.find((n) => n.id === issue.newsletterId);
  if (!newsletter) throw new NewsletterError(ErrorCodes.USAGE, `issue ${issueId} belongs to newsletter "${issue.newsletterId}", which is not in ${app.config.file}`);
  const states: RetryableState[] = ['deferred', ...(also.failed ? (['failed'] as const) : []), ...(also.unknown ? (['unknown'] as const) : [])];
  const requeued = await app.store.requeue(issue.id, states, app.clock.now().toISOString());
  const resumed = Boolean(issue.pausedReason);
  if (resumed) await app.store.resumeIssue(issue.id);
  return { issue, newsletter, states, requeued, resumed };
}
