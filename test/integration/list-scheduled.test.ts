import { afterEach, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scheduler } from '../../src/service/scheduler.js';
import type { SendSummary } from '../../src/service/send-issue.js';
import { makeProject } from '../helpers/project.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

// Mondays 08:00 Europe/Paris; 2026-11-23 is a Monday, 08:00 CET is 07:00Z.
const SLOT = '2026-11-23T07:00:00.000Z';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('`start`: a scheduled tick with a CRM export holding bad rows makes the issue, reports the rows at file:line and mails everyone else', async () => {
  const project = makeProject();
  cleanups.push(() => project.cleanup());
  const list = join(project.dir, 'subscribers', 'weekly-brief.csv');
  copyFileSync(new URL('../fixtures/lists/name-first-export.csv', import.meta.url), list);
  const sink = await startSmtpSink();
  cleanups.push(() => sink.close());
  const app = await openTestApp(project, { clock: fixedClock(SLOT), env: { SMTP_URL: sink.url } });
  cleanups.push(() => app.close());
  const summaries: SendSummary[] = [];
  const scheduler = new Scheduler(app, (s) => summaries.push(s));
  cleanups.push(() => scheduler.stop());

  await scheduler.tick(app.config.newsletters[0]!, new Date(SLOT));

  expect(summaries.map((s) => [s.slot, s.status, s.issue?.created])).toEqual([[SLOT, 'delivered', true]]);
  expect(summaries[0]!.problems).toEqual(
    expect.arrayContaining([{ place: `${list}:2`, message: 'not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped' }]),
  );
  expect(sink.received.flatMap((m) => m.to).sort()).toEqual(['ada@example.org', 'bob@example.org', 'carl@example.org', 'rock@example.org', 'zed@example.org']);
});
