import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { forgetPerson } from '../../src/service/audience-admin.js';
import { recordConsent } from '../../src/audience/consent-events.js';
import { createWebhookSender, type App } from '../../src/app.js';
import { WEBHOOK_BACKOFF_S } from '../../src/webhooks/sender.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { startWebhookReceiver, type ReceivedHook } from '../helpers/webhook-receiver.js';
import { TransportError, type Transport } from '../../src/transport/transport.js';

/**
 * Webhooks out (issue 25): events queued in the store with the change they report, sent signed
 * (Standard Webhooks), retried with backoff after a failure, kept across a restart, and never
 * carrying an erased reader's address.
 */
const SECRET_BYTES = Buffer.from('0123456789abcdef0123456789abcdef');
const SECRET = `whsec_${SECRET_BYTES.toString('base64')}`;
const T0 = '2026-11-23T08:00:00.000Z';

/** The receiver's side, as the Standard Webhooks specification documents it, written independently of src/. */
function verified(h: ReceivedHook, nowS: number): boolean {
  const id = String(h.headers['webhook-id']);
  const ts = Number(h.headers['webhook-timestamp']);
  const expected = createHmac('sha256', SECRET_BYTES).update(`${id}.${ts}.${h.body}`).digest('base64');
  const given = String(h.headers['webhook-signature']).split(' ');
  return Math.abs(nowS - ts) <= 300 && given.includes(`v1,${expected}`);
}

const typesOf = (hooks: ReceivedHook[]) => hooks.map((h) => (JSON.parse(h.body) as { type: string }).type);

