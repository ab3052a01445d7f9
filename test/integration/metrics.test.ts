import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { createHttpApp } from '../../src/http/app.js';
import { serveMetrics } from '../../src/http/metrics-route.js';
import type { App } from '../../src/app.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { parsePrometheusText, sample } from '../helpers/prom-text.js';

/** GET /metrics (issue 25): Prometheus text that a strict parser reads, moving as a send goes. */
const TOKEN = 'metrics-token-0123456789';

function http(app: App) {
  return createHttpApp({ store: app.store, config: app.config, clock: app.clock, logger: app.logger, transport: app.transport, metricsExposed: app.metrics });
}

describe('metrics', () => {
  let project: TestProject;
  let app: App;
  const clock = fixedClock('2026-11-23T08:00:00Z');

  beforeAll(async () => {
    project = makeProject({ config: (y) => `${y}\nmetrics:\n  enabled: true\n` });
    app = await openTestApp(project, { clock, env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await app?.close();
    project?.cleanup();
  });

  const scrape = async (web = http(app)) => {
    const res = await web.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await res.text());
  };

  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    const web = http(app);
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, 'Bearer ']) {
      const res = await web.request('/metrics', authorization ? { headers: { authorization } } : {});
      expect(res.status, authorization).toBe(401);
      expect(await res.text()).not.toContain('newsletter_');
    }
  });

  it('moves as a send goes: messages by state, replies by class, latencies, outbox gauges, and process metrics', async () => {
    const before = await scrape();
    expect(before.get('newsletter_messages_total')?.type).toBe('counter');
    expect(sample(before, 'newsletter_messages_total', { state: 'sent' })).toBeUndefined();
    expect(sample(before, 'newsletter_outbox_rows', { state: 'sent' })).toBe(0);
    expect(sample(before, 'newsletter_issues_awaiting_approval')).toBe(0);
    expect(before.get('newsletter_process_cpu_user_seconds_total')?.type).toBe('counter');

    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBe(CONSENTING.length);

    const after = await scrape();
    const n = CONSENTING.length;
    expect(sample(after, 'newsletter_messages_total', { newsletter: 'weekly-brief', state: 'sent' })).toBe(n);
    expect(sample(after, 'newsletter_smtp_replies_total', { class: '2xx' })).toBe(n);
    expect(sample(after, 'newsletter_retries_total', { newsletter: 'weekly-brief' })).toBeUndefined();
    expect(sample(after, 'newsletter_send_duration_seconds_count')).toBe(n);
    expect(sample(after, 'newsletter_window_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.get('newsletter_send_duration_seconds')?.type).toBe('histogram');
    expect(sample(after, 'newsletter_outbox_rows', { state: 'sent' })).toBe(summary.counts.sent);
    expect(sample(after, 'newsletter_outbox_rows', { state: 'skipped' })).toBe(summary.counts.skipped);
    expect(sample(after, 'newsletter_oldest_queued_seconds')).toBe(0);
  });

  it('serves on a port of its own with metrics.port, and not at all unless enabled', async () => {
    const own = await serveMetrics({ ...app, config: { ...app.config, metrics: { ...app.config.metrics, port: 0 } } });
    try {
      const res = await fetch(`http://127.0.0.1:${own!.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(sample(parsePrometheusText(await res.text()), 'newsletter_outbox_rows', { state: 'sent' })).toBe(CONSENTING.length);
    } finally {
      await own?.close();
    }
    const off = makeProject();
    const plain = await openTestApp(off, { clock });
    try {
      expect(plain.metrics).toBeUndefined();
      expect((await http(plain).request('/metrics')).status).toBe(404);
    } finally {
      await plain.close();
      off.cleanup();
    }
  });

  it('the parser is strict: it refuses what Prometheus would', () => {
    expect(() => parsePrometheusText('x_total 1\n')).toThrow(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n')).toThrow(/twice/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx abc\n')).toThrow(/not a number/);
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n')).toThrow(/cumulative/);
    expect(parsePrometheusText('# HELP x Some\\nhelp\n# TYPE x gauge\nx{a="q\\"uote"} -1.5e3\n').get('x')!.samples[0]).toEqual({ name: 'x', labels: { a: 'q"uote' }, value: -1500 });
  });
});
