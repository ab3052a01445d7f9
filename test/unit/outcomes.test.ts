import { describe, expect, it } from 'vitest';
import { cancelledAttempt, failedAttempt, OutcomeTally, sentAttempt, THROTTLE_MS, type Attempt, type OutcomeContext } from '../../src/delivery/outcomes.js';
import type { ClaimedDelivery } from '../../src/store/store.js';
import { toTransportError } from '../../src/transport/smtp/classify.js';
import { TransportError } from '../../src/transport/transport.js';
import type { DeliveryStore } from '../../src/delivery/delivery-store.js';

const NOW = new Date('2026-11-23T07:00:00.000Z');
const reader = (attempts = 1, email = 'ada@example.com'): ClaimedDelivery => ({
  outboxId: 7,
  attempts,
  firstQueuedAt: NOW.toISOString(),
  subscriber: { id: 3, email, name: 'Ada', locale: 'en', timezone: 'UTC', topics: [], attributes: {} },
});
const ctx = (): OutcomeContext => ({ now: NOW, retryLifetimeMs: 3 * 86_400_000, throttled: new Map() });
/** What the SMTP transport rejects with for a reply (its classifier, beside the client). */
const smtp = (responseCode: number, response: string, dataStarted = false) => toTransportError(Object.assign(new Error(response), { responseCode, response }), dataStarted);

describe('one send result → the reader’s row', () => {
  it('maps each kind of reply to its state', () => {
    const c = ctx();
    const state = (err: unknown) => failedAttempt(reader(), '<m@x>', err, c).outcome;
    expect(state(smtp(451, '451 4.3.0 try later'))).toMatchObject({ state: 'deferred', nextAttemptAt: expect.any(String) });
    expect(state(smtp(550, '550 5.1.1 no such user'))).toMatchObject({ state: 'failed' });
    expect(state(smtp(554, '554 5.6.0 rejected'))).toMatchObject({ state: 'failed' });
    expect(state(smtp(535, '535 5.7.8 bad login'))).toMatchObject({ state: 'queued' });
    expect(state(toTransportError(Object.assign(new Error('socket closed'), { code: 'ECONNECTION' }), true))).toMatchObject({ state: 'unknown' });
    expect(state(toTransportError(Object.assign(new Error('socket closed'), { code: 'ECONNECTION' }), false))).toMatchObject({ state: 'deferred' });
    expect(state(new TransportError('deferred', 'the disk holding data/mail is full (ENOSPC)', { handedOver: false }))).toMatchObject({ state: 'deferred' });
    // A carrier that breaks its port (a plain error): the message may have gone.
    expect(state(new Error('ESES: something unexpected'))).toMatchObject({ state: 'unknown', error: expect.stringMatching(/does not classify: ESES/) });
    expect(sentAttempt(reader(), '<m@x>', '250 ok').outcome).toEqual({ outboxId: 7, state: 'sent', messageId: '<m@x>', response: '250 ok' });
  });

  it('holds a domain that answered 421, and fails a reader whose retry lifetime is spent', () => {
    const c = ctx();
    failedAttempt(reader(1, 'x@slow.example'), '<m@x>', smtp(421, '421 4.7.0 slow down'), c);
    expect(c.throttled.get('slow.example')).toBe(NOW.getTime() + THROTTLE_MS);
    const late = { ...c, now: new Date(NOW.getTime() + 4 * 86_400_000) };
    expect(failedAttempt(reader(30), '<m@x>', smtp(451, '451 later'), late).outcome).toMatchObject({ state: 'failed', error: expect.stringMatching(/^gave up after 30 attempts/) });
  });

  it('after our own stop: queued when nothing was handed over, else in doubt', () => {
    expect(cancelledAttempt(reader(), '<m@x>', new TransportError('deferred', 'aborted', { handedOver: false })).outcome.state).toBe('queued');
    expect(cancelledAttempt(reader(), '<m@x>', new Error('aborted')).outcome.state).toBe('unknown');
  });
});

describe('recorded outcomes → the run', () => {
  const store = () => {
    const calls: string[] = [];
    const s = {
      suppress: async (id: number) => void calls.push(`suppress ${id}`),
      appendConsentEvent: async (e: { kind: string }) => void calls.push(`consent ${e.kind}`),
      pauseIssue: async (id: number) => void calls.push(`pause ${id}`),
    } as unknown as DeliveryStore;
    return { s, calls };
  };
  const logger = { info() {}, warn() {}, error() {}, debug() {} } as never;
  const c = ctx();
  const deferred = (): Attempt => failedAttempt(reader(), '<m@x>', smtp(451, '451 later'), c);

  it('ends the run after the configured failures in a row, without pausing the issue; a 250 in between resets the count', async () => {
    const { s, calls } = store();
    const tally = new OutcomeTally({ store: s, logger, issueId: 1, newsletterId: 'nl', stopAfterFailures: 3 });
    await tally.apply([deferred(), deferred(), sentAttempt(reader(), '<m@x>', '250'), deferred(), deferred()], 'now', false);
    expect(tally.ended).toBeUndefined();
    await tally.apply([deferred()], 'now', false);
    expect(tally.ended).toMatch(/^3 deliveries in a row failed/);
    expect(calls).toEqual([]);
  });

  it('does not count sends cancelled by our own stop; pauses the issue when the relay refuses us; suppresses a hard bounce', async () => {
    const { s, calls } = store();
    const tally = new OutcomeTally({ store: s, logger, issueId: 1, newsletterId: 'nl', stopAfterFailures: 1 });
    await tally.apply([cancelledAttempt(reader(), '<m@x>', new Error('aborted'))], 'now', true);
    expect(tally.ended).toBeUndefined();
    await tally.apply([failedAttempt(reader(), '<m@x>', smtp(550, '550 5.1.1 unknown user'), c), failedAttempt(reader(), '<m@x>', smtp(535, '535 5.7.8 no'), c)], 'now', false);
    expect(calls).toEqual(['suppress 3', 'consent bounced', 'pause 1']);
    expect(tally.ended).toMatch(/the relay refused us, not the reader/);
  });
});
