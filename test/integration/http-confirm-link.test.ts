import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { signToken } from '../../src/domain/tokens.js';
import { silentLogger } from '../../src/domain/logger.js';
import type { App } from '../../src/app.js';
import { joinRaw, type OutgoingMessage } from '../../src/transport/transport.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { recordingTransport } from '../helpers/recording-transport.js';
import { dropSchema, pgSchemaUrl } from '../helpers/postgres.js';

/**
 * A confirmation link is bound to the sign-up it was mailed for (issue 19): the token carries the
 * time of the pending consent event, and only while that event is the latest does the link act.
 * On both stores, since the check compares the time as the store gives it back.
 */
const stores = [
  { name: 'SQLite', env: () => ({ env: {}, teardown: async () => {} }) },
  {
    name: 'PostgreSQL',
    env: () => {
      const { url, schema } = pgSchemaUrl();
      return { env: { DATABASE_URL: url }, teardown: () => dropSchema(schema) };
    },
  },
];

describe.each(stores)('confirmation links on $name', (kind) => {
  let project: TestProject;
  let app: App;
  let teardown: () => Promise<void>;
  const clock = fixedClock('2026-11-28T15:00:00Z');
  const recording = recordingTransport();
  const sent = recording.sent;
  let h: HttpApp;

  beforeEach(async () => {
    clock.set('2026-11-28T15:00:00Z');
    sent.length = 0;
    project = makeProject();
    const store = kind.env();
    teardown = store.teardown;
    app = await openTestApp(project, { clock, env: store.env });
    h = createHttpApp({ store: app.store, config: app.config, clock, logger: silentLogger, transport: recording });
  });
  afterEach(async () => {
    await h.settled();
    await app.close();
    await teardown();
    project.cleanup();
  });

  const signUp = async (email: string) => {
    const r = await h.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, newsletter: 'weekly-brief' }) });
    expect(r.status).toBe(202);
    await h.settled();
  };
  const confirmLink = async (m: OutgoingMessage) => new URL(/https:\/\/news\.example\.test\/c\/[\w.-]+/.exec((await simpleParser(joinRaw(m.raw))).text ?? '')![0]).pathname;
  const stateOf = async (id: number) => (await app.store.getSubscription(id, 'weekly-brief'))?.state;

  it('after an unsubscribe and a new sign-up, the old link does nothing (GET and POST) and the new one confirms', async () => {
    await signUp('zoe@example.org');
    const oldLink = await confirmLink(sent[0]!);
    const zoe = (await app.store.findSubscriberByEmail('zoe@example.org'))!;
    expect((await h.request(oldLink)).status).toBe(200); // still the current sign-up: the page offers the button

    clock.set('2026-11-28T16:00:00Z');
    await app.store.appendConsentEvent({ subscriberId: zoe.id, newsletterId: 'weekly-brief', kind: 'withdrawn', at: clock.now().toISOString(), source: 'unsubscribe-link' }, clock.now().toISOString());
    // Withdrawn: the link cannot undo the unsubscribe.
    expect((await h.request(oldLink, { method: 'POST' })).status).toBe(400);
    expect(await stateOf(zoe.id)).toBe('withdrawn');

    clock.set('2026-11-28T17:00:00Z');
    await signUp('zoe@example.org');
    const newLink = await confirmLink(sent[1]!);
    expect(newLink).not.toBe(oldLink);

    const page = await h.request(oldLink);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('no longer valid');
    const old = await h.request(oldLink, { method: 'POST' });
    expect(old.status).toBe(400);
    expect(await old.text()).toContain('no longer valid');
    expect(await stateOf(zoe.id)).toBe('pending');

    expect((await h.request(newLink)).status).toBe(200);
    expect((await h.request(newLink, { method: 'POST' })).status).toBe(200);
    expect(await stateOf(zoe.id)).toBe('consent');
    const events = await app.store.consentEvents(zoe.id);
    expect(events.map((e) => [e.kind, e.source])).toEqual([
      ['pending', 'subscribe-form'],
      ['withdrawn', 'unsubscribe-link'],
      ['pending', 'subscribe-form'],
      ['consent', 'double-opt-in'],
    ]);
    // Once subscribed, the old link still changes nothing.
    expect(await (await h.request(oldLink, { method: 'POST' })).text()).toContain('already subscribed');
    expect((await app.store.consentEvents(zoe.id)).length).toBe(4);
  });

  it('a validly signed confirmation token that names no sign-up (no time, or another time) confirms nothing', async () => {
    await signUp('yan@example.org');
    const yan = (await app.store.findSubscriberByEmail('yan@example.org'))!;
    const secret = TEST_ENV.NEWSLETTER_SECRET;
    const e = Math.floor(clock.now().getTime() / 1000) + 3600;
    for (const token of [signToken({ p: 'confirm', s: yan.id, n: 'weekly-brief', e }, secret), signToken({ p: 'confirm', s: yan.id, n: 'weekly-brief', e, w: '2026-11-28T14:59:59.000Z' }, secret)]) {
      expect((await h.request(`/c/${token}`, { method: 'POST' })).status).toBe(400);
    }
    expect(await stateOf(yan.id)).toBe('pending');
  });
});
