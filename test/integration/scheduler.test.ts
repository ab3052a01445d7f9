import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scheduler } from '../../src/service/scheduler.js';
import { sendNewsletter, type SendSummary } from '../../src/service/send-issue.js';
import { latestSlotAtOrBefore, nextSlotAfter } from '../../src/compose/slots.js';
import type { App } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { makeProject, CONSENTING } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { killSpawned } from '../helpers/cli.js';

// Mondays 08:00 Europe/Paris. 2026-11-23 is a Monday; 08:00 CET is 07:00Z.
const SLOT = '2026-11-23T07:00:00.000Z';

function captured(dir: string): number {
  const root = join(dir, 'data', 'mail');
  return existsSync(root) ? readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.eml')).length : 0;
}

describe('scheduler (injected clock, no waiting)', () => {
  afterEach(killSpawned);
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const setup = async (options: { config?: (y: string) => string; clock: string; smtp?: SmtpSink }) => {
    const project = makeProject({ config: options.config });
    cleanups.push(() => project.cleanup());
    const clock = fixedClock(options.clock);
    const app = await openTestApp(project, { clock, env: options.smtp ? { SMTP_URL: options.smtp.url } : {} });
    cleanups.push(() => app.close());
    const summaries: SendSummary[] = [];
    const scheduler = new Scheduler(app, (s) => summaries.push(s));
    cleanups.push(() => scheduler.stop());
    return { project, clock, app, scheduler, summaries };
  };

  it('slots follow the wall clock across DST changes', () => {
    // Paris leaves summer time on 2026-10-25: 08:00 is 06:00Z before and 07:00Z after.
    expect(latestSlotAtOrBefore('0 8 * * 1', 'Europe/Paris', new Date('2026-10-20T12:00:00Z')).toISOString()).toBe('2026-10-19T06:00:00.000Z');
    expect(nextSlotAfter('0 8 * * 1', 'Europe/Paris', new Date('2026-10-20T12:00:00Z')).toISOString()).toBe('2026-10-26T07:00:00.000Z');
    // and enters it on 2026-03-29
    expect(nextSlotAfter('0 8 * * 1', 'Europe/Paris', new Date('2026-03-24T12:00:00Z')).toISOString()).toBe('2026-03-30T06:00:00.000Z');
    expect(latestSlotAtOrBefore('0 8 * * 1', 'Europe/Paris', new Date(SLOT)).toISOString()).toBe(SLOT);
  });

  it('review: the loop opens the draft ahead of its slot, holds it at the slot, and sends it once approved late within the grace', async () => {
    const a = await setup({
      clock: '2026-11-22T06:00:00Z',
      config: (y) => y.replace('    catchUpGrace: 6h\n', '    catchUpGrace: 6h\n    review:\n      mode: required\n      opensBefore: 24h\n      notify: [editor@example.org]\n'),
    });
    // More than a day ahead: nothing yet.
    await a.scheduler.retryDue();
    expect(await a.app.store.findIssue('weekly-brief', SLOT)).toBeUndefined();
    a.clock.set('2026-11-22T12:00:00Z');
    await a.scheduler.retryDue();
    const draft = (await a.app.store.findIssue('weekly-brief', SLOT))!;
    expect(draft.review?.state).toBe('draft');
    expect(captured(a.project.dir)).toBe(1); // the editors' mail
    // The tick at the slot: nothing goes, the editors are reminded.
    a.clock.set('2026-11-23T07:00:01Z');
    await a.scheduler.tick(a.app.config.newsletters[0]!, new Date(SLOT));
    expect(a.summaries.at(-1)?.status).toBe('waiting');
    expect(captured(a.project.dir)).toBe(2);
    // Approved an hour late: the loop sends it.
    a.clock.set('2026-11-23T08:00:00Z');
    await a.app.store.approveIssue(draft.id, 'ines', a.clock.now().toISOString());
    await a.scheduler.retryDue();
    expect(a.summaries.at(-1)).toMatchObject({ status: 'delivered', counts: { sent: CONSENTING.length } });
    expect(captured(a.project.dir)).toBe(2 + CONSENTING.length);
  });

  it('review: after "no new articles yet" the sources are read again only 5 minutes later', async () => {
    const a = await setup({
      clock: '2026-11-23T07:00:00Z',
      config: (y) => y.replace('    catchUpGrace: 6h\n', '    catchUpGrace: 6h\n    review:\n      mode: optional\n      opensBefore: 24h\n'),
    });
    const n = a.app.config.newsletters[0]!;
    expect((await sendNewsletter(a.app, n, { slot: new Date(SLOT) })).counts.sent).toBe(CONSENTING.length);
    const next = '2026-11-30T07:00:00.000Z';
    a.clock.set('2026-11-29T12:00:00Z');
    await a.scheduler.retryDue();
    expect(await a.app.store.findIssue('weekly-brief', next)).toBeUndefined();
    writeFileSync(join(a.project.dir, 'articles', 'tram.md'), '---\nid: tram\ntitle: The tram returns\ndate: 2026-11-25\nlang: en\ntopics: [technology]\n---\n\nThe tram returns.\n');
    a.clock.set('2026-11-29T12:04:00Z');
    await a.scheduler.retryDue();
    expect(await a.app.store.findIssue('weekly-brief', next)).toBeUndefined();
    a.clock.set('2026-11-29T12:05:00Z');
    await a.scheduler.retryDue();
    expect((await a.app.store.findIssue('weekly-brief', next))?.articles.map((x) => x.id)).toEqual(['tram']);
  });

  it('first issue: sent at once with firstIssue: immediate, waits with next-slot', async () => {
    const a = await setup({ clock: '2026-11-25T10:00:00Z' });
    await a.scheduler.catchUp();
    expect(a.summaries[0]?.slot).toBe(SLOT);
    expect(captured(a.project.dir)).toBe(CONSENTING.length);

    const b = await setup({ clock: '2026-11-25T10:00:00Z', config: (y) => y.replace('firstIssue: immediate', 'firstIssue: next-slot') });
    await b.scheduler.catchUp();
    expect(b.summaries).toHaveLength(0);
    expect(await b.app.store.latestIssue('weekly-brief')).toBeUndefined();
  });

  it('catch-up: a slot missed within the grace is sent on start; one missed longer ago is not', async () => {
    // A store that already sent the previous week's issue.
    const a = await setup({ clock: '2026-11-23T09:00:00Z' });
    await sendNewsletter(a.app, a.app.config.newsletters[0]!, { at: new Date('2026-11-17T00:00:00Z') });
    await a.scheduler.catchUp(); // 2 h after the slot: inside the 6 h grace
    expect(a.summaries.map((s) => s.slot)).toEqual([SLOT]);

    const b = await setup({ clock: '2026-11-23T15:00:00Z' });
    await sendNewsletter(b.app, b.app.config.newsletters[0]!, { at: new Date('2026-11-17T00:00:00Z') });
    await b.scheduler.catchUp(); // 8 h after: outside
    expect(b.summaries).toHaveLength(0);
    expect(await b.app.store.findIssue('weekly-brief', SLOT)).toBeUndefined();
  });

  it('two scheduler instances firing the same tick on one store make one issue and mail each reader once', async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const a = await setup({ clock: SLOT, smtp: sink });
    const other = new Scheduler(a.app, () => {});
    cleanups.push(() => other.stop());
    const n = a.app.config.newsletters[0]!;
    await Promise.all([a.scheduler.tick(n, new Date(SLOT)), other.tick(n, new Date(Date.parse(SLOT) - 3))]);
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual(CONSENTING);
    expect((await a.app.store.listIssues('weekly-brief', 10)).map((i) => i.slot)).toEqual([SLOT]);
  });

  it('a tick that fails (store unavailable) is logged, retried by the retry loop, and does not stop later ticks', async () => {
    const a = await setup({ clock: SLOT });
    const real = a.app.store;
    let failures = 1;
    const flaky: Store = Object.create(real) as Store;
    flaky.createIssue = async (d) => {
      if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
      return real.createIssue(d);
    };
    const app: App = { ...a.app, store: flaky };
    const scheduler = new Scheduler(app, (s) => a.summaries.push(s));
    cleanups.push(() => scheduler.stop());
    await scheduler.tick(app.config.newsletters[0]!, new Date(SLOT)); // does not throw
    expect(await real.findIssue('weekly-brief', SLOT)).toBeUndefined();
    await scheduler.retryDue();
    expect(a.summaries[0]?.counts.sent).toBe(CONSENTING.length);
  });

  it("local-time delivery: one issue, each reader at the slot's wall-clock time in their own zone", async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const a = await setup({ clock: SLOT, smtp: sink, config: (y) => y.replace('catchUpGrace: 6h', 'catchUpGrace: 6h\n    localTimeDelivery: true') });
    await a.scheduler.tick(a.app.config.newsletters[0]!, new Date(SLOT));
    // 08:00 Paris: Paris (camille) and Dubai (layla, already past 08:00 there) now; London at 08:00Z;
    // New York and Montreal at 13:00Z.
    const got = () => sink.received.flatMap((m) => m.to).sort();
    expect(got()).toEqual(['camille@example.fr', 'layla@example.net']);
    expect(a.summaries[0]!.localTime).toEqual({ waiting: 3, next: '2026-11-23T08:00:00.000Z' });
    a.clock.set('2026-11-23T08:00:00Z');
    await a.scheduler.retryDue();
    expect(got()).toEqual(['ada@example.com', 'camille@example.fr', 'layla@example.net']);
    a.clock.set('2026-11-23T12:59:59Z');
    await a.scheduler.retryDue();
    expect(got()).toHaveLength(3);
    a.clock.set('2026-11-23T13:00:00Z');
    await a.scheduler.retryDue();
    expect(got()).toEqual(CONSENTING);
    expect(await a.app.store.listIssues('weekly-brief', 10)).toHaveLength(1);
  });
});

describe('newsletter start as a process', { timeout: 120_000 }, () => {
  afterEach(killSpawned);
  it('fires a seconds-field schedule, delivers one issue, and exits 0 on SIGTERM with nothing left sending', async () => {
    const project = makeProject({
      config: (y) => y.replace('schedule: "0 8 * * 1"', 'schedule: "*/2 * * * * *"').replace('firstIssue: immediate', 'firstIssue: next-slot'),
    });
    const sink = await startSmtpSink();
    try {
      const svc = spawnCli(['start', '--config', project.configFile], { env: { SMTP_URL: sink.url } });
      await svc.waitFor(/Running\./);
      expect(sink.received).toHaveLength(0); // next-slot: nothing before the first tick
      await svc.waitFor(/sent 5/, 15_000);
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
      expect(sink.received.flatMap((m) => m.to).sort()).toEqual(CONSENTING);
      const report = JSON.parse((await runCli(['report', '--config', project.configFile, '--json'])).stdout) as { counts: Record<string, number> }[];
      expect(report[0]!.counts).toMatchObject({ sent: 5, sending: 0 });
    } finally {
      await sink.close();
      project.cleanup();
    }
  });
});
