import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { exitCodeFor, sendNewsletter } from '../../src/service/send-issue.js';
import type { App } from '../../src/app.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { killSpawned, runCli, spawnCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

/**
 * A relay that takes a reader's message data and then never answers (issue 19): the reader's row
 * stays ours while we live, a 250 that comes late is recorded, and a stop ends in time.
 */
const NOW = '2026-11-30T09:00:00.000Z'; // a Monday: the weekly slot of 08:00 Paris is an hour old
const STALLED = 'grace@example.com';
const OTHERS = ['ada@example.com', 'camille@example.fr', 'jean.dupont@example.fr', 'layla@example.net'];
const plus = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

describe('a relay that accepts DATA and then never answers', () => {
  let project: TestProject | undefined;
  let relay: ScriptedSmtp | undefined;
  const apps: App[] = [];
  afterEach(async () => {
    killSpawned();
    relay?.releaseStalled();
    for (const a of apps.splice(0)) await a.close();
    await relay?.close();
    project?.cleanup();
    project = relay = undefined;
  });

  const setUp = async (config: (yaml: string) => string = (y) => y) => {
    relay = await startScriptedSmtp((rcpt) => (rcpt === STALLED ? 'stall-after-data' : undefined));
    project = makeProject({ config: (y) => config(y.replace('leaseSeconds: 60', 'leaseSeconds: 5').replace('socket: 30s', 'socket: 60s')) });
  };
  const open = async (at: string, renewEveryMs?: number) => {
    const clock = fixedClock(at);
    const app = await openTestApp(project!, { env: { SMTP_URL: relay!.url }, clock });
    if (renewEveryMs !== undefined) app.deliverySettings.renewEveryMs = renewEveryMs;
    apps.push(app);
    return { app, clock };
  };
  const rowOf = async (app: App, email: string) => (await app.store.outboxRows(1)).find((r) => r.email === email)!;
  /** The stalled reader's data is in and the four others are recorded sent while it hangs. */
  const othersRecorded = (app: App) =>
    until('the four answered readers recorded sent while one stalls', async () => relay!.dataReceivedFor.includes(STALLED) && (await app.store.counts(1)).sent === 4, 10_000);

  it('keeps the lease of a message in flight while its process lives: a second run does not take the row for dead', async () => {
    await setUp();
    const { app: a, clock } = await open(NOW, 20);
    const sending = sendNewsletter(a, a.config.newsletters[0]!);
    await othersRecorded(a);
    expect((await rowOf(a, STALLED)).state).toBe('sending');

    // Ten minutes on (a relay that slow), far past the 5 s lease of the claim: renewed.
    const later = plus(NOW, 10 * 60_000);
    clock.set(later);
    await until('the lease renewed past the new time', async () => ((await rowOf(a, STALLED)).leaseUntil ?? '') > later);
    const { app: b } = await open(plus(later, 1000));
    // What a second `send` does first: only a dead process's rows become unknown.
    expect(await b.store.expireLeases(1, plus(later, 1000))).toBe(0);

    relay!.releaseStalled();
    const summary = await sending;
    expect(summary.counts).toMatchObject({ sent: 5, unknown: 0, sending: 0 });
    expect(exitCodeFor([summary])).toBe(0);
    expect(await rowOf(b, STALLED)).toMatchObject({ state: 'sent', lastResponse: expect.stringMatching(/queued late/) });
    expect(relay!.dataReceivedFor.filter((r) => r === STALLED)).toHaveLength(1);
  });

  it('records a 250 that arrives after another process marked the row unknown: `retry --unknown` then mails nobody twice', async () => {
    await setUp();
    const { app: a } = await open(NOW, 20);
    const sending = sendNewsletter(a, a.config.newsletters[0]!);
    await othersRecorded(a);
    // Process a looks dead to b (a clock far ahead, as after a suspended VM): b marks the row in doubt.
    const { app: b } = await open(plus(NOW, 3600_000));
    expect(await b.store.expireLeases(1, plus(NOW, 3600_000))).toBe(1);
    expect((await rowOf(b, STALLED)).state).toBe('unknown');

    relay!.releaseStalled();
    const summary = await sending;
    expect(summary.counts).toMatchObject({ sent: 5, unknown: 0 });
    expect(await rowOf(b, STALLED)).toMatchObject({ state: 'sent', lastError: null, lastResponse: expect.stringMatching(/queued late/) });
    expect(await b.store.requeue(1, ['unknown'], plus(NOW, 3600_000))).toBe(0);
    expect(relay!.dataReceivedFor.filter((r) => r === STALLED)).toHaveLength(1);
  });

  it('on a stop, waits the grace, then records the stalled message unknown and one never handed over queued; the next run sends that one, and closing says QUIT', async () => {
    // One connection: the stalled message holds it, so the reader after it waits in the pool.
    await setUp((y) => y.replace('maxConnections: 5', 'maxConnections: 1'));
    const { app: a } = await open(NOW, 20);
    const controller = new AbortController();
    const sending = sendNewsletter(a, a.config.newsletters[0]!, { signal: controller.signal, stopGraceMs: 300 });
    await until('three readers sent and the fourth stalled', async () => relay!.dataReceivedFor.includes(STALLED) && (await a.store.counts(1)).sent === 3, 10_000);
    controller.abort();
    const summary = await sending;
    expect(summary.status).toBe('stopped');
    expect(summary.counts).toMatchObject({ sent: 3, unknown: 1, queued: 1, sending: 0 });
    const stalled = await rowOf(a, STALLED);
    expect(stalled).toMatchObject({ state: 'unknown', lastError: expect.stringMatching(/stopped while waiting for the relay/) });
    const waiting = (await a.store.outboxRows(1)).find((r) => r.state === 'queued')!;
    expect(relay!.dataReceivedFor).not.toContain(waiting.email);
    // The stalled connection was closed by the cancel.
    await until('the stalled connection closed', () => relay!.openConnections() === 0);

    const again = await sendNewsletter(a, a.config.newsletters[0]!);
    expect(again.counts).toMatchObject({ sent: 4, unknown: 1, queued: 0 });
    expect(relay!.acceptedFor.filter((r) => r === waiting.email)).toHaveLength(1);
    expect(relay!.quits).toBe(0);
    await apps.splice(0)[0]!.close();
    expect(relay!.quits).toBe(1);
    await until('the relay saw every connection close', () => relay!.openConnections() === 0);
  });

  it('`send` stopped by SIGTERM: exit 0 within 30 s, the stalled reader unknown, every reader answered 250 sent, QUIT on the idle connections', async () => {
    await setUp((y) => y.replace('socket: 60s', 'socket: 30s')); // the default: longer than the stop's grace
    const env = { SMTP_URL: relay!.url };
    const send = spawnCli(['send', '--at', NOW, '--config', project!.configFile], { env });
    await until('the data of every reader in', () => relay!.dataReceivedFor.length === 5 && relay!.acceptedFor.length === 4, 20_000);
    const signalled = performance.now();
    send.child.kill('SIGTERM');
    const code = await send.exited;
    const took = performance.now() - signalled;
    expect(code, send.stderr()).toBe(0);
    expect(took).toBeLessThan(30_000);
    expect(send.stderr()).toMatch(/in doubt 1/);
    expect(relay!.quits).toBeGreaterThanOrEqual(1);

    const report = await runCli(['report', '--config', project!.configFile, '--json', '--recipients']);
    const [r] = JSON.parse(report.stdout) as { counts: Record<string, number>; recipients: { email: string; state: string; lastError: string | null }[] }[];
    expect(r!.counts).toMatchObject({ sent: 4, unknown: 1, sending: 0 });
    const states = new Map(r!.recipients.map((x) => [x.email, x.state]));
    expect(states.get(STALLED)).toBe('unknown');
    for (const e of OTHERS) expect(states.get(e), e).toBe('sent');
  }, 60_000);

  it('`start` stopped by SIGTERM during its first tick: exit 0 within 30 s, no scheduling after the stop, the rows recorded', async () => {
    await setUp((y) => y.replace('socket: 60s', 'socket: 30s'));
    const start = spawnCli(['start', '--config', project!.configFile], { env: { SMTP_URL: relay!.url } });
    await until('the first issue under way with one reader stalled', () => relay!.dataReceivedFor.length === 5 && relay!.acceptedFor.length === 4, 20_000);
    const signalled = performance.now();
    start.child.kill('SIGTERM');
    const code = await start.exited;
    expect(performance.now() - signalled).toBeLessThan(30_000);
    expect(code, start.stderr()).toBe(0);
    const after = start.stderr().slice(start.stderr().indexOf('"stopping"'));
    expect(after).not.toMatch(/"scheduled"|Running\.|driver has already been destroyed|run failed/);

    const report = await runCli(['report', '--config', project!.configFile, '--json', '--recipients']);
    const [r] = JSON.parse(report.stdout) as { counts: Record<string, number>; recipients: { email: string; state: string }[] }[];
    expect(r!.counts).toMatchObject({ sent: 4, unknown: 1, sending: 0 });
    expect(r!.recipients.find((x) => x.email === STALLED)?.state).toBe('unknown');
  }, 60_000);

  it('`start` stopped by SIGTERM as soon as it says anything: exit 0', async () => {
    await setUp();
    const start = spawnCli(['start', '--config', project!.configFile], { env: { SMTP_URL: relay!.url } });
    await start.waitFor(/./);
    start.child.kill('SIGTERM');
    const code = await Promise.race([start.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code, start.stderr()).toBe(0);
  }, 45_000);
});
