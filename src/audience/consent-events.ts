import type { EventType, Events } from '../domain/events.js';
import type { ConsentEvent, ConsentKind } from '../domain/types.js';
import type { Store } from '../store/store.js';

/** The webhook event a consent event is, when it is one (bounces and complaints are delivery.* events). */
const EVENT_OF: Partial<Record<ConsentKind, EventType>> = {
  pending: 'subscriber.subscribed',
  consent: 'subscriber.confirmed',
  withdrawn: 'subscriber.unsubscribed',
};

/**
 * Appends a consent event and, when it is new and an endpoint listens, queues its webhook event
 * in the same transaction: a sign-up, a confirmation or an unsubscribe is told once it is
 * recorded, and only then.
 */
export async function recordConsent(store: Store, events: Events | undefined, e: ConsentEvent, now: string): Promise<'recorded' | 'duplicate'> {
  const type = EVENT_OF[e.kind];
  if (!events || !type || !events.wants(type)) return store.appendConsentEvent(e, now);
  return store.transaction(async (tx) => {
    const result = await tx.appendConsentEvent(e, now);
    if (result === 'recorded') {
      const person = await tx.getSubscriber(e.subscriberId);
      await events.emit(tx, [{ type, at: now, subscriberId: e.subscriberId, email: person?.email, data: { newsletter: e.newsletterId, subscriber: e.subscriberId, source: e.source } }]);
    }
    return result;
  });
}
