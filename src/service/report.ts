import type { StateCounts } from '../domain/types.js';
import type { OutboxRow } from '../store/store.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { App } from '../app.js';

export interface IssueReport {
  issue: number;
  newsletter: string;
  slot: string;
  articles: number;
  counts: StateCounts;
  total: number;
  failures: { reason: string; count: number }[];
  nextAttemptAt: string | null;
  paused: string | null;
  recipients?: OutboxRow[];
}

/** The delivery log of one issue, or of each newsletter's latest issue. */
export async function reportIssues(app: App, options: { issue?: number; newsletter?: string; recipients?: boolean }): Promise<IssueReport[]> {
  const { store, config } = app;
  const issues = [];
  if (options.issue !== undefined) {
    const issue = await store.getIssue(options.issue);
    if (!issue) throw new NewsletterError(ErrorCodes.USAGE, `there is no issue ${options.issue} in this store`);
    issues.push(issue);
  } else {
    for (const n of config.newsletters.filter((x) => !options.newsletter || x.id === options.newsletter)) {
      const latest = await store.latestIssue(n.id);
      if (latest) issues.push(latest);
    }
  }
  const reports: IssueReport[] = [];
  for (const issue of issues) {
    const counts = await store.counts(issue.id);
    reports.push({
      issue: issue.id,
      newsletter: issue.newsletterId,
      slot: issue.slot,
      articles: issue.articles.length,
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      failures: await store.failureReasons(issue.id),
      nextAttemptAt: counts.deferred > 0 ? ((await store.nextAttemptAt(issue.id)) ?? null) : null,
      paused: issue.pausedReason ?? null,
      ...(options.recipients ? { recipients: await store.outboxRows(issue.id) } : {}),
    });
  }
  return reports;
}

export function formatReport(r: IssueReport): string {
  const c = r.counts;
  const lines = [
    `${r.newsletter}: issue #${r.issue}, slot ${r.slot}, ${r.articles} articles, ${r.total} recipients`,
    `  sent ${c.sent} · queued ${c.queued} · sending ${c.sending} · deferred ${c.deferred} · failed ${c.failed} · skipped ${c.skipped} · unknown ${c.unknown}`,
  ];
  if (r.paused) lines.push(`  PAUSED: ${r.paused}`);
  if (r.nextAttemptAt) lines.push(`  next retry of deferred readers: ${r.nextAttemptAt}`);
  for (const f of r.failures) lines.push(`  failed ×${f.count}: ${f.reason}`);
  if (c.unknown > 0) lines.push(`  ${c.unknown} in doubt (may have arrived); \`newsletter retry --issue ${r.issue} --unknown\` sends them once more with the same Message-ID`);
  for (const row of r.recipients ?? []) {
    const last = row.state === 'sent' ? row.lastResponse : row.lastError;
    lines.push(`  ${row.email}\t${row.state}\tattempts ${row.attempts}\t${row.sentAt ?? row.updatedAt}${last ? `\t${last}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