describe('webhooks out', () => {
  let project: TestProject;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let app: App;
  const clock = fixedClock(T0);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    project = makeProject({
      config: (y) => `${y}\nwebhooks:\n  - url: ${receiver.url}\n    events: [issue.created, issue.sent, delivery.failed, subscriber.unsubscribed, subscriber.forgotten]\n    secretEnv: HOOK_SECRET\n`,
    });
    app = await openTestApp(project, { clock, env: { HOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    project?.cleanup();
  });

  it('queues issue.created and issue.sent (with counts) in the store as a send goes, and sends them signed as documented', async () => {
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBe(CONSENTING.length);
    // Nothing was sent while delivering: the events wait in the durable queue.
    expect(receiver.received).toHaveLength(0);
    expect(await app.store.webhookCounts()).toEqual({ pending: 2, delivered: 0, failed: 0 });

    const sender = createWebhookSender(app)!;
    expect(await sender.runOnce()).toBe(2);
    expect(await app.store.webhookCounts()).toEqual({ pending: 0, delivered: 2, failed: 0 });
    expect(typesOf(receiver.received)).toEqual(['issue.created', 'issue.sent']);
    const nowS = Date.parse(T0) / 1000;
    for (const h of receiver.received) {
      expect(verified(h, nowS)).toBe(true);
      expect(h.headers['content-type']).toBe('application/json');
      const body = JSON.parse(h.body) as { id: string; timestamp: string };
      expect(body.id).toBe(h.headers['webhook-id']);
      expect(body.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(body.timestamp).toBe(T0);
      // A body altered in transit no longer verifies.
      expect(verified({ ...h, body: h.body.replace('"issue', '"issuE') }, nowS)).toBe(false);
    }
    const [created, sent] = receiver.received.map((h) => JSON.parse(h.body) as { data: Record<string, unknown> });
    expect(created!.data).toMatchObject({ newsletter: 'weekly-brief', issue: summary.issue!.id, recipients: CONSENTING.length });
    expect(sent!.data).toMatchObject({ newsletter: 'weekly-brief', issue: summary.issue!.id, counts: { sent: CONSENTING.length, failed: 0, queued: 0 } });

    // A second run over the finished issue tells nothing new: issue.sent is once per issue.
    await sendNewsletter(app, app.config.newsletters[0]!);
    expect(await app.store.webhookCounts()).toEqual({ pending: 0, delivered: 2, failed: 0 });
  });

  it('retries after a 500 with backoff, under the same id, until the endpoint takes it', async () => {
    receiver.received.length = 0;
    const ada = (await app.store.findSubscriberByEmail('ada@example.com'))!;
    await recordConsent(app.store, app.events, { subscriberId: ada.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at: T0, source: 'one-click' }, T0);
    let fails = 1;
    receiver.setAnswer(() => (fails-- > 0 ? 500 : 200));
    const sender = createWebhookSender(app)!;
    expect(await sender.runOnce()).toBe(1);
    expect(await app.store.webhookCounts()).toMatchObject({ pending: 1 });
    // Not due before its backoff has passed.
    clock.set(new Date(Date.parse(T0) + (WEBHOOK_BACKOFF_S[0]! - 1) * 1000).toISOString());
    expect(await sender.runOnce()).toBe(0);
    clock.set(new Date(Date.parse(T0) + WEBHOOK_BACKOFF_S[0]! * 1000).toISOString());
    expect(await sender.runOnce()).toBe(1);
    expect(await app.store.webhookCounts()).toMatchObject({ pending: 0 });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.headers['webhook-id']).toBe(receiver.received[1]!.headers['webhook-id']);
    expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ type: 'subscriber.unsubscribed', data: { email: 'ada@example.com', subscriber: ada.id, source: 'one-click' } });
    expect(verified(receiver.received[1]!, Math.floor(clock.now().getTime() / 1000))).toBe(true);
    receiver.setAnswer(() => 204);
  });

  it('an endpoint that hangs is given up on at the timeout and retried later', async () => {
    receiver.received.length = 0;
    const camille = (await app.store.findSubscriberByEmail('camille@example.fr'))!;
    await recordConsent(
      app.store,
      app.events,
      { subscriberId: camille.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at: clock.now().toISOString(), source: 'one-click' },
      clock.now().toISOString(),
    );
    receiver.setAnswer(() => 'hang');
    const sender = createWebhookSender(app, { timeoutMs: 300 })!;
    const started = performance.now();
    expect(await sender.runOnce()).toBe(1);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(receiver.received).toHaveLength(1);
    expect(await app.store.webhookCounts()).toMatchObject({ pending: 1 });
    receiver.setAnswer(() => 204);
    clock.set(new Date(clock.now().getTime() + WEBHOOK_BACKOFF_S[0]! * 1000).toISOString());
    expect(await sender.runOnce()).toBe(1);
    expect(await app.store.webhookCounts()).toMatchObject({ pending: 0 });
  });

  it('loses nothing across a restart: an event queued, or claimed by a process that died, is sent by the next one', async () => {
    receiver.received.length = 0;
    const grace = (await app.store.findSubscriberByEmail('grace@example.com'))!;
    const jean = (await app.store.findSubscriberByEmail('jean.dupont@example.fr'))!;
    const at = clock.now().toISOString();
    await recordConsent(app.store, app.events, { subscriberId: grace.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at, source: 'one-click' }, at);
    await recordConsent(app.store, app.events, { subscriberId: jean.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at, source: 'one-click' }, at);
    // A process claims one and dies before sending it; then the service stops.
    const lease = new Date(clock.now().getTime() + 60_000).toISOString();
    expect(await app.store.claimWebhooks(1, at, lease)).toHaveLength(1);
    await app.close();

    app = await openTestApp(project, { clock, env: { HOOK_SECRET: SECRET } });
    const sender = createWebhookSender(app)!;
    expect(await sender.runOnce()).toBe(1); // the one never claimed
    clock.set(new Date(Date.parse(lease) + 1).toISOString());
    expect(await sender.runOnce()).toBe(1); // the dead claim, once its lease is over
    expect(await app.store.webhookCounts()).toMatchObject({ pending: 0, failed: 0 });
    const emails = receiver.received.map((h) => (JSON.parse(h.body) as { data: { email: string } }).data.email).sort();
    expect(emails).toEqual(['grace@example.com', 'jean.dupont@example.fr']);
  });

  it("a forgotten reader's queued events are sent without the address, and subscriber.forgotten names only an id", async () => {
    receiver.received.length = 0;
    const layla = (await app.store.findSubscriberByEmail('layla@example.net'))!;
    const at = clock.now().toISOString();
    await recordConsent(app.store, app.events, { subscriberId: layla.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at, source: 'one-click' }, at);
    await forgetPerson(app, 'layla@example.net');
    const sender = createWebhookSender(app)!;
    expect(await sender.runOnce()).toBe(2);
    expect(typesOf(receiver.received)).toEqual(['subscriber.unsubscribed', 'subscriber.forgotten']);
    for (const h of receiver.received) expect(h.body).not.toContain('layla');
    expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ type: 'subscriber.forgotten', data: { subscriber: layla.id } });
  });

  it('a failed delivery is told, queued with the outcome, the address only in `email` (not in the relay words)', async () => {
    const other = makeProject({
      config: (y) => `${y}\nwebhooks:\n  - url: ${receiver.url}\n    events: [delivery.failed]\n    secret: ${SECRET}\n`,
    });
    const refusing: Transport = {
      name: 'refusing',
      async send(m) {
        const to = m.envelope.to[0]!;
        if (to === 'ada@example.com') throw new TransportError('failed-recipient', `550 5.1.1 <${to}>: no such user`, { reply: `550 5.1.1 <${to}>: no such user`, enhanced: '5.1.1' });
        return { messageId: m.messageId, response: '250 ok' };
      },
      async close() {},
    };
    const failing = await openTestApp(other, { clock: fixedClock(T0), transport: refusing });
    try {
      const summary = await sendNewsletter(failing, failing.config.newsletters[0]!);
      expect(summary.counts.failed).toBe(1);
      receiver.received.length = 0;
      expect(await createWebhookSender(failing)!.runOnce()).toBe(1);
      const body = JSON.parse(receiver.received[0]!.body) as { type: string; data: Record<string, unknown> };
      expect(body).toMatchObject({ type: 'delivery.failed', data: { newsletter: 'weekly-brief', issue: summary.issue!.id, email: 'ada@example.com' } });
      expect(String(body.data.reason)).toMatch(/^550 5\.1\.1 .*no such user/);
      expect(String(body.data.reason)).not.toContain('ada@example.com');
    } finally {
      await failing.close();
      other.cleanup();
    }
  });
});
