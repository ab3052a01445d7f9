import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/domain/logger.js';
import type { OutgoingMessage, SendResult, Transport } from '../../src/transport/transport.js';
import { joinRaw } from '../../src/transport/transport.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

/** POST /subscribe as an attacker probes it, and what the reader gets (issue 19, "Data and secrets"). */
const NOW = '2026-11-28T15:00:00Z';

describe('POST /subscribe', () => {
  let project: TestProject;
  let app: App;
  const clock = fixedClock(NOW);
  const sent: OutgoingMessage[] = [];
  const logged: string[] = [];
  const logger: Logger = { info: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`), warn: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`), error: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`) };
  const recording: Transport = {
    name: 'recording',
    async send(m): Promise<SendResult> {
      sent.push(m);
      return { messageId: m.messageId, response: '250 ok' };
    },
    async close() {},
  };
  beforeEach(async () => {
    clock.set(NOW);
    sent.length = 0;
    logged.length = 0;
    project = makeProject();
    app = await openTestApp(project, { clock });
  });
  afterEach(async () => {
    await app.close();
    project.cleanup();
  });
  const http = (transport: Transport = recording, trustProxy = false): HttpApp =>
    createHttpApp({ store: app.store, config: { ...app.config, http: { ...app.config.http, trustProxy } }, clock, logger, transport });
  const post = (h: HttpApp, email: string, headers: Record<string, string> = {}) =>
    h.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, newsletter: 'weekly-brief' }) });
  const answer = async (r: Response) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() });
  const confirmLink = async (m: OutgoingMessage) => new URL(/https:\/\/news\.example\.test\/c\/[\w.-]+/.exec((await simpleParser(joinRaw(m.raw))).text ?? '')![0]).pathname;

  it('answers byte for byte the same for a subscribed, a pending, an unsubscribed and an unknown address', async () => {
    const h = http();
    const first = await answer(await post(h, 'ada@example.com')); // in the sample list, subscribed
    for (const email of ['waiting@example.com', 'former@example.com', 'nobody-yet@example.org', 'ADA@Example.com ']) {
      expect(await answer(await post(h, email)), email).toEqual(first);
    }
    expect(first.status).toBe(202);
  });

  it('answers the same when the relay refuses the confirmation (logged without the address, no 500) and when it never answers', async () => {
    const refusing: Transport = { name: 'refusing', send: async () => Promise.reject(new Error('421 4.3.2 try later')), close: async () => {} };
    const h = http(refusing);
    const expected = await answer(await post(http(), 'someone@example.org'));
    expect(await answer(await post(h, 'other@example.org'))).toEqual(expected);
    await h.settled();
    expect(logged.some((l) => /a sign-up could not be completed/.test(l) && /421/.test(l))).toBe(true);
    expect(logged.join('\n')).not.toContain('other@example.org');

    // A relay that never answers: the answer does not wait for it.
    let release!: () => void;
    const hanging: Transport = { name: 'hanging', send: () => new Promise<SendResult>((resolve) => (release = () => resolve({ messageId: 'x', response: '250 at last' }))), close: async () => {} };
    const slow = http(hanging);
    const r = await Promise.race([Promise.resolve(post(slow, 'patient@example.org')).then(answer), new Promise<string>((resolve) => setTimeout(() => resolve('the answer waited for the relay'), 10_000))]);
    expect(r).toEqual(expected);
    // The mail does go once the relay answers.
    await until('the confirmation handed to the relay', () => release !== undefined);
    release();
    await slow.settled();
  });

  it('counts an address written another way (case, Unicode or punycode domain, NFD) as the same for the 3-a-day limit', async () => {
    const h = http();
    const variants = ['zoë@bücher.example', 'ZOË@xn--bcher-kva.example', 'zoe\u0308@BÜCHER.example', 'zoë@xn--bcher-kva.example'];
    for (const v of variants) expect((await post(h, v)).status, v).toBe(202);
    await h.settled();
    // Three confirmations for the one mailbox, then nothing more today.
    expect(sent).toHaveLength(3);
  });

  it('limits a client by its peer address, not by an X-Forwarded-For it sends; behind a trusted proxy, by the address the proxy forwards', async () => {
    const direct = http();
    for (let i = 0; i < 10; i++) expect((await post(direct, `a${i}@example.org`, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(202);
    expect((await post(direct, 'a10@example.org', { 'x-forwarded-for': '198.51.100.7' })).status).toBe(429);

    const proxied = http(recording, true);
    for (let i = 0; i < 10; i++) expect((await post(proxied, `b${i}@example.org`, { 'x-forwarded-for': `spoofed, 203.0.113.1` })).status).toBe(202);
    expect((await post(proxied, 'b10@example.org', { 'x-forwarded-for': 'spoofed-again, 203.0.113.1' })).status).toBe(429);
    // Another client behind the same proxy has its own count.
    expect((await post(proxied, 'c0@example.org', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(202);
    await proxied.settled();
    await direct.settled();
  });

  it('binds a confirmation link to its sign-up: after an unsubscribe and a new sign-up, the old link does nothing and the new one works', async () => {
    const h = http();
    await post(h, 'zoe@example.org');
    await h.settled();
    const oldLink = await confirmLink(sent[0]!);
    const zoe = (await app.store.findSubscriberByEmail('zoe@example.org'))!;
    clock.set('2026-11-28T16:00:00Z');
    await app.store.appendConsentEvent({ subscriberId: zoe.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at: clock.now().toISOString(), source: 'unsubscribe-link' }, clock.now().toISOString());
    clock.set('2026-11-28T17:00:00Z');
    await post(h, 'zoe@example.org');
    await h.settled();
    const newLink = await confirmLink(sent[1]!);
    expect(newLink).not.toBe(oldLink);

    const old = await h.request(oldLink, { method: 'POST' });
    expect(old.status).toBe(400);
    expect(await old.text()).toContain('no longer valid');
    expect((await app.store.getSubscription(zoe.id, 'weekly-brief'))?.state).toBe('pending');
    expect((await h.request(newLink, { method: 'POST' })).status).toBe(200);
    expect((await app.store.getSubscription(zoe.id, 'weekly-brief'))?.state).toBe('consent');
  });
});
