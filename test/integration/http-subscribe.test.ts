import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { syncListFile } from '../../src/audience/sync.js';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/domain/logger.js';
import type { SendResult, Transport } from '../../src/transport/transport.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { recordingTransport } from '../helpers/recording-transport.js';
import { until } from '../helpers/wait.js';

/** POST /subscribe as an attacker probes it, and what the reader gets (issue 19, "Data and secrets"). */
const NOW = '2026-11-28T15:00:00Z';

describe('POST /subscribe', () => {
  let project: TestProject;
  let app: App;
  const clock = fixedClock(NOW);
  const recording = recordingTransport();
  const sent = recording.sent;
  const logged: string[] = [];
  const logger: Logger = {
    info: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`),
    warn: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => void logged.push(`${m} ${JSON.stringify(f ?? {})}`),
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

  it('answers byte for byte the same for a subscribed, a pending, an unsubscribed and an unknown address, before reading the store', async () => {
    await syncListFile(app.store, 'weekly-brief', app.config.paths.subscribers, NOW);
    const stateOf = async (email: string) => (await app.store.getSubscription((await app.store.findSubscriberByEmail(email))!.id, 'weekly-brief'))?.state;
    expect([await stateOf('ada@example.com'), await stateOf('waiting@example.com'), await stateOf('former@example.com')]).toEqual(['consent', 'pending', 'withdrawn']);
    expect(await app.store.findSubscriberByEmail('nobody-yet@example.org')).toBeUndefined();

    // A store whose every call waits until the test opens it: the answers come back all the same,
    // so nothing in them (content or time) can depend on what the store knows of the address.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let calls = 0;
    const gated = new Proxy(app.store, {
      get: (target, key, receiver) => {
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === 'function' ? async (...args: unknown[]) => (calls++, await gate, (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
      },
    });
    const h = createHttpApp({ store: gated, config: app.config, clock, logger, transport: recording });
    const answers = [];
    for (const email of ['ada@example.com', 'waiting@example.com', 'former@example.com', 'nobody-yet@example.org', 'ADA@Example.com ']) answers.push(await answer(await post(h, email)));
    expect(answers[0]!.status).toBe(202);
    for (const a of answers) expect(a).toEqual(answers[0]);
    open();
    await h.settled();
    expect(calls).toBeGreaterThan(0);
    // Then the work was done: a confirmation for the pending, the unsubscribed and the new reader, none for the subscribed one.
    expect(sent.map((m) => m.envelope.to[0]).sort()).toEqual(['former@example.com', 'nobody-yet@example.org', 'waiting@example.com']);
  });

  it('answers the same when the relay refuses the confirmation (logged without the address, no 500) and when it never answers', async () => {
    const refusing: Transport = { name: 'refusing', send: async () => Promise.reject(new Error('421 4.3.2 try later')), close: async () => {} };
    const h = http(refusing);
    const expected = await answer(await post(http(), 'someone@example.org'));
    expect(await answer(await post(h, 'other@example.org'))).toEqual(expected);
    await h.settled();
    expect(logged.some((l) => /a sign-up could not be completed/.test(l) && /421/.test(l))).toBe(true);
    expect(logged.join('\n')).not.toContain('other@example.org');

    // A refusal that quotes the recipient, as a 550 usually does: logged with the address blanked.
    const quoting: Transport = { name: 'quoting', send: async (m) => Promise.reject(new Error(`550 5.1.1 <${m.envelope.to[0]}>: Recipient address rejected`)), close: async () => {} };
    const q = http(quoting);
    expect(await answer(await post(q, 'Quoted.Reader@Example.org'))).toEqual(expected);
    await q.settled();
    expect(logged, logged.join('\n')).toContainEqual(expect.stringContaining('550 5.1.1 <[address]>: Recipient address rejected'));
    expect(logged.join('\n').toLowerCase()).not.toContain('quoted.reader');

    // A relay that never answers: the answer does not wait for it.
    let release!: () => void;
    const hanging: Transport = { name: 'hanging', send: () => new Promise<SendResult>((resolve) => (release = () => resolve({ messageId: 'x', response: '250 at last' }))), close: async () => {} };
    const slow = http(hanging);
    const r = await Promise.race([
      Promise.resolve(post(slow, 'patient@example.org')).then(answer),
      new Promise<string>((resolve) => setTimeout(() => resolve('the answer waited for the relay'), 10_000)),
    ]);
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
    // The same client written as IPv4-mapped IPv6 is the same client.
    expect((await post(proxied, 'c1@example.org', { 'x-forwarded-for': '::ffff:203.0.113.1' })).status).toBe(429);
    await proxied.settled();
    await direct.settled();
  });

  it('over a real socket: the peer address is the client, recorded as proof; a forged X-Forwarded-For is ignored unless the proxy is trusted', async () => {
    const listen = async (h: HttpApp) => {
      let server!: ServerType;
      const port = await new Promise<number>((resolve) => (server = serve({ fetch: h.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))));
      const postTo = (email: string, forwarded: string) =>
        fetch(`http://127.0.0.1:${port}/subscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwarded },
          body: JSON.stringify({ email, newsletter: 'weekly-brief' }),
        });
      return { postTo, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    };
    const proofOf = async (email: string) => (await app.store.consentEvents((await app.store.findSubscriberByEmail(email))!.id)).map((e) => e.ip);

    const direct = http();
    const d = await listen(direct);
    try {
      for (let i = 0; i < 10; i++) expect((await d.postTo(`s${i}@example.org`, `198.51.100.${i}`)).status).toBe(202);
      expect((await d.postTo('s10@example.org', '192.0.2.99')).status).toBe(429);
      await direct.settled();
      expect(await proofOf('s0@example.org')).toEqual(['127.0.0.1']);
    } finally {
      await d.close();
    }

    const proxied = http(recording, true);
    const p = await listen(proxied);
    try {
      expect((await p.postTo('t0@example.org', 'forged, 198.51.100.20')).status).toBe(202);
      await proxied.settled();
      expect(await proofOf('t0@example.org')).toEqual(['198.51.100.20']);
    } finally {
      await p.close();
    }
  });

  it('behind a trusted proxy, counts an IPv6 client by its /64, and a last entry that is not an address as the proxy itself', async () => {
    const proxied = http(recording, true);
    for (let i = 1; i <= 10; i++) expect((await post(proxied, `v${i}@example.org`, { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` })).status).toBe(202);
    // Another address of the same /64 is the same client; the next /64 is another.
    expect((await post(proxied, 'v11@example.org', { 'x-forwarded-for': '2001:0db8:0001:0002:ffff:1:2:3' })).status).toBe(429);
    expect((await post(proxied, 'w0@example.org', { 'x-forwarded-for': '2001:db8:1:3::1' })).status).toBe(202);
    // Garbage where the proxy's entry should be: counted under the peer, not under the garbage.
    for (let i = 0; i < 10; i++) expect((await post(proxied, `g${i}@example.org`, { 'x-forwarded-for': `203.0.113.9, not-an-address-${i}` })).status).toBe(202);
    expect((await post(proxied, 'g10@example.org', { 'x-forwarded-for': 'yet-another-name' })).status).toBe(429);
    expect((await post(proxied, 'g11@example.org')).status).toBe(429);
    await proxied.settled();
  });
});
