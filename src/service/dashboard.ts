import type { App } from '../app.js';
import type { StateCounts } from '../domain/types.js';
import { reportIssues, type IssueReport } from './report.js';

/**
 * What the preview's dashboard shows of an issue. Its counts, rates and domains are
 * `reportIssues`' (the same service as `report --json`, so the two never disagree); the series
 * beside them (deliveries by hour, delivery times, the list's growth, the readers in doubt) come
 * from the store's aggregates.
 */
export interface IssueDashboard {
  report: IssueReport;
  /** Rows by the hour of their sent time (else their last change) and state. */
  timeline: { hour: string; counts: Partial<StateCounts> }[];
  /** From queueing to the relay's 250, in seconds, over the rows that were sent. */
  deliveryTimes: { count: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** The newsletter's consent events by day: consents, withdrawals, and bounces and complaints by source. */
  growth: { day: string; consents: number; withdrawals: number; pending: number; lost: Record<string, number> }[];
  /** Readers in doubt (the data went out, no reply came), at most 200, and what to do about them. */
  inDoubt: { email: string; since: string; reason: string | null }[];
  action: string | null;
  thresholds: { warnRate: number; pauseRate: number };
}

export async function issueDashboards(app: App, options: { issue?: number; newsletter?: string }): Promise<IssueDashboard[]> {
  const out: IssueDashboard[] = [];
  for (const report of await reportIssues(app, options)) {
    const byHour = new Map<string, Partial<StateCounts>>();
    for (const t of await app.store.deliveryTimeline(report.issue)) {
      const counts = byHour.get(t.hour) ?? {};
      counts[t.state] = (counts[t.state] ?? 0) + t.count;
      byHour.set(t.hour, counts);
    }
    const times = await app.store.deliveryTimePercentiles(report.issue, [50, 90, 99]);
    const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / 1000);
    const byDay = new Map<string, IssueDashboard['growth'][number]>();
    for (const g of await app.store.listGrowth(report.newsletter)) {
      const day = byDay.get(g.day) ?? { day: g.day, consents: 0, withdrawals: 0, pending: 0, lost: {} };
      if (g.kind === 'consent') day.consents += g.count;
      else if (g.kind === 'withdrawn') day.withdrawals += g.count;
      else if (g.kind === 'pending') day.pending += g.count;
      else day.lost[`${g.kind} (${g.source})`] = (day.lost[`${g.kind} (${g.source})`] ?? 0) + g.count;
      byDay.set(g.day, day);
    }
    const inDoubt =
      report.counts.unknown > 0
        ? (await app.store.outboxRows(report.issue))
            .filter((r) => r.state === 'unknown')
            .slice(0, 200)
            .map((r) => ({ email: r.email, since: r.updatedAt, reason: r.lastError }))
        : [];
    out.push({
      report,
      timeline: [...byHour].map(([hour, counts]) => ({ hour, counts })),
      deliveryTimes: { count: times.count, p50: seconds(times.percentiles[0]), p90: seconds(times.percentiles[1]), p99: seconds(times.percentiles[2]), max: seconds(times.maxMs) },
      growth: [...byDay.values()],
      inDoubt,
      action: report.counts.unknown > 0 ? `newsletter retry --issue ${report.issue} --unknown` : null,
      thresholds: app.config.bounces.complaints,
    });
  }
  return out;
}
