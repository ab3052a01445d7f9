import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { webhookRoutes } from '../../src/http/webhook-routes.js';
import { MAX_BODY_BYTES } from '../../src/bounces/webhooks/index.js';
import type { App } from '../../src/app.js';
import type { Config } from '../../src/config/load.js';
import type { Logger } from '../../src/domain/logger.js';
import type { Store } from '../../src/store/store.js';
import { makeProject, CONSENTING, REPO, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type Received, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { header } from '../helpers/reports.js';

/**
 * Issue 22, ways in 3, end to end: a send through a real SMTP sink, then each provider's signed
 * webhook about one reader's message (built from what that message carried), through the routes
 * as the HTTP server mounts them; the row's, the address's and the consent's state after, and
 * after the provider's retry. Forged, unconfigured and oversized requests change nothing.
 */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/webhooks/${name}`, import.meta.url), 'utf8');
const SNS_KEY = fixture('sns-test-key.pem');
const SNS_CERT = fixture('sns-test-cert.pem');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:newsletter-bounces';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const POSTMARK_USER = 'postmark-hook';
const POSTMARK_PASSWORD = 'hQ3v9Zt1Lr8yWc2KpX7e';
const MAILGUN_KEY = 'key-7f1e2d3c4b5a69788796a5b4c3d2e1f0';
const sendgridKeys = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const SENDGRID = sendgridKeys();
const SENDGRID_PUBLIC_KEY = SENDGRID.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const SENT_AT = '2026-11-28T15:00:00Z';
/** The events arrive some minutes after the relay's 250. */
const EVENTS_AT = '2026-11-28T15:20:00Z';
/** Two more readers beside the sample list's, for the store-fault cases. */
const EXTRA = ['omar@example.org', 'sara@example.org'];

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const iso = (at: Date, secondsBefore = 0) => new Date(at.getTime() - secondsBefore * 1000).toISOString();
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** The canonical string of the SNS guide, written here apart from the code under test. */
function snsSigned(fields: Record<string, string>, options: { key?: string | KeyObject; certUrl?: string } = {}): Record<string, string> {
  const m: Record<string, string> = { SignatureVersion: '1', SigningCertURL: options.certUrl ?? CERT_URL, ...fields };
  const names = m.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const canonical = names
    .filter((n) => m[n] !== undefined)
    .map((n) => `${n}\n${m[n]}\n`)
    .join('');
  return { ...m, Signature: sign('sha1', Buffer.from(canonical, 'utf8'), options.key ?? SNS_KEY).toString('base64') };
}

/**
 * An SES bounce notification (the fixture's shape) about a message we sent. SES replaces the
 * Message-ID of what it relays with its own, so the event carries SES's id: the row is found by
 * the recipient and the X-Newsletter-Issue header SES hands back.
 */
function sesBounce(m: Received, at: Date): string {
  const event = JSON.parse(fixture('ses-bounce-notification.json'));
  const to = m.to[0]!;
  const sesId = '<0102019a7c3e5d2f-5b1e8a44-9d0c-4f7e-a2b1-3c4d5e6f7a8b-000000@eu-west-1.amazonses.com>';
  event.bounce.bouncedRecipients = [{ emailAddress: to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }];
  event.bounce.timestamp = iso(at, 20);
  event.mail.timestamp = iso(at, 25);
  event.mail.source = m.from;
  event.mail.destination = [to];
  event.mail.headers = [
    { name: 'From', value: header(m, 'From') },
    { name: 'To', value: header(m, 'To') },
    { name: 'Message-ID', value: sesId },
    { name: 'X-Newsletter-Issue', value: header(m, 'X-Newsletter-Issue') },
    { name: 'Date', value: header(m, 'Date') },
  ];
  event.mail.commonHeaders = { from: [header(m, 'From')], to: [header(m, 'To')], date: header(m, 'Date'), messageId: sesId, subject: header(m, 'Subject') };
  return JSON.stringify(event);
}

function snsNotification(message: string, at: Date, messageId: string, options: Parameters<typeof snsSigned>[1] = {}): Record<string, string> {
  return {
    ...snsSigned({ Type: 'Notification', MessageId: messageId, TopicArn: TOPIC, Message: message, Timestamp: iso(at, 2) }, options),
    UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:4c3f8a1e-0b6d-4e55-9d2a-1f0e7c6b5a49`,
  };
}

