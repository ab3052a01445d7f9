import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSnsCertificateUrl, verifySes } from '../../src/bounces/webhooks/index.js';
import { snsStringToSign, type SnsMessage } from '../../src/bounces/webhooks/sns.js';

const dir = new URL('../fixtures/webhooks/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const KEY = read('sns-test-key.pem');
const CERT = read('sns-test-cert.pem');

const NOW = new Date('2026-11-23T08:00:30.000Z');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:newsletter-bounces';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';

/** The canonical string as the SNS guide spells it out, written here independently of the code. */
function canonical(m: Record<string, string>): string {
  const fields = m.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f]}\n`)
    .join('');
}

function signed(fields: Record<string, string>, opts: { version?: '1' | '2'; key?: string | KeyObject } = {}): Record<string, string> {
  const version = opts.version ?? '1';
  const m = { SignatureVersion: version, SigningCertURL: CERT_URL, ...fields };
  const Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(canonical(m)), opts.key ?? KEY).toString('base64');
  return { ...m, Signature };
}

function notification(message: string, extra: Record<string, string> = {}, opts: Parameters<typeof signed>[1] = {}) {
  return signed({ Type: 'Notification', MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324', TopicArn: TOPIC, Message: message, Timestamp: '2026-11-23T08:00:04.000Z', ...extra }, opts);
}

function harness() {
  const fetched: string[] = [];
  const deps = {
    getCertificate: async (url: string) => {
      fetched.push(url);
      if (url !== CERT_URL) throw new Error('unexpected certificate URL');
      return CERT;
    },
  };
  const run = (body: string, headers: Record<string, string | undefined> = {}, now = NOW) => verifySes({ headers, body, now, secrets: { topics: [TOPIC] } }, deps);
  return { fetched, run };
}

describe('verifySes: the SNS signature', () => {
  it('builds the canonical string the SNS guide describes (Subject only when present)', () => {
    const m = { Type: 'Notification', MessageId: 'id-1', TopicArn: TOPIC, Message: 'hello', Timestamp: '2026-11-23T08:00:04.000Z' } as const;
    const base = { ...m, SignatureVersion: '1', Signature: 'x', SigningCertURL: CERT_URL } satisfies SnsMessage;
    expect(snsStringToSign(base)).toBe(`Message\nhello\nMessageId\nid-1\nTimestamp\n2026-11-23T08:00:04.000Z\nTopicArn\n${TOPIC}\nType\nNotification\n`);
    expect(snsStringToSign({ ...base, Subject: 'S' })).toContain('MessageId\nid-1\nSubject\nS\nTimestamp\n');
  });

  it('accepts SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA), fetching only the SNS certificate', async () => {
    const { fetched, run } = harness();
    for (const version of ['1', '2'] as const) {
      const result = await run(JSON.stringify(notification(read('ses-bounce-notification.json'), { Subject: 'Amazon SES Email Event Notification' }, { version })), {
        'x-amz-sns-message-type': 'Notification',
      });
      expect(result, `version ${version}`).toMatchObject({ ok: true, messageType: 'Notification' });
    }
    expect(fetched).toEqual([CERT_URL, CERT_URL]);
  });

  it('refuses a message signed with another key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const { run } = harness();
    expect(await run(JSON.stringify(notification(read('ses-bounce-notification.json'), {}, { key: other })))).toEqual({ ok: false, reason: 'SNS signature does not verify' });
  });

  it('refuses a message altered after signing, in the SES event or in a signed field', async () => {
    const { run } = harness();
    const original = notification(read('ses-bounce-notification.json'));
    const altered = { ...original, Message: original.Message!.replace('Reader@Example.COM', 'someone-else@example.com') };
    expect(await run(JSON.stringify(altered))).toMatchObject({ ok: false, reason: 'SNS signature does not verify' });
    expect(await run(JSON.stringify({ ...original, MessageId: 'another-id' }))).toMatchObject({ ok: false });
    expect(await run(JSON.stringify({ ...original, Subject: 'added later' }))).toMatchObject({ ok: false });
  });

  it('refuses a Timestamp more than an hour from now, either way, and accepts an SNS retry within the hour', async () => {
    const { run } = harness();
    const at = (timestamp: string) => JSON.stringify(notification(read('ses-delivery-notification.json'), { Timestamp: timestamp }));
    expect(await run(at('2026-11-23T06:59:00.000Z'))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than an hour/) });
    expect(await run(at('2026-11-23T09:01:00.000Z'))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than an hour/) });
    expect(await run(at('2026-11-23T07:01:00.000Z'))).toMatchObject({ ok: true });
  });

  it('refuses a forged SigningCertURL without fetching anything', async () => {
    const forged = [
      'https://sns.us-east-1.amazonaws.com.evil.test/x.pem',
      'http://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com@evil.test/x.pem',
      'https://evil.test/sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com:8443/x.pem',
      'https://sns.us-east-1.amazonaws.com/x.pem?.pem',
      'https://sns.us-east-1.amazonaws.com/../x.pem',
      'https://sns.us-east-1.amazonaws.com\\@evil.test/x.pem',
      'https://sns.evil.amazonaws.com/x.pem',
      'https://sqs.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com/x.pem\n',
    ];
    for (const url of forged) {
      const { fetched, run } = harness();
      const body = JSON.stringify(notification(read('ses-bounce-notification.json'), { SigningCertURL: url }));
      expect(await run(body), url).toMatchObject({ ok: false, reason: expect.stringMatching(/SigningCertURL/) });
      expect(fetched, url).toEqual([]);
      expect(isSnsCertificateUrl(url), url).toBe(false);
    }
    expect(isSnsCertificateUrl('https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem')).toBe(true);
  });

  it('refuses a validly signed message from a topic we did not configure, and refuses everything with no topic configured', async () => {
    const { fetched, run } = harness();
    const body = JSON.stringify(notification(read('ses-bounce-notification.json'), { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:someone-elses-topic' }));
    expect(await run(body)).toEqual({ ok: false, reason: 'SNS topic is not one of the configured topics' });
    expect(fetched).toEqual([]);
    const none = await verifySes({ headers: {}, body: JSON.stringify(notification('{}')), now: NOW, secrets: { topics: [] } }, { getCertificate: async () => CERT });
    expect(none).toMatchObject({ ok: false });
  });

  it('refuses unknown signature versions, a mismatched type header, and never throws on junk', async () => {
    const { run } = harness();
    const good = notification(read('ses-delivery-notification.json'));
    expect(await run(JSON.stringify({ ...good, SignatureVersion: '3' }))).toMatchObject({ ok: false, reason: expect.stringMatching(/SignatureVersion/) });
    expect(await run(JSON.stringify(good), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' })).toMatchObject({ ok: false });
    for (const body of ['', 'not json', '[]', 'null', '{"Type":"Notification"}', JSON.stringify({ ...good, Message: 42 })]) {
      expect(await run(body), body.slice(0, 40)).toMatchObject({ ok: false });
    }
    const huge = JSON.parse(read('ses-delivery-notification.json'));
    huge.padding = 'x'.repeat(1024 * 1024);
    expect(await run(JSON.stringify(notification(JSON.stringify(huge))))).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
  });

  it('refuses when the certificate cannot be fetched or is not a certificate', async () => {
    const body = JSON.stringify(notification(read('ses-delivery-notification.json')));
    const input = { headers: {}, body, now: NOW, secrets: { topics: [TOPIC] } };
    expect(await verifySes(input, { getCertificate: () => Promise.reject(new Error('ECONNRESET')) })).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be fetched/) });
    expect(await verifySes(input, { getCertificate: async () => KEY })).toMatchObject({ ok: false, reason: expect.stringMatching(/not a usable X.509/) });
  });
});

describe('verifySes: subscription messages', () => {
  const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb687f5d51e6e2425f004aed`;
  const confirmation = (type: string, url: string) =>
    signed({
      Type: type,
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: '2336412f37fb687f5d51e6e2425f004aed',
      TopicArn: TOPIC,
      Message: `You have chosen to subscribe to the topic ${TOPIC}.`,
      SubscribeURL: url,
      Timestamp: '2026-11-23T08:00:00.000Z',
    });

  it('returns the SubscribeURL of a signed SubscriptionConfirmation for the edge to GET', async () => {
    const { run } = harness();
    expect(await run(JSON.stringify(confirmation('SubscriptionConfirmation', subscribeUrl)))).toEqual({ ok: true, messageType: 'SubscriptionConfirmation', reports: [], ignored: [], subscribeUrl });
  });

  it('refuses a SubscribeURL that is not SNS confirming this topic, even when signed', async () => {
    const { run } = harness();
    for (const url of [
      'https://sns.eu-west-1.amazonaws.com.evil.test/?Action=ConfirmSubscription&TopicArn=x&Token=t',
      `http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=t`,
      `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&TopicArn=${TOPIC}&Token=t`,
      'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:other&Token=t',
    ]) {
      expect(await run(JSON.stringify(confirmation('SubscriptionConfirmation', url))), url).toMatchObject({ ok: false, reason: expect.stringMatching(/SubscribeURL/) });
    }
  });

  it('accepts an UnsubscribeConfirmation with nothing to do', async () => {
    const { run } = harness();
    expect(await run(JSON.stringify(confirmation('UnsubscribeConfirmation', subscribeUrl)))).toMatchObject({ ok: true, messageType: 'UnsubscribeConfirmation', reports: [] });
  });
});

