import { editorTime } from '../domain/dates.js';
import { escapeHtml as e } from '../domain/html.js';
import { percent } from '../bounces/rates.js';
import type { StateCounts } from '../domain/types.js';
import type { IssueDashboard } from '../service/dashboard.js';

/**
 * The dashboard as one page: charts drawn here as SVG (no script, no library, nothing from a
 * CDN), each followed by the table it is drawn from, so the page reads without JavaScript, to a
 * screen reader, and in a terminal browser. Colours are CSS variables that change with
 * `prefers-color-scheme`; every number is also in a table cell with its raw value in `data-value`.
 */
const STATES = ['sent', 'queued', 'sending', 'deferred', 'failed', 'unknown', 'bounced', 'complained', 'skipped'] as const;

const STYLE = `
  :root { color-scheme: light dark; --bg: #f4f5f7; --paper: #ffffff; --fg: #1f2933; --muted: #52606d; --line: #cbd2d9; --grid: #e4e7eb;
    --sent: #2f855a; --queued: #718096; --sending: #4299e1; --deferred: #d69e2e; --failed: #c53030; --unknown: #805ad5; --bounced: #dd6b20; --complained: #b83280; --skipped: #a0aec0;
    --warn: #b7791f; --pause: #c53030; --consents: #2f855a; --withdrawals: #c53030; --pending: #4299e1; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111827; --paper: #1f2937; --fg: #f3f4f6; --muted: #d1d5db; --line: #4b5563; --grid: #374151;
      --sent: #68d391; --queued: #a0aec0; --sending: #63b3ed; --deferred: #f6e05e; --failed: #fc8181; --unknown: #b794f4; --bounced: #f6ad55; --complained: #f687b3; --skipped: #718096;
      --warn: #f6e05e; --pause: #fc8181; --consents: #68d391; --withdrawals: #fc8181; --pending: #63b3ed; }
  }
  body { font: 15px/1.45 -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header { padding: 12px 16px; background: var(--paper); border-bottom: 1px solid var(--line); }
  header a, main a { color: var(--fg); }
  main { padding: 16px; max-width: 1000px; }
  section { background: var(--paper); border: 1px solid var(--line); padding: 12px 16px; margin: 0 0 16px; }
  h1 { font-size: 20px; margin: 0; } h2 { font-size: 18px; margin: 0 0 8px; } h3 { font-size: 16px; margin: 16px 0 6px; }
  table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: right; }
  th[scope=row], td.text { text-align: left; } caption { text-align: left; color: var(--muted); padding: 4px 0; }
  .muted { color: var(--muted); } .flag { font-weight: bold; }
  svg { display: block; max-width: 100%; height: auto; } svg text { fill: var(--fg); font-size: 14px; }
  .grid { stroke: var(--grid); } .axis { stroke: var(--line); }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0; padding: 0; list-style: none; }
  .sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border: 1px solid var(--line); }
  ${STATES.map((s) => `.f-${s} { fill: var(--${s}); } .b-${s} { background: var(--${s}); }`).join(' ')}
  .f-consents { fill: var(--consents); } .b-consents { background: var(--consents); } .f-withdrawals { fill: var(--withdrawals); } .b-withdrawals { background: var(--withdrawals); }
  .f-pending { fill: var(--pending); } .b-pending { background: var(--pending); }
  .l-warn { stroke: var(--warn); stroke-dasharray: 4 3; stroke-width: 2; } .l-pause { stroke: var(--pause); stroke-width: 2; }
  code { font-family: ui-monospace, monospace; }
`;

