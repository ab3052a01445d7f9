import { afterEach, describe, expect, it } from 'vitest';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { killSpawned } from '../helpers/cli.js';
import { dropSchema, pgSchemaUrl } from '../helpers/postgres.js';

/** Commands run as if the clock read this (the suite must pass on any date): the sample list's first issue is the slot of Monday 2026-11-23. */
const PINNED_AT = '2026-11-28T12:00:00Z';

const READERS = 10_000;

describe('several processes on one PostgreSQL', { timeout: 120_000 }, () => {
  afterEach(killSpawned);
  let project: TestProject | undefined;
  let sink: SmtpSink | undefined;
  let schema: string | undefined;
  afterEach(async () => {
    await sink?.close();
    project?.cleanup();
    if (schema) await dropSchema(schema);
  });

  it('three sends started at the same moment make one issue and share its deliveries: each reader once', async () => {
    project = makeProject();
    sink = await startSmtpSink();
    const db = pgSchemaUrl();
    schema = db.schema;
    const env = { SMTP_URL: sink.url, DATABASE_URL: db.url };
    // Three processes that each load MJML and the store on a 2-core machine: 20 s was close when it was busy.
    const runs = await Promise.all([0, 1, 2].map(() => runCli(['send', '--config', project!.configFile, '--json', '--at', PINNED_AT], { env, timeoutMs: 60_000 })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const issues = runs.map((r) => (JSON.parse(r.stdout) as { issue: { id: number } }[])[0]!.issue.id);
    expect(new Set(issues).size).toBe(1);
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual(CONSENTING);
  });

  it('two `start` processes firing the same schedule make one issue per slot and mail each reader once', async () => {
    project = makeProject({
      config: (y) => y.replace('schedule: "0 8 * * 1"', 'schedule: "*/2 * * * * *"').replace('firstIssue: immediate', 'firstIssue: next-slot'),
    });
    sink = await startSmtpSink();
    const db = pgSchemaUrl();
    schema = db.schema;
    const env = { SMTP_URL: sink.url, DATABASE_URL: db.url };
    const services = [0, 1].map(() => spawnCli(['start', '--config', project!.configFile], { env }));
    for (const s of services) await s.waitFor(/Running\./);
    const deadline = Date.now() + 20_000;
    while (sink.received.length < CONSENTING.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // A few more ticks fire on both; no new articles, so no new issue and nothing more is sent.
    await Promise.all(services.map((s) => s.waitFor(/no new articles/, 10_000)));
    for (const s of services) s.child.kill('SIGTERM');
    for (const s of services) expect(await s.exited).toBe(0);
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual(CONSENTING);
    const report = JSON.parse((await runCli(['report', '--config', project.configFile, '--json'], { env })).stdout) as { issue: number }[];
    expect(report.map((r) => r.issue)).toEqual([1]);
  });

  it('three workers deliver 10,000 readers; one is killed part-way; every reader gets exactly one message or is reported in doubt', async () => {
    const rows = ['email,name,locale,timezone,status,consented_at,source,topics'];
    for (let i = 0; i < READERS; i++) rows.push(`reader${i}@example.com,Reader ${i},${['en', 'fr', 'ar'][i % 3]},UTC,subscribed,2026-01-01T00:00:00Z,test,`);
    project = makeProject({ subscribers: rows.join('\n'), config: (y) => y.replace('leaseSeconds: 60', 'leaseSeconds: 5') });
    sink = await startSmtpSink();
    const db = pgSchemaUrl();
    schema = db.schema;
    const env = { SMTP_URL: sink.url, DATABASE_URL: db.url };

    // Make the issue and queue everyone; the workers deliver.
    const queued = await runCli(['send', '--no-deliver', '--config', project.configFile, '--json', '--at', PINNED_AT], { env, timeoutMs: 60_000 });
    expect(queued.code, queued.stderr).toBe(0);
    expect(JSON.parse(queued.stdout)[0].counts.queued).toBe(READERS);
    expect(sink.received).toHaveLength(0);

    const workers = [0, 1, 2].map(() => spawnCli(['worker', '--poll', '0.5', '--config', project!.configFile], { env }));
    const deadline = Date.now() + 120_000;
    while (sink.received.length < READERS / 4) {
      if (Date.now() > deadline) throw new Error(`only ${sink.received.length} arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited;
    // The other two finish the issue, including the killed worker's rows once their lease ends.
    let report: { counts: Record<string, number>; recipients: { email: string; state: string; claimedBy: string | null }[] } | undefined;
    while (Date.now() < deadline) {
      const r = await runCli(['report', '--config', project.configFile, '--json', '--issue', '1', '--recipients'], { env });
      report = JSON.parse(r.stdout);
      if (report!.counts.queued === 0 && report!.counts.sending === 0) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    for (const w of workers.slice(1)) expect(await w.exited).toBe(0);

    const counts = report!.counts;
    expect(counts.sent! + counts.unknown!).toBe(READERS);
    expect(counts).toMatchObject({ queued: 0, sending: 0, failed: 0, deferred: 0 });
    expect(counts.unknown).toBeLessThanOrEqual(50);
    const received = new Map<string, number>();
    for (const m of sink.received) for (const to of m.to) received.set(to, (received.get(to) ?? 0) + 1);
    expect(
      [...received.values()].every((n) => n === 1),
      'nobody got two',
    ).toBe(true);
    for (const x of report!.recipients) if (x.state === 'sent') expect(received.get(x.email), x.email).toBe(1);
    // All three workers did part of the work.
    const byWorker = new Map<string, number>();
    for (const x of report!.recipients) if (x.claimedBy) byWorker.set(x.claimedBy, (byWorker.get(x.claimedBy) ?? 0) + 1);
    expect(byWorker.size).toBe(3);
    for (const n of byWorker.values()) expect(n).toBeGreaterThan(100);
  }, 180_000);
});
