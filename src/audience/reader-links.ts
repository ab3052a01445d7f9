import { signToken } from '../domain/tokens.js';
import type { Subscriber } from '../domain/types.js';
import type { ReaderValues } from '../render/reader-fill.js';

/**
 * The links that act for a reader (unsubscribe, preferences), signed so that a forged or altered
 * one changes nothing (DESIGN.md invariant 5), and the reader's values for the per-reader fill.
 * The audience's business: delivery, render and the preview take them from here.
 */

export function unsubscribeUrl(publicUrl: string, secret: string, subscriberId: number, newsletterId: string): string {
  return `${publicUrl}/u/${signToken({ p: 'unsubscribe', s: subscriberId, n: newsletterId }, secret)}`;
}

export function preferencesUrl(publicUrl: string, secret: string, subscriberId: number, newsletterId: string): string {
  return `${publicUrl}/p/${signToken({ p: 'preferences', s: subscriberId, n: newsletterId }, secret)}`;
}

/** A reader's own values for the per-reader fill: name, address, signed links, list attributes. */
export function readerValues(publicUrl: string, secret: string, subscriber: Pick<Subscriber, 'id' | 'name' | 'email' | 'attributes'>, newsletterId: string): Omit<ReaderValues, 'greeting'> {
  return {
    name: subscriber.name,
    email: subscriber.email,
    unsubscribeUrl: unsubscribeUrl(publicUrl, secret, subscriber.id, newsletterId),
    preferencesUrl: preferencesUrl(publicUrl, secret, subscriber.id, newsletterId),
    attributes: subscriber.attributes,
  };
}