const num = (n: number) => n.toLocaleString('en');
const seconds = (s: number | null) => (s === null ? '–' : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const cell = (n: number, attrs = '') => `<td data-value="${n}"${attrs}>${num(n)}</td>`;

function legend(items: { cls: string; label: string }[]): string {
  return `<ul class="legend" aria-hidden="true">${items.map((i) => `<li><span class="sw b-${i.cls}"></span>${e(i.label)}</li>`).join('')}</ul>`;
}

/** Stacked bars, one per hour, by state. */
function timelineChart(d: IssueDashboard, id: string): string {
  const W = 720;
  const H = 220;
  const pad = { l: 48, r: 8, t: 10, b: 34 };
  const rows = d.timeline;
  if (rows.length === 0) return '<p class="muted">No delivery yet.</p>';
  const max = Math.max(1, ...rows.map((r) => Object.values(r.counts).reduce((a, b) => a + (b ?? 0), 0)));
  const band = (W - pad.l - pad.r) / rows.length;
  const y = (v: number) => ((H - pad.t - pad.b) * v) / max;
  const bars = rows
    .map((r, i) => {
      let top = H - pad.b;
      const x = pad.l + i * band + band * 0.15;
      const rects = STATES.filter((s) => (r.counts[s] ?? 0) > 0).map((s) => {
        const h = y(r.counts[s]!);
        top -= h;
        return `<rect class="f-${s}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(band * 0.7).toFixed(1)}" height="${h.toFixed(1)}"></rect>`;
      });
      const label = rows.length <= 12 || i % Math.ceil(rows.length / 12) === 0 ? `<text x="${(x + band * 0.35).toFixed(1)}" y="${H - 12}" text-anchor="middle">${e(r.hour.slice(11, 13))}h</text>` : '';
      return rects.join('') + label;
    })
    .join('');
  const grid = `<line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"></line><line class="grid" x1="${pad.l}" y1="${pad.t}" x2="${W - pad.r}" y2="${pad.t}"></line><text x="${pad.l - 6}" y="${pad.t + 5}" text-anchor="end">${num(max)}</text><text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end">0</text>`;
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">Deliveries by hour (UTC) and state, from ${e(rows[0]!.hour)}:00 to ${e(rows.at(-1)!.hour)}:00; the table below has the numbers</title>${grid}${bars}</svg>`;
}

function timelineTable(d: IssueDashboard, id: string): string {
  const used = STATES.filter((s) => d.timeline.some((r) => (r.counts[s] ?? 0) > 0));
  const head = `<tr><th scope="col">hour (UTC)</th>${used.map((s) => `<th scope="col">${s}</th>`).join('')}</tr>`;
  const body = d.timeline.map((r) => `<tr><th scope="row">${e(r.hour.replace('T', ' '))}:00</th>${used.map((s) => cell(r.counts[s] ?? 0)).join('')}</tr>`).join('');
  return `<table id="${id}"><caption>Readers by the hour of their last change (sent: of the relay's 250)</caption>${head}${body}</table>`;
}

/** Complaint rate per domain as horizontal bars, with the 0.1 % and 0.3 % lines Gmail and Yahoo draw. */
function domainChart(d: IssueDashboard, id: string): string {
  const domains = d.report.domains.slice(0, 12);
  if (domains.length === 0) return '';
  const W = 720;
  const row = 26;
  const pad = { l: 170, r: 60, t: 24, b: 8 };
  const H = pad.t + pad.b + row * domains.length;
  const scale = Math.max(d.thresholds.pauseRate * 1.5, ...domains.map((x) => x.complaintRate));
  const x = (rate: number) => pad.l + ((W - pad.l - pad.r) * rate) / scale;
  const bars = domains
    .map((dm, i) => {
      const top = pad.t + i * row;
      return `<text x="${pad.l - 8}" y="${top + 17}" text-anchor="end">${e(dm.domain)}</text><rect class="f-complained" x="${pad.l}" y="${top + 5}" width="${Math.max(0, x(dm.complaintRate) - pad.l).toFixed(1)}" height="16"></rect><text x="${(x(dm.complaintRate) + 6).toFixed(1)}" y="${top + 17}">${e(percent(dm.complaintRate))}</text>`;
    })
    .join('');
  const line = (rate: number, cls: string, label: string) =>
    `<line class="${cls}" x1="${x(rate).toFixed(1)}" y1="${pad.t - 4}" x2="${x(rate).toFixed(1)}" y2="${H - pad.b}"></line><text x="${x(rate).toFixed(1)}" y="${pad.t - 8}" text-anchor="middle">${e(label)}</text>`;
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">Complaint rate per recipient domain, with the warning line at ${e(percent(d.thresholds.warnRate))} and the pause line at ${e(percent(d.thresholds.pauseRate))}; the table below has the numbers</title>${bars}${line(d.thresholds.warnRate, 'l-warn', `warn ${percent(d.thresholds.warnRate)}`)}${line(d.thresholds.pauseRate, 'l-pause', `pause ${percent(d.thresholds.pauseRate)}`)}</svg>`;
}

function domainTable(d: IssueDashboard, id: string): string {
  const cols = ['sent', 'deferred', 'failed', 'bounced', 'complained'] as const;
  const head = `<tr><th scope="col">domain</th>${cols.map((c) => `<th scope="col">${c}</th>`).join('')}<th scope="col">all</th><th scope="col">bounce rate</th><th scope="col">complaint rate</th></tr>`;
  const flag = (rate: number) => (rate > d.thresholds.pauseRate ? ' <span class="flag">above pause</span>' : rate > d.thresholds.warnRate ? ' <span class="flag">above warning</span>' : '');
  const body = d.report.domains
    .map(
      (dm) =>
        `<tr data-domain="${e(dm.domain)}"><th scope="row">${e(dm.domain)}</th>${cols.map((c) => cell(dm.counts[c] ?? 0, ` data-state="${c}"`)).join('')}${cell(dm.total, ' data-state="total"')}<td data-value="${dm.bounceRate}" data-rate="bounce">${e(percent(dm.bounceRate))}</td><td data-value="${dm.complaintRate}" data-rate="complaint">${e(percent(dm.complaintRate))}${flag(dm.complaintRate)}</td></tr>`,
    )
    .join('');
  return `<table id="${id}"><caption>Per recipient domain (rates over the mail that left)</caption>${head}${body}</table>`;
}

function growthChart(d: IssueDashboard, id: string): string {
  const days = d.growth.slice(-60);
  if (days.length === 0) return '';
  const W = 720;
  const H = 200;
  const pad = { l: 48, r: 8, t: 10, b: 30 };
  const lost = (g: IssueDashboard['growth'][number]) => g.withdrawals + Object.values(g.lost).reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...days.map((g) => Math.max(g.consents + g.pending, lost(g))));
  const mid = pad.t + (H - pad.t - pad.b) / 2;
  const half = (H - pad.t - pad.b) / 2;
  const band = (W - pad.l - pad.r) / days.length;
  const bars = days
    .map((g, i) => {
      const x = pad.l + i * band + band * 0.15;
      const w = (band * 0.7).toFixed(1);
      const up = (half * g.consents) / max;
      const upP = (half * g.pending) / max;
      const down = (half * lost(g)) / max;
      const label = days.length <= 10 || i % Math.ceil(days.length / 10) === 0 ? `<text x="${(x + band * 0.35).toFixed(1)}" y="${H - 8}" text-anchor="middle">${e(g.day.slice(5))}</text>` : '';
      return `<rect class="f-consents" x="${x.toFixed(1)}" y="${(mid - up).toFixed(1)}" width="${w}" height="${up.toFixed(1)}"></rect><rect class="f-pending" x="${x.toFixed(1)}" y="${(mid - up - upP).toFixed(1)}" width="${w}" height="${upP.toFixed(1)}"></rect><rect class="f-withdrawals" x="${x.toFixed(1)}" y="${mid.toFixed(1)}" width="${w}" height="${down.toFixed(1)}"></rect>${label}`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">The list by day: consents and sign-ups above the line, withdrawals, bounces and complaints below; the table below has the numbers</title><line class="axis" x1="${pad.l}" y1="${mid}" x2="${W - pad.r}" y2="${mid}"></line><text x="${pad.l - 6}" y="${pad.t + 5}" text-anchor="end">+${num(max)}</text><text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end">−${num(max)}</text>${bars}</svg>`;
}

function growthTable(d: IssueDashboard, id: string): string {
  const head =
    '<tr><th scope="col">day</th><th scope="col">consents</th><th scope="col">sign-ups waiting</th><th scope="col">withdrawals</th><th scope="col">bounces and complaints, by source</th></tr>';
  const body = d.growth
    .map(
      (g) =>
        `<tr><th scope="row">${e(g.day)}</th>${cell(g.consents)}${cell(g.pending)}${cell(g.withdrawals)}<td class="text">${
          Object.entries(g.lost)
            .map(([k, n]) => `${e(k)}: ${num(n)}`)
            .join(', ') || '–'
        }</td></tr>`,
    )
    .join('');
  return `<table id="${id}"><caption>Consent events by day</caption>${head}${body}</table>`;
}

function issueSection(d: IssueDashboard, timeZone: string): string {
  const r = d.report;
  const id = `issue-${r.issue}`;
  const counts = `<table id="${id}-counts"><caption>Readers by state</caption><tr>${STATES.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">all</th></tr><tr>${STATES.map((s) => cell(r.counts[s as keyof StateCounts], ` data-state="${s}"`)).join('')}${cell(r.total, ' data-state="total"')}</tr></table>`;
  const rates = `<p id="${id}-rates">Bounce rate <strong data-value="${r.rates.bounceRate}">${e(percent(r.rates.bounceRate))}</strong> · complaint rate <strong data-value="${r.rates.complaintRate}">${e(percent(r.rates.complaintRate))}</strong> over ${num(r.rates.left)} messages that left${
    r.rates.complaints === 'pause'
      ? ' — <span class="flag">above the pause rate: the next issue waits</span>'
      : r.rates.complaints === 'warn'
        ? ' — <span class="flag">above the warning rate</span>'
        : ''
  }${r.paused ? ` — <span class="flag">paused: ${e(r.paused)}</span>` : ''}</p>`;
  const t = d.deliveryTimes;
  const times = `<table id="${id}-times"><caption>Time from queueing to the relay's 250, over ${num(t.count)} sent messages</caption><tr><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">slowest</th></tr><tr>${[t.p50, t.p90, t.p99, t.max].map((v) => `<td data-value="${v ?? ''}">${seconds(v)}</td>`).join('')}</tr></table>`;
  const doubt =
    d.inDoubt.length === 0
      ? '<p>No reader is in doubt.</p>'
      : `<p>${num(r.counts.unknown)} readers may or may not have got it (the message data went out, no reply came). To send them once more with the same Message-ID: <code>${e(d.action!)}</code></p><table id="${id}-doubt"><tr><th scope="col">reader</th><th scope="col">since</th><th scope="col">what happened</th></tr>${d.inDoubt.map((x) => `<tr><td class="text">${e(x.email)}</td><td class="text">${e(editorTime(x.since, timeZone))}</td><td class="text">${e(x.reason ?? '')}</td></tr>`).join('')}</table>`;
  const stateLegend = legend(STATES.filter((s) => d.timeline.some((x) => (x.counts[s] ?? 0) > 0)).map((s) => ({ cls: s, label: s })));
  return `<section id="${id}" data-issue="${r.issue}">
<h2>${e(r.newsletter)}: issue #${r.issue} <span class="muted">(slot of ${e(editorTime(r.slot, timeZone))}, ${num(r.articles)} articles)</span></h2>
${counts}${rates}
<h3>Deliveries over time</h3>${stateLegend}${timelineChart(d, `${id}-timeline`)}${timelineTable(d, `${id}-timeline-table`)}
<h3>Delivery time</h3>${times}
<h3>By recipient domain</h3>${legend([{ cls: 'complained', label: 'complaint rate' }])}${domainChart(d, `${id}-domains`)}${domainTable(d, `${id}-domains-table`)}
<h3>List growth</h3>${legend([
    { cls: 'consents', label: 'consents' },
    { cls: 'pending', label: 'sign-ups waiting for confirmation' },
    { cls: 'withdrawals', label: 'withdrawals, bounces, complaints' },
  ])}${growthChart(d, `${id}-growth`)}${growthTable(d, `${id}-growth-table`)}
<h3>Readers in doubt</h3>${doubt}
</section>`;
}

/** `timeZoneOf`: a newsletter's time zone, in which its editors read the slot and other times. */
export function dashboardPage(dashboards: IssueDashboard[], timeZoneOf: (newsletterId: string) => string = () => 'UTC'): string {
  const body = dashboards.length === 0 ? '<p>No issue has been made yet.</p>' : dashboards.map((d) => issueSection(d, timeZoneOf(d.report.newsletter))).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Delivery dashboard</title><style>${STYLE}</style></head><body><header><h1>Delivery dashboard</h1><nav><a href="/">Preview</a> · <a href="/archive">Archive</a> · <a href="/dashboard">Latest issues</a></nav></header><main>${body}</main></body></html>`;
}
