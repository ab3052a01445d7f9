import { randomBytes } from 'node:crypto';
import type { NewsletterConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Transport } from '../transport/transport.js';
import type { Logger } from '../domain/logger.js';
import { signToken } from '../domain/tokens.js';
import { suppressionHash } from '../domain/erasure.js';
import { isValidLocaleTag, isValidTimeZone, readerLocale } from '../domain/locale.js';
import { cleanName, isValidEmail, normaliseEmail } from './email.js';
import { createMessages } from '../render/messages.js';
import type { TemplateFiles } from '../render/template-files.js';
import { confirmationMail } from './confirmation-mail.js';
import { composeMessage } from '../delivery/mime.js';
import type { Events } from '../domain/events.js';
import { recordConsent } from './consent-events.js';

export interface SubscribeRequest {
  email: string;
  name?: string;
  locale?: string;
  timezone?: string;
  topics?: string[];
  ip?: string;
  userAgent?: string;
}

export type SubscribeOutcome =
  /** What the requester is told is the same in every case below: nothing about the address leaks. */
  { kind: 'accepted'; sent: boolean; why: 'confirmation-sent' | 'already-subscribed' | 'suppressed' | 'address-limit' };

export interface SubscribeDeps {
  store: Store;
  transport: Transport;
  logger: Logger;
  files: TemplateFiles;
  publicUrl: string;
  secret: string;
  /** Address rate limit: false when this address had too many confirmation mails lately. */
  allowAddress: (email: string) => boolean;
  /** subscriber.subscribed, queued with the pending consent. */
  events?: Events;
}

const CONFIRM_TTL_S = 7 * 24 * 3600;

/**
 * Double opt-in, step 1: records a pending consent (time, source, IP, user agent, wording) and
 * sends a confirmation in the reader's language. An active, suppressed or erased address gets
 * nothing new, and the answer does not say which.
 */
/** The form's fields, checked and cleaned (pure); what is wrong with them is said at once. */
export type CheckedRequest = { email: string; name: string; locale: string; timezone: string; topics: string[]; ip?: string; userAgent?: string };

export function checkSubscription(req: SubscribeRequest): { kind: 'invalid'; field: 'email' | 'name'; message: string } | { kind: 'ok'; request: CheckedRequest } {
  const email = normaliseEmail(req.email ?? '');
  if (!isValidEmail(email)) return { kind: 'invalid', field: 'email', message: 'Please enter a valid email address.' };
  const { name } = cleanName((req.name ?? '').slice(0, 200));
  return {
    kind: 'ok',
    request: {
      email,
      name,
      locale: req.locale && isValidLocaleTag(req.locale) ? req.locale : '',
      timezone: req.timezone && isValidTimeZone(req.timezone) ? req.timezone : '',
      topics: (req.topics ?? []).slice(0, 50),
      ip: req.ip,
      userAgent: req.userAgent,
    },
  };
}

/**
 * Double opt-in, step 1, for a checked request: records a pending consent (time, source, IP,
 * user agent, wording) and sends a confirmation in the reader's language, whose link is bound to
 * this sign-up (its time): after an unsubscribe and a new sign-up, an older link does nothing.
 * An active, suppressed or erased address gets nothing new. The HTTP route answers before this
 * runs, the same in every case.
 */
export async function requestSubscription(deps: SubscribeDeps, newsletter: NewsletterConfig, req: CheckedRequest, now: Date): Promise<SubscribeOutcome> {
  const { email, name, locale, timezone } = req;
  const at = now.toISOString();

  if ((await deps.store.erasedAmong([suppressionHash(email)])).size > 0) return { kind: 'accepted', sent: false, why: 'suppressed' };
  const existing = await deps.store.findSubscriberByEmail(email);
  if (existing && (await deps.store.suppression(existing.id))) return { kind: 'accepted', sent: false, why: 'suppressed' };
  const current = existing ? await deps.store.getSubscription(existing.id, newsletter.id) : undefined;
  if (current?.state === 'consent') return { kind: 'accepted', sent: false, why: 'already-subscribed' };
  if (current && (current.state === 'bounced' || current.state === 'complained')) return { kind: 'accepted', sent: false, why: 'suppressed' };
  if (!deps.allowAddress(email)) return { kind: 'accepted', sent: false, why: 'address-limit' };

  // A known reader keeps their profile; a form cannot overwrite someone else's name.
  const subscriberId = existing?.id ?? (await deps.store.upsertSubscriber({ email, name, locale, timezone, topics: req.topics, attributes: {} }, at));
  await recordConsent(
    deps.store,
    deps.events,
    { subscriberId, newsletterId: newsletter.id, kind: 'pending', at, source: 'subscribe-form', ip: req.ip, userAgent: req.userAgent?.slice(0, 300), wording: newsletter.consentWording },
    at,
  );
  const language = readerLocale(newsletter.locales, existing?.locale || locale);
  const messages = createMessages(language, deps.files.catalogs, newsletter.locales.default, deps.files.localeFile);
  const token = signToken({ p: 'confirm', s: subscriberId, n: newsletter.id, e: Math.floor(now.getTime() / 1000) + CONFIRM_TTL_S, w: at }, deps.secret);
  const mail = confirmationMail({
    newsletter,
    email,
    name: existing?.name ?? name,
    confirmUrl: `${deps.publicUrl}/c/${token}`,
    t: messages.t,
    locale: language,
    id: `${subscriberId}.${randomBytes(6).toString('hex')}`,
  });
  await deps.transport.send(await composeMessage(mail.key, mail.fields));
  deps.logger.info('confirmation sent', { newsletter: newsletter.id, subscriber: subscriberId });
  return { kind: 'accepted', sent: true, why: 'confirmation-sent' };
}
