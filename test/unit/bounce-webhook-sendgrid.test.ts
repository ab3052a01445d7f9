import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifySendGrid } from '../../src/bounces/webhooks/index.js';

const EVENTS = readFileSync(new URL('../fixtures/webhooks/sendgrid-events.json', import.meta.url), 'utf8');
const NOW = new Date('2026-11-23T08:01:00.000Z');
const TS = String(Date.parse('2026-11-23T08:00:50.000Z') / 1000);

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // As SendGrid shows its verification key: base64 of the DER SubjectPublicKeyInfo.
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}
const sendgrid = keyPair();

function headers(body: string, timestamp = TS, key: KeyObject = sendgrid.privateKey) {
  const signature = sign('sha256', Buffer.from(timestamp + body), { key, dsaEncoding: 'der' }).toString('base64');
  return { 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp };
}
const run = (body: string, h: Record<string, string | undefined>, now = NOW, publicKey = sendgrid.publicKey) => verifySendGrid({ headers: h, body, now, secrets: { publicKey } });

describe('verifySendGrid: the signature', () => {
  it('accepts a batch signed over timestamp + raw body', () => {
    expect(run(EVENTS, headers(EVENTS))).toMatchObject({ ok: true });
  });

  it('refuses a signature made with another key', () => {
    expect(run(EVENTS, headers(EVENTS, TS, keyPair().privateKey))).toEqual({ ok: false, reason: 'SendGrid signature does not verify' });
  });

  it('refuses an altered body, even by one byte of whitespace, and an altered timestamp', () => {
    const h = headers(EVENTS);
    expect(run(EVENTS.replace('"bounce"', '"delivered"'), h)).toMatchObject({ ok: false, reason: 'SendGrid signature does not verify' });
    expect(run(`${EVENTS} `, h)).toMatchObject({ ok: false });
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-timestamp': String(Number(TS) + 1) })).toMatchObject({ ok: false, reason: 'SendGrid signature does not verify' });
  });

  it('refuses a correctly signed request older than ten minutes or more than five minutes ahead', () => {
    const at = (iso: string) => String(Date.parse(iso) / 1000);
    const stale = at('2026-11-23T07:50:59.000Z');
    expect(run(EVENTS, headers(EVENTS, stale))).toMatchObject({ ok: false, reason: expect.stringMatching(/window/) });
    expect(run(EVENTS, headers(EVENTS, at('2026-11-23T07:51:00.000Z')))).toMatchObject({ ok: true });
    expect(run(EVENTS, headers(EVENTS, at('2026-11-23T08:06:01.000Z')))).toMatchObject({ ok: false, reason: expect.stringMatching(/window/) });
    // The same request replayed an hour later is refused.
    expect(run(EVENTS, headers(EVENTS), new Date('2026-11-23T09:01:00.000Z'))).toMatchObject({ ok: false });
  });

  it('refuses missing or malformed headers and a configured key that is not P-256 SPKI', () => {
    const h = headers(EVENTS);
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-signature': undefined })).toMatchObject({ ok: false });
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-timestamp': undefined })).toMatchObject({ ok: false });
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-timestamp': '2026-11-23T08:00:50Z' })).toMatchObject({ ok: false });
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-signature': 'not base64!' })).toMatchObject({ ok: false });
    expect(run(EVENTS, { ...h, 'x-twilio-email-event-webhook-signature': 'AAAA' })).toMatchObject({ ok: false });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(run(EVENTS, h, NOW, rsa)).toMatchObject({ ok: false, reason: expect.stringMatching(/P-256/) });
    expect(run(EVENTS, h, NOW, 'bm90IGEga2V5')).toMatchObject({ ok: false, reason: expect.stringMatching(/SPKI/) });
  });

  it('refuses a body over 1 MiB before looking at it, and a signed body that is not an event array', () => {
    const huge = `[${'{"event":"open"},'.repeat(70_000)}{}]`;
    expect(run(huge, headers(huge))).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
    for (const body of ['{"event":"bounce"}', 'not json']) expect(run(body, headers(body)), body).toMatchObject({ ok: false });
  });
});

describe('verifySendGrid: the events', () => {
  it('maps each delivery event and ignores the rest', () => {
    const result = run(EVENTS, headers(EVENTS));
    if (!result.ok) throw new Error(result.reason);
    expect(result.reports.map((r) => [r.recipient, r.kind, r.status])).toEqual([
      ['slow@example.com', 'soft-bounce', '4.2.2'],
      ['reader@example.com', 'delivered', undefined],
      ['gone@example.com', 'hard-bounce', '5.0.0'],
      ['blocked@example.com', 'soft-bounce', '5.7.1'],
      ['bounced-before@example.com', 'hard-bounce', '5.0.0'],
      ['left@example.com', 'unknown', '5.0.0'],
      ['angry@example.com', 'complaint', undefined],
    ]);
    expect(result.ignored).toEqual(['SendGrid event 0: processed event is not a delivery report', 'SendGrid event 8: open event is not a delivery report']);
  });

  it('carries sg_event_id, smtp-id, the event time, the reason and the event JSON', () => {
    const result = run(EVENTS, headers(EVENTS));
    const bounce = result.ok ? result.reports.find((r) => r.recipient === 'gone@example.com') : undefined;
    const event = (JSON.parse(EVENTS) as unknown[])[3];
    expect(bounce).toEqual({
      kind: 'hard-bounce',
      channel: 'sendgrid',
      recipient: 'gone@example.com',
      status: '5.0.0',
      diagnostic: '500 unknown recipient',
      at: '2026-11-23T08:00:03.000Z',
      eventId: '6g4ZI7SA-xmRDv57GoPIPw==',
      originalMessageId: '<weekly-brief.42.Q2x3.mnb4k0@news.example.org>',
      raw: JSON.stringify(event),
    });
    const dropped = result.ok ? result.reports.find((r) => r.recipient === 'left@example.com') : undefined;
    expect(dropped?.diagnostic).toBe('SendGrid dropped the message: Unsubscribed Address');
    const complaint = result.ok ? result.reports.find((r) => r.kind === 'complaint') : undefined;
    expect(complaint?.issueHeader).toBe('weekly-brief/42');
  });

  it('lists a malformed event of a signed batch in ignored and still reads the others', () => {
    const body = JSON.stringify([42, { event: 'bounce', type: 'bounce', email: 'not an address' }, { event: 'spamreport', email: 'x@example.com', timestamp: 'yesterday' }]);
    const result = run(body, headers(body));
    expect(result).toMatchObject({ ok: true, reports: [{ kind: 'complaint', recipient: 'x@example.com', at: NOW.toISOString() }] });
    expect(result.ok && result.ignored).toEqual(['SendGrid event 0: not an object', 'SendGrid event 1: bounce event has no email address']);
  });

  it('cuts a long diagnostic to 1,000 characters', () => {
    const body = JSON.stringify([{ event: 'bounce', type: 'bounce', email: 'x@example.com', reason: `550 ${'y'.repeat(5000)}` }]);
    const result = run(body, headers(body));
    expect(result.ok && result.reports[0]!.diagnostic!.length).toBe(1000);
  });
});
