import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyMailgun } from '../../src/bounces/webhooks/index.js';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/webhooks/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

const KEY = 'key-7f1e2d3c4b5a69788796a5b4c3d2e1f0';
const NOW = new Date('2026-11-23T08:01:00.000Z');
const TS = String(Date.parse('2026-11-23T08:00:55.000Z') / 1000);
const TOKEN = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0';

function body(eventData: unknown, opts: { timestamp?: string; token?: string; key?: string; signature?: string } = {}): string {
  const timestamp = opts.timestamp ?? TS;
  const token = opts.token ?? TOKEN;
  const signature =
    opts.signature ??
    createHmac('sha256', opts.key ?? KEY)
      .update(timestamp + token)
      .digest('hex');
  return JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': eventData });
}
const run = (b: string, now = NOW, signingKey = KEY) => verifyMailgun({ headers: {}, body: b, now, secrets: { signingKey } });

describe('verifyMailgun: the signature', () => {
  it('accepts a body signed with the signing key and returns the token as the replay key', () => {
    expect(run(body(read('mailgun-failed-permanent.json')))).toMatchObject({ ok: true, replayKey: TOKEN, replayKeyExpiresAt: '2026-11-23T17:00:55.000Z' });
  });

  it('refuses a signature made with another key, or over another token or timestamp', () => {
    const data = read('mailgun-failed-permanent.json');
    expect(run(body(data, { key: 'key-not-ours' }))).toEqual({ ok: false, reason: 'Mailgun signature does not verify' });
    const good = JSON.parse(body(data));
    const swap = (field: string, value: string) => JSON.stringify({ ...good, signature: { ...good.signature, [field]: value } });
    expect(run(swap('token', `${TOKEN.slice(0, -1)}1`))).toMatchObject({ ok: false, reason: 'Mailgun signature does not verify' });
    expect(run(swap('timestamp', String(Number(TS) - 1)))).toMatchObject({ ok: false, reason: 'Mailgun signature does not verify' });
    const flipped = good.signature.signature.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    expect(run(swap('signature', flipped))).toMatchObject({ ok: false, reason: 'Mailgun signature does not verify' });
    for (const bad of ['', 'abc', 'z'.repeat(64), `${flipped}00`]) expect(run(swap('signature', bad)), bad).toMatchObject({ ok: false });
  });

  it('refuses a timestamp older than nine hours or more than five minutes ahead, and accepts a retry eight hours on', () => {
    const data = read('mailgun-delivered.json');
    const at = (iso: string) => String(Date.parse(iso) / 1000);
    expect(run(body(data, { timestamp: at('2026-11-22T23:00:00.000Z') }))).toMatchObject({ ok: false, reason: expect.stringMatching(/window/) });
    expect(run(body(data, { timestamp: at('2026-11-23T08:06:01.000Z') }))).toMatchObject({ ok: false, reason: expect.stringMatching(/window/) });
    expect(run(body(data, { timestamp: at('2026-11-23T00:01:00.000Z') }))).toMatchObject({ ok: true });
    expect(run(body(data, { timestamp: '1795420855.5' }))).toMatchObject({ ok: false });
  });

  it('gives the same replay key for a replayed token, whatever event data is attached to it', () => {
    // The HMAC covers timestamp + token only: the edge refusing a token seen before is what stops
    // a captured signature block from carrying forged event data.
    const first = run(body(read('mailgun-delivered.json')));
    const forged = run(body(read('mailgun-complained.json')));
    expect(first.ok && forged.ok && first.replayKey === forged.replayKey).toBe(true);
  });

  it('refuses without a signing key, and refuses junk without throwing', () => {
    expect(run(body(read('mailgun-delivered.json'), { key: '' }), NOW, '')).toEqual({ ok: false, reason: 'Mailgun signing key is not configured' });
    for (const b of ['', 'nope', '[]', '{}', '{"signature":{}}', JSON.stringify({ signature: { timestamp: 1795420855, token: TOKEN, signature: 'x' } }), body(null), body('x')]) {
      expect(run(b), b.slice(0, 50)).toMatchObject({ ok: false });
    }
    const huge = body({ ...read('mailgun-delivered.json'), padding: 'x'.repeat(1024 * 1024) });
    expect(run(huge)).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
  });
});

describe('verifyMailgun: the events', () => {
  it('reads a permanent failure as a hard bounce, adding the angle brackets Mailgun strips from the Message-ID', () => {
    const data = read('mailgun-failed-permanent.json');
    const result = run(body(data));
    expect(result).toEqual({
      ok: true,
      replayKey: TOKEN,
      replayKeyExpiresAt: '2026-11-23T17:00:55.000Z',
      ignored: [],
      reports: [
        {
          kind: 'hard-bounce',
          channel: 'mailgun',
          recipient: 'reader@example.com',
          status: '5.1.1',
          diagnostic: '550 5.1.1 The email account that you tried to reach does not exist',
          at: '2026-11-23T08:00:03.501Z',
          eventId: 'G9Bn5sl1TC6nu79C8C0bwg',
          originalMessageId: '<weekly-brief.42.Q2x1.mnb4k0@news.example.org>',
          issueHeader: 'weekly-brief/42',
          envelopeTo: 'bounces+Q2x1@news.example.org',
          raw: JSON.stringify(data),
        },
      ],
    });
  });

  it('reads temporary failures, complaints and deliveries', () => {
    expect(run(body(read('mailgun-failed-temporary.json')))).toMatchObject({ ok: true, reports: [{ kind: 'soft-bounce', status: '4.2.2', eventId: 'Fs7-5t81S2ioNtYbKqkEYw' }] });
    expect(run(body(read('mailgun-complained.json')))).toMatchObject({ ok: true, reports: [{ kind: 'complaint', recipient: 'reader@example.com', eventId: '-Agny091SquKnsrW2NEKUA' }] });
    expect(run(body(read('mailgun-delivered.json')))).toMatchObject({ ok: true, reports: [{ kind: 'delivered', diagnostic: '250 OK' }] });
  });

  it('keeps a message not sent because of an earlier complaint out of the complaint and bounce counts', () => {
    const data = {
      ...read('mailgun-failed-permanent.json'),
      reason: 'suppress-complaint',
      'delivery-status': { code: 605, description: 'Not delivering to previously complained address', message: '' },
    };
    expect(run(body(data))).toMatchObject({ ok: true, reports: [{ kind: 'unknown', diagnostic: '605 Not delivering to previously complained address' }] });
    const bounced = { ...data, reason: 'suppress-bounce' };
    expect(run(body(bounced))).toMatchObject({ ok: true, reports: [{ kind: 'hard-bounce' }] });
  });

  it('ignores events that are not delivery reports and refuses an event without a recipient', () => {
    expect(run(body({ ...read('mailgun-delivered.json'), event: 'opened' }))).toMatchObject({ ok: true, reports: [], ignored: ['Mailgun opened event is not a delivery report'] });
    expect(run(body({ ...read('mailgun-delivered.json'), recipient: undefined }))).toMatchObject({ ok: false, reason: expect.stringMatching(/recipient/) });
    expect(run(body({ ...read('mailgun-delivered.json'), event: undefined }))).toMatchObject({ ok: false });
  });
});