describe('verifySes: the SES events', () => {
  const ours = { originalMessageId: '<weekly-brief.42.Q2x1.mnb4k0@news.example.org>', issueHeader: 'weekly-brief/42', envelopeTo: 'bounces+Q2x1@news.example.org' };

  it('reads a permanent bounce notification as a hard bounce with our Message-ID, issue and VERP address', async () => {
    const { run } = harness();
    const message = read('ses-bounce-notification.json');
    const result = await run(JSON.stringify(notification(message)));
    expect(result).toEqual({
      ok: true,
      messageType: 'Notification',
      ignored: [],
      reports: [
        {
          kind: 'hard-bounce',
          channel: 'ses',
          recipient: 'reader@example.com',
          status: '5.1.1',
          diagnostic: 'smtp; 550 5.1.1 user unknown',
          reportingMta: 'a8-70.smtp-out.amazonses.com',
          ...ours,
          at: '2026-11-23T08:00:03.605Z',
          eventId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324:reader@example.com',
          raw: message,
        },
      ],
    });
  });

  it('reads a transient bounce event (eventType) as soft bounces, one per recipient', async () => {
    const { run } = harness();
    const result = await run(JSON.stringify(notification(read('ses-bounce-event.json'))));
    if (!result.ok) throw new Error(result.reason);
    expect(result.reports.map((r) => [r.kind, r.recipient, r.status, r.diagnostic, r.envelopeTo])).toEqual([
      ['soft-bounce', 'full@example.net', '4.2.2', 'smtp; 452 4.2.2 The email account that you tried to reach is over quota', 'bounces+Q2x1@news.example.org'],
      ['soft-bounce', 'other@example.net', undefined, 'SES bounce Transient/MailboxFull', 'bounces+Q2x1@news.example.org'],
    ]);
  });

  it('reads complaints, deliveries and delivery delays', async () => {
    const { run } = harness();
    const complaint = await run(JSON.stringify(notification(read('ses-complaint-notification.json'))));
    expect(complaint).toMatchObject({ ok: true, reports: [{ kind: 'complaint', recipient: 'reader@example.com', feedbackType: 'abuse', at: '2026-11-23T14:12:22.623Z', ...ours }] });
    const delivery = await run(JSON.stringify(notification(read('ses-delivery-notification.json'))));
    expect(delivery).toMatchObject({ ok: true, reports: [{ kind: 'delivered', recipient: 'reader@example.com', status: '2.0.0', reportingMta: 'a8-70.smtp-out.amazonses.com' }] });
    const delay = await run(JSON.stringify(notification(read('ses-delivery-delay-event.json'))));
    expect(delay).toMatchObject({ ok: true, reports: [{ kind: 'soft-bounce', status: '4.4.1', diagnostic: 'smtp; 421 4.4.1 Unable to connect to remote host' }] });
  });

  it("prefers our Message-ID over SES's own, and keeps a complaint on the suppression list out of the complaint count", async () => {
    const { run } = harness();
    const event = JSON.parse(read('ses-complaint-notification.json'));
    event.mail.commonHeaders.messageId = '<0102018f2a3b4c5d-7e8f9a0b@eu-west-1.amazonses.com>';
    event.mail.headers = event.mail.headers.map((h: { name: string }) => (h.name === 'Message-ID' ? { name: 'Message-ID', value: '<0102018f2a3b4c5d@email.amazonses.com>' } : h));
    event.complaint.complaintSubType = 'OnAccountSuppressionList';
    const result = await run(JSON.stringify(notification(JSON.stringify(event))));
    expect(result).toMatchObject({ ok: true, reports: [{ kind: 'unknown', originalMessageId: '<0102018f2a3b4c5d@email.amazonses.com>' }] });
    event.mail.commonHeaders.messageId = ours.originalMessageId;
    expect(await run(JSON.stringify(notification(JSON.stringify(event))))).toMatchObject({ ok: true, reports: [{ originalMessageId: ours.originalMessageId }] });
  });

  it('gives the same event ids when SNS delivers the same message again', async () => {
    const { run } = harness();
    const body = JSON.stringify(notification(read('ses-bounce-notification.json')));
    const [a, b] = [await run(body), await run(body)];
    expect(a.ok && b.ok && a.reports.map((r) => r.eventId)).toEqual(b.ok && b.reports.map((r) => r.eventId));
  });

  it('ignores events that are not delivery reports and refuses malformed ones', async () => {
    const { run } = harness();
    expect(await run(JSON.stringify(notification(JSON.stringify({ eventType: 'Open', mail: {}, open: {} }))))).toEqual({
      ok: true,
      messageType: 'Notification',
      reports: [],
      ignored: ['SES Open event is not a delivery report'],
    });
    expect(await run(JSON.stringify(notification(JSON.stringify({ notificationType: 'AmazonSnsSubscriptionSucceeded', message: 'ok' }))))).toMatchObject({ ok: true, reports: [] });
    const bounce = JSON.parse(read('ses-bounce-notification.json'));
    for (const broken of [
      'not json',
      JSON.stringify({ ...bounce, bounce: { ...bounce.bounce, bouncedRecipients: [] } }),
      JSON.stringify({ ...bounce, bounce: { ...bounce.bounce, bouncedRecipients: [{ emailAddress: 'no-at-sign' }] } }),
      JSON.stringify({ ...bounce, mail: undefined }),
      JSON.stringify({ mail: bounce.mail, bounce: bounce.bounce }),
    ]) {
      expect(await run(JSON.stringify(notification(broken))), broken.slice(0, 60)).toMatchObject({ ok: false });
    }
  });
});
