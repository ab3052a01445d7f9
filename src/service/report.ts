import type { StateCounts } from '../domain/types.js';
import type { OutboxRow, StoredDeliveryEvent } from '../store/store.js';
import { complaintVerdict, percent, ratesOf, type ComplaintVerdict, type Rates } from '../bounces/rates.js';
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
  /** Editors' review: draft (nobody queued yet), approved (queued at its slot), released; null without review. */
  review: { state: string; approvedBy: string | null; approvedAt: string | null } | null;
  /** Bounce and complaint rates over the mail that left, and what the complaint guard makes of them. */
  rates: Rates & { complaints: ComplaintVerdict };
  /** Per recipient domain, busiest first: counts by state and rates. */
  domains: { domain: string; counts: Partial<StateCounts>; total: number; bounceRate: number; complaintRate: number }[];
  recipients?: OutboxRow[];
  /** With --recipients: the reports that came back after the 250 (bounces, complaints), newest first. */
  reports?: StoredDeliveryEvent[];
}

/** The delivery log of one issue, or of each newsletter's latest issue. */
/** Rows by domain and state, folded into one entry per domain with its rates. */
async function domainsOf(app: App, issueId: number): Promise<IssueReport['domains']> {
  const byDomain = new Map<string, Partial<StateCounts>>();
  for (const d of await app.store.domainCounts(issueId)) {
    const counts = byDomain.get(d.domain) ?? {};
    counts[d.state] = (counts[d.state] ?? 0) + d.count;
    byDomain.set(d.domain, counts);
  }
  return [...byDomain]
    .map(([domain, counts]) => {
      const r = ratesOf({ sent: counts.sent ?? 0, bounced: counts.bounced ?? 0, complained: counts.complained ?? 0 });
      return { domain, counts, total: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0), bounceRate: r.bounceRate, complaintRate: r.complaintRate };
    })
    .sort((a, b) => b.total - a.total || a.domain.localeCompare(b.domain));
}

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
      review: issue.review ? { state: issue.review.state, approvedBy: issue.review.approvedBy ?? null, approvedAt: issue.review.approvedAt ?? null } : null,
      rates: { ...ratesOf(counts), complaints: complaintVerdict(ratesOf(counts), config.bounces.complaints) },
      domains: await domainsOf(app, issue.id),
      ...(options.recipients ? { recipients: await store.outboxRows(issue.id), reports: await store.deliveryEvents({ issueId: issue.id, limit: 100_000 }) } : {}),
    });
  }
  return reports;
}

export function formatReport(r: IssueReport): string {
  const c = r.counts;
  const lines = [
    `${r.newsletter}: issue #${r.issue}, slot ${r.slot}, ${r.articles} articles, ${r.total} recipients`,
    `  sent ${c.sent} · queued ${c.queued} · sending ${c.sending} · deferred ${c.deferred} · failed ${c.failed} · skipped ${c.skipped} · unknown ${c.unknown} · bounced ${c.bounced} · complained ${c.complained}`,
  ];
  if (r.rates.left > 0) {
    const flag =
      r.rates.complaints === 'pause' ? '  ABOVE bounces.complaints.pauseRate: the next issue waits (send --despite-complaints)' : r.rates.complaints === 'warn' ? '  above the warning threshold' : '';
    lines.push(`  bounce rate ${percent(r.rates.bounceRate)} (${r.rates.bounced}) · complaint rate ${percent(r.rates.complaintRate)} (${r.rates.complained})${flag}`);
  }
  const busy = r.domains.filter((d) => (d.counts.bounced ?? 0) + (d.counts.complained ?? 0) + (d.counts.failed ?? 0) + (d.counts.deferred ?? 0) > 0 || r.domains.length <= 10).slice(0, 10);
  for (const d of busy) {
    const parts = Object.entries(d.counts).map(([state, n]) => `${state} ${n}`);
    lines.push(`  ${d.domain}: ${d.total} (${parts.join(', ')}) · bounces ${percent(d.bounceRate)} · complaints ${percent(d.complaintRate)}`);
  }
  if (r.paused) lines.push(`  PAUSED: ${r.paused}`);
  if (r.review?.state === 'draft') lines.push(`  DRAFT under review: nobody is queued until it is released (approve it: \`newsletter approve --newsletter ${r.newsletter} --issue ${r.issue}\`)`);
  if (r.review?.state === 'approved') lines.push(`  approved by ${r.review.approvedBy ?? '?'}: its readers are queued at its slot`);
  if (r.nextAttemptAt) lines.push(`  next retry of deferred readers: ${r.nextAttemptAt}`);
  for (const f of r.failures) lines.push(`  failed ×${f.count}: ${f.reason}`);
  if (c.unknown > 0) lines.push(`  ${c.unknown} in doubt (may have arrived); \`newsletter retry --issue ${r.issue} --unknown\` sends them once more with the same Message-ID`);
  const reportsOf = new Map<number, StoredDeliveryEvent[]>();
  for (const e of r.reports ?? []) if (e.outboxId !== null) reportsOf.set(e.outboxId, [...(reportsOf.get(e.outboxId) ?? []), e]);
  for (const row of r.recipients ?? []) {
    const last = row.state === 'sent' ? row.lastResponse : row.lastError;
    lines.push(`  ${row.email}\t${row.state}\tattempts ${row.attempts}\t${row.sentAt ?? row.updatedAt}${last ? `\t${last}` : ''}`);
    for (const e of reportsOf.get(row.outboxId) ?? []) lines.push(`      ${formatEvent(e)}`);
  }
  return lines.join('\n') + '\n';
}

/** One report after the 250, as a line: time, kind, way in, proof, effect, diagnostic. */
export function formatEvent(e: StoredDeliveryEvent): string {
  const proof = e.verified ? `matched by ${e.matchedBy}` : e.matchedBy ? `named by ${e.matchedBy}, not proven: nothing changed` : 'matched nothing';
  const said = [e.status, e.diagnostic].filter(Boolean).join(' ');
  return `${e.at}  ${e.kind} via ${e.channel} (${proof})${e.effect ? ` → ${e.effect}` : ''}${said ? ` — ${said.slice(0, 200)}` : ''}`;
}

/** Reports that matched no row of ours, or named one without proof: kept and listed, never dropped. */
export async function unmatchedReports(app: App, limit = 200): Promise<StoredDeliveryEvent[]> {
  return app.store.deliveryEvents({ unmatched: true, limit });
}
