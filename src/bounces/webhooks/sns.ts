import { X509Certificate, verify } from 'node:crypto';
import { isRecord, parseJson, refuse, tooLarge, type WebhookInput, type WebhookRefused } from './common.js';

/**
 * Amazon SNS HTTP(S) message verification
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
 * SNS signs a canonical string of some of the message's fields with the private key of a
 * certificate it publishes at `SigningCertURL`. That URL is in the (unverified) message, so it is
 * checked against the shape of SNS's own URLs before anything is fetched: otherwise anyone could
 * make us fetch an URL of their choice, and sign with a certificate of their own.
 */

export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

export interface SnsConfig {
  /** The topic ARNs we subscribed; a validly signed message from any other topic (anyone can create one) is refused. */
  topics: readonly string[];
}

export interface SnsDeps {
  /**
   * Fetches a PEM certificate. Called only with URLs that passed isSnsCertificateUrl; the
   * implementation should cache by URL and must not follow redirects.
   */
  getCertificate(url: string): Promise<string>;
}

/** The fields signed for each type, in the byte order SNS sorts them in. */
const SIGNED_FIELDS: Record<SnsMessageType, readonly (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

const REQUIRED: readonly (keyof SnsMessage)[] = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'];

/**
 * SNS retries an HTTP(S) delivery with the same signed message, original Timestamp included, for
 * as long as the topic's delivery policy says, at most an hour. A wider window would let a
 * captured message be replayed longer; a narrower one would refuse SNS's own retries.
 */
export const SNS_MAX_SKEW_MS = 60 * 60 * 1000;

/** `us-east-1`, `ap-southeast-2`, `us-gov-west-1`. */
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
const CERT_URL = new RegExp(`^https://sns\\.${REGION}\\.amazonaws\\.com/[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\\.pem$`);
const SUBSCRIBE_URL = new RegExp(`^https://sns\\.${REGION}\\.amazonaws\\.com/\\?[^#\\s]*$`);

/**
 * Whether an URL is where SNS publishes its signing certificates. A whole-string pattern rather
 * than URL parsing: nothing may come after the host (no `.evil.test`, port, user or `@`), and no
 * character a parser would normalise (`\`, `%2F`) gets through.
 */
export function isSnsCertificateUrl(url: string): boolean {
  return CERT_URL.test(url);
}

/** Whether an URL is a ConfirmSubscription call to SNS for this topic, safe for the edge to GET. */
export function isSnsSubscribeUrl(url: string, topicArn: string): boolean {
  if (!SUBSCRIBE_URL.test(url)) return false;
  const params = new URL(url).searchParams;
  return params.get('Action') === 'ConfirmSubscription' && params.get('TopicArn') === topicArn && !!params.get('Token');
}

/** The string SNS signs: each present signed field as `name\nvalue\n`. */
export function snsStringToSign(message: SnsMessage): string {
  return SIGNED_FIELDS[message.Type]
    .filter((field) => typeof message[field] === 'string')
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}

function readMessage(value: unknown): SnsMessage | string {
  if (!isRecord(value)) return 'body is not an SNS message object';
  for (const field of REQUIRED) if (typeof value[field] !== 'string' || value[field] === '') return `SNS message lacks ${field}`;
  if (!['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'].includes(value.Type as string)) return 'SNS message Type is not one we know';
  for (const field of SIGNED_FIELDS[value.Type as SnsMessageType]) {
    const present = value[field] !== undefined && value[field] !== null;
    if (present && typeof value[field] !== 'string') return `SNS message ${field} is not a string`;
    if (!present && field !== 'Subject') return `SNS message lacks ${field}`;
  }
  return value as unknown as SnsMessage;
}

/** Everything SNS-level: size, shape, topic, age, certificate URL, signature. */
export async function verifySnsMessage(input: WebhookInput<SnsConfig>, deps: SnsDeps): Promise<{ ok: true; message: SnsMessage } | WebhookRefused> {
  const large = tooLarge(input.body);
  if (large) return large;
  if (input.secrets.topics.length === 0) return refuse('no SNS topic is configured: every message is refused');
  const parsed = parseJson(input.body);
  if (!parsed.ok) return parsed;
  const message = readMessage(parsed.value);
  if (typeof message === 'string') return refuse(message);

  const headerType = input.headers['x-amz-sns-message-type'];
  if (headerType !== undefined && headerType !== message.Type) return refuse('x-amz-sns-message-type header does not match the message Type');
  if (!input.secrets.topics.includes(message.TopicArn)) return refuse('SNS topic is not one of the configured topics');
  const sent = Date.parse(message.Timestamp);
  if (!Number.isFinite(sent)) return refuse('SNS Timestamp is not a date');
  if (Math.abs(input.now.getTime() - sent) > SNS_MAX_SKEW_MS) return refuse('SNS Timestamp is more than an hour from now (stale or replayed)');
  if (message.SignatureVersion !== '1' && message.SignatureVersion !== '2') return refuse('SNS SignatureVersion is neither 1 nor 2');
  if (!isSnsCertificateUrl(message.SigningCertURL)) return refuse('SigningCertURL is not an https://sns.<region>.amazonaws.com/….pem URL: not fetched');
  const signature = Buffer.from(message.Signature, 'base64');
  if (signature.length === 0) return refuse('SNS Signature is not base64');

  let pem: string;
  try {
    pem = await deps.getCertificate(message.SigningCertURL);
  } catch {
    return refuse('the SNS signing certificate could not be fetched');
  }
  let valid: boolean;
  try {
    const key = new X509Certificate(pem).publicKey;
    valid = verify(message.SignatureVersion === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(message), 'utf8'), key, signature);
  } catch {
    return refuse('the SNS signing certificate is not a usable X.509 certificate');
  }
  if (!valid) return refuse('SNS signature does not verify');
  return { ok: true, message };
}
