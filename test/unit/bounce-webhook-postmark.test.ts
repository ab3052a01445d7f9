import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyPostmark } from '../../src/bounces/webhooks/index.js';
import { parseJsonKeepingLongIntegers } from '../../src/bounces/webhooks/common.js';

const dir = new URL('../fixtures/webhooks/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');

const NOW = new Date('2026-11-23T08:05:00.000Z');
const secrets = { username: 'postmark-hook', password: 'hQ3v9Zt1Lr8yWc2KpX7e' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = { authorization: basic(secrets.username, secrets.password) };
const run = (body: string, headers: Record<string, string | undefined> = AUTH, s = secrets) => verifyPostmark({ headers, body, now: NOW, secrets: s });

describe('verifyPostmark: Basic auth', () => {
  it('accepts the configured credentials (scheme name in any case)', () => {
    expect(run(read('postmark-bounce.json'))).toMatchObject({ ok: true });
    expect(run(read('postmark-bounce.json'), { authorization: AUTH.authorization.replace('Basic', 'basic') })).toMatchObject({ ok: true });
  });

  it('refuses a wrong password, a wrong user, a missing or malformed header', () => {
    const body = read('postmark-bounce.json');
    const cases: Record<string, string | undefined> = {
      'wrong password': basic(secrets.username, `${secrets.password}x`),
      'password prefix': basic(secrets.username, secrets.password.slice(0, -1)),
      'wrong user': basic('someone', secrets.password),
      swapped: basic(secrets.password, secrets.username),
      'no colon': `Basic ${Buffer.from(secrets.password).toString('base64')}`,
      bearer: `Bearer ${secrets.password}`,
      'not base64': 'Basic !!!',
      missing: undefined,
    };
    for (const [name, authorization] of Object.entries(cases)) {
      const result = run(body, { authorization });
      expect(result, name).toMatchObject({ ok: false });
      expect(JSON.stringify(result), name).not.toContain(secrets.password);
    }
  });

  it('refuses everything when no password is configured, even an empty one sent', () => {
    const empty = { username: 'postmark-hook', password: '' };
    expect(run(read('postmark-bounce.json'), { authorization: basic('postmark-hook', '') }, empty)).toEqual({ ok: false, reason: 'Postmark webhook credentials are not configured' });
  });

  it('refuses a body over 1 MiB and a body that is not a record, without throwing', () => {
    expect(run(`{"RecordType":"Bounce","Details":"${'x'.repeat(1024 * 1024)}"}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
    for (const body of [
      '',
      'nope',
      '[]',
      '42',
      '{"RecordType":"Bounce","Type":"HardBounce"}',
      '{"RecordType":"Bounce","Email":"a@b.example","BouncedAt":"x"}',
      '{"RecordType":"Delivery"}',
      '{"Email":"a@b.example"}',
    ]) {
      expect(run(body), body).toMatchObject({ ok: false });
    }
  });
});

describe('verifyPostmark: records', () => {
  it('reads a hard bounce with its exact 64-bit ID and our Message-ID from Metadata', () => {
    const body = read('postmark-bounce.json');
    expect(run(body)).toEqual({
      ok: true,
      ignored: [],
      reports: [
        {
          kind: 'hard-bounce',
          channel: 'postmark',
          recipient: 'reader@example.com',
          status: '5.1.1',
          diagnostic: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
          originalMessageId: '<weekly-brief.42.Q2x1.mnb4k0@news.example.org>',
          issueHeader: 'weekly-brief/42',
          at: '2026-11-23T08:00:03.907Z',
          eventId: '4323372036854775807',
          raw: body,
        },
      ],
    });
  });

  it('maps each bounce Type with care: auto-replies and filter notices are not hard bounces', () => {
    const bounce = JSON.parse(read('postmark-bounce.json'));
    const expected: Record<string, string> = {
      HardBounce: 'hard-bounce',
      BadEmailAddress: 'hard-bounce',
      SoftBounce: 'soft-bounce',
      Transient: 'soft-bounce',
      DnsError: 'soft-bounce',
      Blocked: 'soft-bounce',
      SpamNotification: 'soft-bounce',
      VirusNotification: 'soft-bounce',
      AutoResponder: 'auto-reply',
      ChallengeVerification: 'auto-reply',
      AddressChange: 'auto-reply',
      SpamComplaint: 'complaint',
      Unsubscribe: 'unknown',
      DMARCPolicy: 'unknown',
      ManuallyDeactivated: 'unknown',
      SomethingNew: 'unknown',
    };
    for (const [type, kind] of Object.entries(expected)) {
      const result = run(JSON.stringify({ ...bounce, ID: 7, Type: type }));
      expect(result.ok && result.reports[0]!.kind, type).toBe(kind);
    }
  });

  it('reads a spam complaint record and a delivery record', () => {
    expect(run(read('postmark-spam-complaint.json'))).toMatchObject({
      ok: true,
      reports: [{ kind: 'complaint', channel: 'postmark', recipient: 'reader@example.com', issueHeader: 'weekly-brief/42', at: '2026-11-23T14:12:22.907Z', eventId: '42' }],
    });
    expect(run(read('postmark-delivery.json'))).toMatchObject({
      ok: true,
      reports: [
        {
          kind: 'delivered',
          recipient: 'reader@example.com',
          at: '2026-11-23T13:00:02.273Z',
          originalMessageId: '<weekly-brief.42.Q2x1.mnb4k0@news.example.org>',
          eventId: '883953f4-6105-42a2-a16a-77a8eac79483:delivered:reader@example.com',
        },
      ],
    });
  });

  it('reads Message-ID and issue from a Headers list, and a bounce without RecordType (older payloads)', () => {
    const bounce = JSON.parse(read('postmark-bounce.json'));
    delete bounce.RecordType;
    delete bounce.Metadata;
    bounce.Headers = [
      { Name: 'Message-ID', Value: '<weekly-brief.42.Q2x9.mnb4k0@news.example.org>' },
      { Name: 'X-Newsletter-Issue', Value: 'weekly-brief/42' },
    ];
    expect(run(JSON.stringify(bounce))).toMatchObject({
      ok: true,
      reports: [{ kind: 'hard-bounce', originalMessageId: '<weekly-brief.42.Q2x9.mnb4k0@news.example.org>', issueHeader: 'weekly-brief/42' }],
    });
  });

  it('ignores opens and clicks, and takes the arrival time when the event has none', () => {
    expect(run(JSON.stringify({ RecordType: 'Open', Recipient: 'reader@example.com' }))).toEqual({ ok: true, reports: [], ignored: ['Postmark Open record is not a delivery report'] });
    const delivery = JSON.parse(read('postmark-delivery.json'));
    delete delivery.DeliveredAt;
    expect(run(JSON.stringify(delivery))).toMatchObject({ ok: true, reports: [{ at: NOW.toISOString() }] });
  });
});

describe('parseJsonKeepingLongIntegers', () => {
  it('keeps integers beyond 2^53 as strings and leaves everything else as JSON.parse reads it', () => {
    const text = '{"ID":4323372036854775807,"n":-9007199254740993,"small":1234567890123456,"f":1.2345678901234567890,"e":1e300,"s":"12345678901234567890","q":"a\\"12345678901234567890"}';
    expect(parseJsonKeepingLongIntegers(text)).toEqual({
      ok: true,
      value: { ID: '4323372036854775807', n: '-9007199254740993', small: 1234567890123456, f: 1.2345678901234567, e: 1e300, s: '12345678901234567890', q: 'a"12345678901234567890' },
    });
  });
});
