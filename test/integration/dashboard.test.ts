import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { createPreviewApp } from '../../src/preview/preview-app.js';
import { TransportError, type Transport } from '../../src/transport/transport.js';
import type { App } from '../../src/app.js';
import type { IssueReport } from '../../src/service/report.js';
import { makeProject, REPO, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { launchChromium } from '../helpers/browser.js';
import { seriousAxeViolations, textReport } from '../helpers/page-checks.js';

/**
 * The delivery dashboard in the preview (issue 25), rendered in Chromium: its numbers are
 * `report --json`'s (one service), it reads as tables, and it passes axe in light and dark.
 */
const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');
const T0 = '2026-11-23T08:00:00.000Z';

/** A relay that refuses one reader, defers another, and loses the connection after DATA for a third. */
const mixedRelay: Transport = {
  name: 'mixed',
  async send(m) {
    const to = m.envelope.to[0]!;
    if (to === 'ada@example.com') throw new TransportError('failed-recipient', '550 5.1.1 no such user', { reply: '550 5.1.1 no such user', enhanced: '5.1.1', addressGone: true });
    if (to === 'camille@example.fr') throw new TransportError('deferred', '451 4.3.0 try later', { reply: '451 4.3.0 try later' });
    if (to === 'grace@example.com') throw new TransportError('in-doubt', 'connection lost after DATA', { reply: 'connection lost after DATA', handedOver: true });
    return { messageId: m.messageId, response: '250 2.0.0 queued' };
  },
  async close() {},
};

describe('delivery dashboard', () => {
  let project: TestProject;
  let app: App;
  let browser: Browser;
  let issueId: number;

  beforeAll(async () => {
    project = makeProject();
    app = await openTestApp(project, { clock: fixedClock(T0), transport: mixedRelay });
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    issueId = summary.issue!.id;
    expect([summary.counts.failed, summary.counts.deferred, summary.counts.unknown, summary.counts.sent]).toEqual([1, 1, 1, 2]);
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    project?.cleanup();
  });

  const dashboardHtml = async (query = `?issue=${issueId}`) => {
    const res = await createPreviewApp(app, { env: TEST_ENV }).request(`/dashboard${query}`, { headers: { host: '127.0.0.1' } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('shows the numbers `report --json` prints: counts by state, rates, and every recipient domain', async () => {
    const cli = await runCli(['report', '--json', '--issue', String(issueId)], { cwd: project.dir });
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as IssueReport;

    const page = await browser.newPage();
    try {
      await page.setContent(await dashboardHtml());
      const section = page.locator(`section[data-issue="${issueId}"]`);
      const counts = await section.locator(`#issue-${issueId}-counts td[data-state]`).evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-state'), Number(td.getAttribute('data-value'))]));
      expect(Object.fromEntries(counts)).toEqual({ ...report.counts, total: report.total });
      const rates = await section.locator(`#issue-${issueId}-rates strong`).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-value'))));
      expect(rates).toEqual([report.rates.bounceRate, report.rates.complaintRate]);
      const domains = await section.locator(`#issue-${issueId}-domains-table tr[data-domain]`).evaluateAll((rows) =>
        rows.map((tr) => ({
          domain: tr.getAttribute('data-domain'),
          cells: Object.fromEntries([...tr.querySelectorAll('td[data-state]')].map((td) => [td.getAttribute('data-state'), Number(td.getAttribute('data-value'))])),
          bounceRate: Number(tr.querySelector('[data-rate=bounce]')!.getAttribute('data-value')),
          complaintRate: Number(tr.querySelector('[data-rate=complaint]')!.getAttribute('data-value')),
        })),
      );
      expect(domains).toEqual(
        report.domains.map((d) => ({
          domain: d.domain,
          cells: { sent: d.counts.sent ?? 0, deferred: d.counts.deferred ?? 0, failed: d.counts.failed ?? 0, bounced: d.counts.bounced ?? 0, complained: d.counts.complained ?? 0, total: d.total },
          bounceRate: d.bounceRate,
          complaintRate: d.complaintRate,
        })),
      );
      // The reader in doubt, with the command that settles it.
      expect(await section.locator(`#issue-${issueId}-doubt`).innerText()).toContain('grace@example.com');
      expect(await section.innerText()).toContain(`newsletter retry --issue ${issueId} --unknown`);
      // The thresholds are drawn on the domain chart; the default page shows the latest issue too.
      expect(await section.locator('svg line.l-pause').count()).toBe(1);
      expect(await dashboardHtml('')).toContain(`data-issue="${issueId}"`);
    } finally {
      await page.close();
    }
  });

  it("is the preview's: another Host gets 421, and an issue that is not there 404", async () => {
    const web = createPreviewApp(app, { env: TEST_ENV });
    expect((await web.request(`/dashboard?issue=${issueId}`, { headers: { host: 'attacker.example' } })).status).toBe(421);
    expect((await web.request('/dashboard?issue=999', { headers: { host: '127.0.0.1' } })).status).toBe(404);
  });

  it('reads without JavaScript, passes axe and keeps its text legible, in light and dark (screenshots)', async () => {
    const html = await dashboardHtml();
    expect(html).not.toMatch(/<script|https?:\/\/cdn/i);
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ javaScriptEnabled: scheme === 'light', colorScheme: scheme, viewport: { width: 1000, height: 900 } });
      const page = await context.newPage();
      try {
        await page.setContent(html);
        // Every chart is an image with a name, and comes with its table.
        for (const svg of await page.locator('svg[role=img]').all()) expect(await svg.getAttribute('aria-labelledby')).toBeTruthy();
        expect(await page.locator('table').count()).toBeGreaterThanOrEqual(5);
        await page.screenshot({ path: join(SCREENSHOTS, `dashboard.${scheme}.png`), fullPage: true });
        if (scheme === 'light') expect(await seriousAxeViolations(page)).toEqual([]);
        const low = (await textReport(page)).filter((t) => t.ratio < t.needed);
        expect(low, scheme).toEqual([]);
      } finally {
        await context.close();
      }
    }
    // axe needs scripts: the dark page is checked with them on.
    const dark = await browser.newContext({ colorScheme: 'dark' });
    const page = await dark.newPage();
    await page.setContent(html);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await dark.close();
  });
});