const snsHeaders = (type: string, m: Record<string, string>) => ({
  'content-type': 'text/plain; charset=UTF-8',
  'x-amz-sns-message-type': type,
  'x-amz-sns-message-id': m.MessageId!,
  'x-amz-sns-topic-arn': TOPIC,
});

/** A Postmark bounce webhook (the fixture's shape) with the Metadata our X-PM-Metadata-* headers gave; its ID is 64-bit, as Postmark's are. */
function postmarkBounce(m: Received, at: Date, id: string): string {
  const record = JSON.parse(fixture('postmark-bounce.json'));
  Object.assign(record, {
    ID: '__ID__',
    MessageID: '5b0f3c1e-8a2d-4e7f-9c6b-0a1d2e3f4a5b',
    Metadata: { 'message-id': header(m, 'X-PM-Metadata-message-id'), 'newsletter-issue': header(m, 'X-PM-Metadata-newsletter-issue') },
    Email: m.to[0],
    From: 'brief@news.example.org',
    BouncedAt: iso(at, 30),
    Subject: header(m, 'Subject'),
  });
  return JSON.stringify(record).replace('"__ID__"', id);
}

/** A SendGrid batch: the message processed, then bounced; the X-SMTPAPI unique_args come back as fields of each event. */
function sendgridBatch(m: Received, at: Date, email = m.to[0]!): string {
  const args = JSON.parse(header(m, 'X-SMTPAPI')).unique_args as Record<string, string>;
  const common = { email, 'smtp-id': header(m, 'Message-ID'), category: 'weekly-brief', sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0', ...args };
  return JSON.stringify([
    { ...common, timestamp: seconds(at) - 300, event: 'processed', sg_event_id: Buffer.from(`processed:${email}`).toString('base64url') },
    {
      ...common,
      timestamp: seconds(at) - 40,
      event: 'bounce',
      sg_event_id: Buffer.from(`bounce:${email}`).toString('base64url'),
      bounce_classification: 'Invalid Address',
      reason: '550 5.1.1 The email account that you tried to reach does not exist.',
      status: '5.1.1',
      type: 'bounce',
    },
  ]);
}

function sendgridHeaders(body: string, at: Date, key: KeyObject = SENDGRID.privateKey): Record<string, string> {
  const timestamp = String(seconds(at));
  return {
    'content-type': 'application/json',
    'x-twilio-email-event-webhook-timestamp': timestamp,
    'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(timestamp + body, 'utf8'), { key, dsaEncoding: 'der' }).toString('base64'),
  };
}

/** A Mailgun webhook: `event-data` as Mailgun documents it, with our Message-ID (without brackets) and the X-Mailgun-Variables. */
function mailgunEvent(m: Received, at: Date, event: { name: 'complained' | 'failed'; id: string; token: string; key?: string }): string {
  const data = JSON.parse(fixture(event.name === 'complained' ? 'mailgun-complained.json' : 'mailgun-failed-permanent.json'));
  const to = m.to[0]!;
  Object.assign(data, {
    id: event.id,
    timestamp: (at.getTime() - 12_345) / 1000,
    recipient: to,
    'recipient-domain': to.split('@')[1],
    envelope: { ...data.envelope, sender: m.from, targets: to },
    message: { headers: { to, 'message-id': header(m, 'Message-ID').replace(/^<|>$/g, ''), from: header(m, 'From'), subject: header(m, 'Subject') }, attachments: [], size: m.raw.length },
    'user-variables': JSON.parse(header(m, 'X-Mailgun-Variables')),
  });
  const timestamp = String(seconds(at));
  const signature = createHmac('sha256', event.key ?? MAILGUN_KEY)
    .update(timestamp + event.token)
    .digest('hex');
  return JSON.stringify({ signature: { timestamp, token: event.token, signature }, 'event-data': data });
}

describe('provider webhooks end to end: a send, a signed event later, the row and the address', () => {
  let project: TestProject;
  let sink: SmtpSink;
  let app: App;
  let hono: Hono;
  const clock = fixedClock(SENT_AT);
  const refusals: string[] = [];
  const logger: Logger = { info() {}, error() {}, warn: (msg, fields) => void (msg === 'webhook refused' && refusals.push(String(fields?.reason))) };
  /** Every URL the routes asked for: only the SNS certificate and SubscribeURLs are served, never from the network. */
  const fetched: string[] = [];
  const fetchText = async (url: string): Promise<string> => {
    fetched.push(url);
    if (url === CERT_URL) return SNS_CERT;
    if (url.startsWith('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&')) return '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"/>';
    throw new Error(`not served in this test: ${url}`);
  };
  const routes = (deps: { config?: Config; store?: Store } = {}) => {
    const h = new Hono();
    webhookRoutes(h, { store: deps.store ?? app.store, config: deps.config ?? app.config, clock, logger, transport: app.transport }, { fetchText });
    return h;
  };
  const post = (provider: string, body: string, headers: Record<string, string>, on: Hono = hono) => on.request(`/webhooks/${provider}`, { method: 'POST', headers, body });
  const answer = async (res: Response) => ({ status: res.status, body: res.status === 200 ? await res.json() : await res.text() });
  const mail = (email: string): Received => sink.received.find((m) => m.to[0] === email)!;
  const later = (s: number) => clock.set(iso(clock.now(), -s));

  /** Everything a report can change about a reader. */
  const stateOf = async (email: string) => {
    const subscriber = (await app.store.findSubscriberByEmail(email))!;
    return {
      row: (await app.store.outboxRows(1)).find((r) => r.subscriberId === subscriber.id)!.state,
      suppression: await app.store.suppression(subscriber.id),
      consent: (await app.store.getSubscription(subscriber.id, 'weekly-brief'))?.state,
      consentEvents: (await app.store.consentEvents(subscriber.id)).map((e) => ({ kind: e.kind, source: e.source })),
      reports: await app.store.deliveryEvents({ subscriberId: subscriber.id }),
    };
  };
  const UNTOUCHED = { row: 'sent', suppression: undefined, consent: 'consent', reports: [] };

  beforeAll(async () => {
    const list = readFileSync(join(REPO, 'subscribers', 'weekly-brief.csv'), 'utf8').trimEnd();
    project = makeProject({
      subscribers: `${list}\n${EXTRA.map((e) => `${e},${e.split('@')[0]},en,Europe/Paris,subscribed,2026-05-04T09:00:00Z,signup-form,`).join('\n')}\n`,
      config: (y) =>
        `${y}\nbounces:\n  webhooks:\n    ses: { topics: ["${TOPIC}"] }\n    postmark: { username: ${POSTMARK_USER} }\n    sendgrid: { publicKey: "${SENDGRID_PUBLIC_KEY}" }\n    mailgun: {}\n`,
    });
    sink = await startSmtpSink();
    app = await openTestApp(project, { env: { SMTP_URL: sink.url, POSTMARK_WEBHOOK_PASSWORD: POSTMARK_PASSWORD, MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY }, clock });
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBe(CONSENTING.length + EXTRA.length);
    hono = routes();
    clock.set(EVENTS_AT);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
    project?.cleanup();
  });

  it('sent each reader the clues the providers hand back: signed Message-ID, issue, and the provider headers', async () => {
    for (const email of [...CONSENTING, ...EXTRA]) {
      const m = mail(email);
      const messageId = header(m, 'Message-ID');
      expect(messageId).toMatch(/^<weekly-brief\.1\.\d+-[a-z2-7]{10}\.[0-9a-z]+@news\.example\.org>$/);
      expect(header(m, 'X-Newsletter-Issue')).toBe('weekly-brief/1');
      expect(header(m, 'X-PM-Metadata-message-id')).toBe(messageId);
      expect(header(m, 'X-PM-Metadata-newsletter-issue')).toBe('weekly-brief/1');
      expect(JSON.parse(header(m, 'X-SMTPAPI'))).toEqual({ unique_args: { 'newsletter-issue': 'weekly-brief/1' } });
      expect(JSON.parse(header(m, 'X-Mailgun-Variables'))).toEqual({ 'newsletter-issue': 'weekly-brief/1' });
      expect(await stateOf(email)).toMatchObject(UNTOUCHED);
    }
  });

  it('SES through SNS: forged messages change nothing; a signed SubscriptionConfirmation is confirmed with one GET; a hard bounce bounces and suppresses; the SNS retry changes nothing', async () => {
    const m = mail('ada@example.com');
    const now = clock.now();
    const message = sesBounce(m, now);
    const genuine = snsNotification(message, now, '7b2d4c8e-1f3a-5b6c-9d0e-2a4b6c8d0e1f');
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    // The attacker's side: another key; a genuine message altered; a certificate of their own at a look-alike host.
    const forged: [string, Record<string, string>, RegExp][] = [
      ['another key', snsNotification(message, now, '0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', { key: attacker }), /^SNS signature does not verify$/],
      ['altered body', { ...genuine, Message: message.replace('"bounceType":"Permanent"', '"bounceType":"Permanent","extra":1') }, /^SNS signature does not verify$/],
      [
        'forged SigningCertURL host',
        snsNotification(message, now, '1e2f3a4b-5c6d-7e8f-9a0b-1c2d3e4f5a6b', { key: attacker, certUrl: 'https://sns.eu-west-1.amazonaws.com.evil.test/SimpleNotificationService-1.pem' }),
        /SigningCertURL/,
      ],
    ];
    for (const [name, body, reason] of forged) {
      expect(await answer(await post('ses', JSON.stringify(body), snsHeaders('Notification', body))), name).toEqual({ status: 401, body: 'not verified' });
      expect(refusals.at(-1), name).toMatch(reason);
    }
    expect(fetched.some((u) => u.includes('evil.test'))).toBe(false);
    expect(await stateOf('ada@example.com')).toMatchObject(UNTOUCHED);

    // A SubscriptionConfirmation from a key that is not SNS's makes us GET nothing.
    const token = '2336412f37fb687f5d51e6e2425f004aed1c2b3a4d5e6f708192a3b4c5d6e7f8';
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=${token}`;
    const confirmation = (key: string | KeyObject) =>
      snsSigned(
        {
          Type: 'SubscriptionConfirmation',
          MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
          Token: token,
          TopicArn: TOPIC,
          Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
          SubscribeURL: subscribeUrl,
          Timestamp: iso(now, 60),
        },
        { key },
      );
    const fake = confirmation(attacker);
    expect((await post('ses', JSON.stringify(fake), snsHeaders('SubscriptionConfirmation', fake))).status).toBe(401);
    expect(fetched.filter((u) => u.includes('ConfirmSubscription'))).toEqual([]);
    const real = confirmation(SNS_KEY);
    expect(await answer(await post('ses', JSON.stringify(real), snsHeaders('SubscriptionConfirmation', real)))).toEqual({ status: 200, body: { received: 0, taken: 0 } });
    expect(fetched.filter((u) => u.includes('ConfirmSubscription'))).toEqual([subscribeUrl]);

    // The bounce.
    expect(await answer(await post('ses', JSON.stringify(genuine), snsHeaders('Notification', genuine)))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    const after = await stateOf('ada@example.com');
    expect(after).toMatchObject({ row: 'bounced', consent: 'bounced', suppression: { reason: expect.stringMatching(/^hard bounce \(ses\): 5\.1\.1 smtp; 550 5\.1\.1 user unknown$/) } });
    expect(after.consentEvents.filter((e) => e.kind === 'bounced')).toEqual([{ kind: 'bounced', source: 'hard-bounce:ses' }]);
    expect(after.reports.map((e) => [e.kind, e.channel, e.matchedBy, e.verified, e.effect, e.recipient])).toEqual([
      ['hard-bounce', 'ses', 'recipient-issue', true, 'bounced, suppressed', 'ada@example.com'],
    ]);

    // SNS delivers the same signed message again a minute later: taken before, nothing changes.
    later(60);
    expect(await answer(await post('ses', JSON.stringify(genuine), snsHeaders('Notification', genuine)))).toEqual({ status: 200, body: { received: 1, taken: 0 } });
    expect(await stateOf('ada@example.com')).toEqual(after);
    // Only SNS's own URLs were ever fetched: the certificate and the one confirmation.
    expect([...new Set(fetched)].sort()).toEqual([subscribeUrl, CERT_URL].sort());
  });

  it('Postmark: a wrong password or none changes nothing; a HardBounce with Basic auth bounces and suppresses; the retry changes nothing', async () => {
    const m = mail('grace@example.com');
    const body = postmarkBounce(m, clock.now(), '4323372036854775807');
    const json = { 'content-type': 'application/json' };
    const forged: [string, Record<string, string>, string][] = [
      ['wrong password', { ...json, authorization: basic(POSTMARK_USER, `${POSTMARK_PASSWORD}x`) }, 'Basic credentials do not match'],
      ['wrong user', { ...json, authorization: basic('postmark', POSTMARK_PASSWORD) }, 'Basic credentials do not match'],
      ['no credentials', json, 'missing or malformed Authorization: Basic header'],
    ];
    for (const [name, headers, reason] of forged) {
      expect(await answer(await post('postmark', body, headers)), name).toEqual({ status: 401, body: 'not verified' });
      expect(refusals.at(-1), name).toBe(reason);
    }
    expect(await stateOf('grace@example.com')).toMatchObject(UNTOUCHED);

    const auth = { ...json, authorization: basic(POSTMARK_USER, POSTMARK_PASSWORD) };
    expect(await answer(await post('postmark', body, auth))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    const after = await stateOf('grace@example.com');
    expect(after).toMatchObject({ row: 'bounced', consent: 'bounced', suppression: { reason: expect.stringMatching(/^hard bounce \(postmark\): 5\.1\.1 smtp;550 5\.1\.1 The email account/) } });
    expect(after.consentEvents.filter((e) => e.kind === 'bounced')).toEqual([{ kind: 'bounced', source: 'hard-bounce:postmark' }]);
    expect(after.reports.map((e) => [e.kind, e.channel, e.matchedBy, e.verified, e.effect])).toEqual([['hard-bounce', 'postmark', 'message-id', true, 'bounced, suppressed']]);

    later(60);
    expect(await answer(await post('postmark', body, auth))).toEqual({ status: 200, body: { received: 1, taken: 0 } });
    expect(await stateOf('grace@example.com')).toEqual(after);
  });

  it('SendGrid: an altered batch or another key changes nothing; a signed bounce batch bounces and suppresses; the retry changes nothing', async () => {
    const m = mail('layla@example.net');
    const now = clock.now();
    const body = sendgridBatch(m, now);
    const headers = sendgridHeaders(body, now);
    const forged: [string, string, Record<string, string>][] = [
      ['altered body', body.replace('"type":"bounce"', '"type":"bounce" '), headers],
      ['another key', body, sendgridHeaders(body, now, sendgridKeys().privateKey)],
      ['another timestamp', body, { ...headers, 'x-twilio-email-event-webhook-timestamp': String(seconds(now) - 1) }],
    ];
    for (const [name, b, h] of forged) {
      expect(await answer(await post('sendgrid', b, h)), name).toEqual({ status: 401, body: 'not verified' });
      expect(refusals.at(-1), name).toBe('SendGrid signature does not verify');
    }
    expect(await stateOf('layla@example.net')).toMatchObject(UNTOUCHED);

    // `processed` is no report: one event of the two is.
    expect(await answer(await post('sendgrid', body, headers))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    const after = await stateOf('layla@example.net');
    expect(after).toMatchObject({ row: 'bounced', consent: 'bounced', suppression: { reason: expect.stringMatching(/^hard bounce \(sendgrid\): 5\.1\.1 550 5\.1\.1 The email account/) } });
    expect(after.consentEvents.filter((e) => e.kind === 'bounced')).toEqual([{ kind: 'bounced', source: 'hard-bounce:sendgrid' }]);
    expect(after.reports.map((e) => [e.kind, e.channel, e.matchedBy, e.verified, e.effect])).toEqual([['hard-bounce', 'sendgrid', 'message-id', true, 'bounced, suppressed']]);

    later(60);
    expect(await answer(await post('sendgrid', body, headers))).toEqual({ status: 200, body: { received: 1, taken: 0 } });
    expect(await stateOf('layla@example.net')).toEqual(after);
  });

  it('Mailgun: a signature made with another key changes nothing; a signed complaint marks the row complained, withdraws consent and suppresses; the replayed token is refused', async () => {
    const m = mail('camille@example.fr');
    const json = { 'content-type': 'application/json' };
    const forged = mailgunEvent(m, clock.now(), { name: 'complained', id: 'Qm9ndXMtY29tcGxhaW50', token: 'f1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3', key: 'key-not-the-signing-key' });
    expect(await answer(await post('mailgun', forged, json))).toEqual({ status: 401, body: 'not verified' });
    expect(refusals.at(-1)).toBe('Mailgun signature does not verify');
    expect(await stateOf('camille@example.fr')).toMatchObject(UNTOUCHED);

    const body = mailgunEvent(m, clock.now(), { name: 'complained', id: '-Agny091SquKnsrW2NEKUA', token: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0' });
    expect(await answer(await post('mailgun', body, json))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    const after = await stateOf('camille@example.fr');
    expect(after).toMatchObject({ row: 'complained', consent: 'complained', suppression: { reason: 'complaint (mailgun)' } });
    expect(after.consentEvents.filter((e) => e.kind === 'complained')).toEqual([{ kind: 'complained', source: 'complaint:mailgun' }]);
    expect(after.reports.map((e) => [e.kind, e.channel, e.matchedBy, e.verified, e.effect])).toEqual([['complaint', 'mailgun', 'message-id', true, 'complained, consent withdrawn, suppressed']]);

    later(60);
    expect(await answer(await post('mailgun', body, json))).toEqual({ status: 401, body: 'not verified' });
    expect(refusals.at(-1)).toBe('token already used (a replayed request)');
    expect(await stateOf('camille@example.fr')).toEqual(after);
  });

  it('a verified event about an address that is not ours is recorded as unmatched and suppresses nobody', async () => {
    const before = await Promise.all([...CONSENTING, ...EXTRA].map(stateOf));
    const now = clock.now();
    const stranger = 'Stranger@Elsewhere.example';
    const body = JSON.stringify([
      {
        email: stranger,
        timestamp: seconds(now) - 10,
        'smtp-id': '<20261128151900.4f2a@mail.elsewhere.example>',
        event: 'bounce',
        sg_event_id: 'c3RyYW5nZXItYm91bmNl',
        sg_message_id: '9a8b7c6d5e4f.filter0002.1.0',
        reason: '550 5.1.1 user unknown',
        status: '5.1.1',
        type: 'bounce',
      },
    ]);
    expect(await answer(await post('sendgrid', body, sendgridHeaders(body, now)))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    const unmatched = (await app.store.deliveryEvents({ unmatched: true })).filter((e) => e.recipient === 'stranger@elsewhere.example');
    expect(unmatched.map((e) => [e.kind, e.channel, e.outboxId, e.subscriberId, e.verified, e.effect])).toEqual([['hard-bounce', 'sendgrid', null, null, false, null]]);
    expect(await app.store.findSubscriberByEmail('stranger@elsewhere.example')).toBeUndefined();
    expect(await Promise.all([...CONSENTING, ...EXTRA].map(stateOf))).toEqual(before);
  });

  it('a provider that is not configured answers 404 to a request that would verify, and changes nothing', async () => {
    const bare = routes({ config: { ...app.config, bounces: { ...app.config.bounces, webhooks: {} } } });
    const m = mail('jean.dupont@example.fr');
    const now = clock.now();
    const fetchedBefore = fetched.length;
    const ses = snsNotification(sesBounce(m, now), now, '5e6f7a8b-9c0d-1e2f-3a4b-5c6d7e8f9a0b');
    const sendgrid = sendgridBatch(m, now);
    const requests: [string, string, Record<string, string>][] = [
      ['ses', JSON.stringify(ses), snsHeaders('Notification', ses)],
      ['postmark', postmarkBounce(m, now, '4323372036854775901'), { 'content-type': 'application/json', authorization: basic(POSTMARK_USER, POSTMARK_PASSWORD) }],
      ['sendgrid', sendgrid, sendgridHeaders(sendgrid, now)],
      ['mailgun', mailgunEvent(m, now, { name: 'failed', id: 'amVhbi1mYWlsZWQ', token: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b' }), { 'content-type': 'application/json' }],
    ];
    for (const [provider, body, headers] of requests) expect((await post(provider, body, headers, bare)).status, provider).toBe(404);
    expect(fetched.length).toBe(fetchedBefore);
    expect(await stateOf('jean.dupont@example.fr')).toMatchObject(UNTOUCHED);
    // The same requests verify where the providers are configured (jean's row is then bounced: the 404s were not about the requests).
    expect((await post('sendgrid', sendgrid, sendgridHeaders(sendgrid, now))).status).toBe(200);
    expect((await stateOf('jean.dupont@example.fr')).row).toBe('bounced');
  });

  it('a body over 1 MiB is 413 on every route, whether its length is announced or not; exactly 1 MiB is read', async () => {
    const huge = 'x'.repeat(MAX_BODY_BYTES + 1);
    for (const provider of ['ses', 'postmark', 'sendgrid', 'mailgun']) {
      for (const announced of [true, false]) {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(announced ? { 'content-length': String(huge.length) } : {}) };
        expect(await answer(await post(provider, huge, headers)), `${provider}, length announced: ${announced}`).toEqual({ status: 413, body: 'request body too large' });
      }
    }
    const refusedBefore = refusals.length;
    expect((await post('sendgrid', 'x'.repeat(MAX_BODY_BYTES), { 'content-type': 'application/json' })).status).toBe(401);
    expect(refusals.slice(refusedBefore)).toEqual(['SendGrid signature or timestamp header missing']);
  });

  /**
   * "A store error is 500, so the provider retries later" (webhook-routes.ts): the retry must
   * then do what the first attempt could not. Faults are injected into the store once.
   */
  const failingOnce = (method: keyof Store): Store & { failed: number } => {
    const state = { failed: 0 };
    // The intake works inside store.transaction: the store it hands out fails the same way.
    const wrap = (store: Store): Store & { failed: number } =>
      new Proxy(store, {
        get(target, prop) {
          if (prop === 'failed') return state.failed;
          const value = Reflect.get(target, prop, target) as unknown;
          if (typeof value !== 'function') return value;
          if (prop === 'transaction') return <T>(fn: (tx: Store) => Promise<T>) => target.transaction((tx) => fn(wrap(tx)));
          if (prop === method && state.failed === 0) {
            return () => {
              state.failed++;
              return Promise.reject(new Error(`injected fault in ${String(method)}`));
            };
          }
          return (value as (...a: unknown[]) => unknown).bind(target);
        },
      }) as Store & { failed: number };
    return wrap(app.store);
  };

  it('a store error while taking a Postmark bounce is 500, and the retry still suppresses the address', async () => {
    const store = failingOnce('suppress');
    const h = routes({ store });
    const m = mail('omar@example.org');
    const body = postmarkBounce(m, clock.now(), '4323372036854776001');
    const auth = { 'content-type': 'application/json', authorization: basic(POSTMARK_USER, POSTMARK_PASSWORD) };
    expect((await post('postmark', body, auth, h)).status).toBe(500);
    expect(store.failed).toBe(1);
    later(600);
    expect((await post('postmark', body, auth, h)).status).toBe(200);
    // The hard bounce must not be lost: the row bounced, the address suppressed, the consent event there.
    expect(await stateOf('omar@example.org')).toMatchObject({ row: 'bounced', consent: 'bounced', suppression: { reason: expect.stringMatching(/^hard bounce \(postmark\)/) } });
  });

  it("a store error while taking a Mailgun event is 500, and Mailgun's retry of the same request is taken", async () => {
    const store = failingOnce('recordDeliveryEvent');
    const h = routes({ store });
    const m = mail('sara@example.org');
    const body = mailgunEvent(m, clock.now(), { name: 'failed', id: 'c2FyYS1mYWlsZWQtcGVybQ', token: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817' });
    const json = { 'content-type': 'application/json' };
    expect((await post('mailgun', body, json, h)).status).toBe(500);
    expect(store.failed).toBe(1);
    expect(await stateOf('sara@example.org')).toMatchObject(UNTOUCHED);
    // Mailgun retries ten minutes on with the same signature block (mailgun.ts says so).
    later(600);
    expect(await answer(await post('mailgun', body, json, h))).toEqual({ status: 200, body: { received: 1, taken: 1 } });
    expect(await stateOf('sara@example.org')).toMatchObject({ row: 'bounced', consent: 'bounced' });
  });
});
