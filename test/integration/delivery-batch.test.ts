import { afterEach, describe, expect, it } from 'vitest';
import { sendNewsletter } from '../../src/service/send-issue.js';
import type { App } from '../../src/app.js';
import type { OutgoingMessage, SendResult, Transport } from '../../src/transport/transport.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

const READERS = 12;

/** A transport whose sends finish only when the test says so. */
function heldTransport() {
  const calls: { message: OutgoingMessage; release: () => void; done: boolean }[] = [];
  const transport: Transport & { calls: typeof calls; onSend?: (m: OutgoingMessage) => Promise<void> } = {
    name: 'held',
    calls,
    async send(message): Promise<SendResult> {
      await transport.onSend?.(message);
      await new Promise<void>((resolve) => {
        const call = { message, done: false, release: () => ((call.done = true), resolve()) };
        calls.push(call);
      });
      return { messageId: message.messageId, response: '250 held' };
    },
    async close() {},
  };
  return transport;
}

/** A project whose batch in flight is 4 readers, with `readers` consenting English readers. */
function windowProject(readers: number): TestProject {
  return makeProject({
    config: (y) => y.replace('batchSize: 50', 'batchSize: 4'),
    subscribers: [
      'email,name,locale,timezone,status,consented_at,source,topics',
      ...Array.from({ length: readers }, (_, i) => `reader${i}@example.com,Reader ${i},en,UTC,subscribed,2026-01-01T00:00:00Z,test,`),
    ].join('\n'),
  });
}

/** Each send looks at the outbox: the most rows committed as `sending` at any send. */
function watchSending(app: App, transport: ReturnType<typeof heldTransport>): { maxSending: number } {
  const watch = { maxSending: 0 };
  transport.onSend = async () => {
    // The issue being sent: the newsletter's latest (the key is the transport's file name, not parsed).
    const issue = await app.store.latestIssue(app.config.newsletters[0]!.id);
    watch.maxSending = Math.max(watch.maxSending, (await app.store.counts(issue!.id)).sending);
  };
  return watch;
}

describe('the batch in flight', () => {
  let project: TestProject | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    project?.cleanup();
    app = project = undefined;
  });

  it('keeps at most batchSize readers in flight, and claims more once half of them are done while the rest are still on the wire', async () => {
    project = windowProject(READERS);
    const transport = heldTransport();
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z'), transport });
    const a = app;
    const watch = watchSending(a, transport);
    const sending = sendNewsletter(a, a.config.newsletters[0]!);

    await until('the first window of 4', () => transport.calls.length === 4);
    transport.calls[0]!.release();
    transport.calls[1]!.release();
    // Half the window is done: two more readers start while the first window's other two are held.
    await until('the refill', () => transport.calls.length === 6);
    expect(transport.calls.slice(2, 4).every((c) => !c.done)).toBe(true);

    // Let everything finish, one at a time.
    await until('every reader', async () => {
      transport.calls.find((c) => !c.done)?.release();
      return transport.calls.length === READERS && transport.calls.every((c) => c.done);
    });
    const summary = await sending;
    expect(summary.counts.sent).toBe(READERS);
    expect(watch.maxSending).toBe(4);
    expect(new Set(transport.calls.map((c) => c.message.messageId)).size).toBe(READERS);
  });

  it('lets timers run during a send whose transport and store never wait', async () => {
    project = windowProject(200);
    let sent = 0;
    let sentWhenTimerRan: number | undefined;
    const immediate: Transport = {
      name: 'immediate',
      async send(m) {
        sent++;
        return { messageId: m.messageId, response: '250 at once' };
      },
      async close() {},
    };
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z'), transport: immediate });
    const a = app;
    let summary: Awaited<ReturnType<typeof sendNewsletter>> | undefined;
    const sending = sendNewsletter(a, a.config.newsletters[0]!).then((s) => (summary = s));
    // Started once the send is under way (the first message is out), a timer must not wait for the end.
    await until('the first message', () => sent > 0);
    setTimeout(() => (sentWhenTimerRan = sent), 0);
    await sending;
    expect(summary!.counts.sent).toBe(200);
    expect(sentWhenTimerRan).toBeDefined();
    expect(sentWhenTimerRan!).toBeLessThan(200);
  });

  it('counts readers that finished while outcomes were being recorded against the window too', async () => {
    project = windowProject(READERS);
    const transport = heldTransport();
    app = await openTestApp(project, { clock: fixedClock('2026-11-28T15:00:00Z'), transport });
    const a = app;
    const watch = watchSending(a, transport);
    // A store whose commits take a while (as PostgreSQL's do): another send finishes during each.
    const record = a.store.record.bind(a.store);
    a.store.record = async (outcomes, at) => {
      await record(outcomes, at);
      transport.calls.find((c) => !c.done)?.release();
      await new Promise((resolve) => setImmediate(resolve));
    };
    const sending = sendNewsletter(a, a.config.newsletters[0]!);
    await until('every reader', async () => {
      transport.calls.find((c) => !c.done)?.release();
      return transport.calls.length === READERS && transport.calls.every((c) => c.done);
    });
    expect((await sending).counts.sent).toBe(READERS);
    expect(watch.maxSending).toBeLessThanOrEqual(4);
  });
});
