import { randomUUID } from 'node:crypto';
import type { EventQueue, Events, EventType, NewsletterEvent, QueuedEvent } from '../domain/events.js';

export interface WebhookEndpoint {
  url: string;
  events: readonly EventType[];
  secret: string;
}

/**
 * The event port over the configured endpoints: each event is queued once per endpoint that
 * asked for its type, under one id (`msg_…`) that the receiver uses to drop duplicates (the
 * queue delivers at least once).
 */
export function webhookEvents(endpoints: readonly WebhookEndpoint[], newId: () => string = () => `msg_${randomUUID().replaceAll('-', '')}`): Events {
  const wanted = new Set(endpoints.flatMap((e) => e.events));
  return {
    wants: (type) => wanted.has(type),
    async emit(queue: EventQueue, events: NewsletterEvent[]) {
      const rows: QueuedEvent[] = [];
      for (const ev of events) {
        const listeners = endpoints.filter((e) => e.events.includes(ev.type));
        if (listeners.length === 0) continue;
        const eventId = newId();
        for (const e of listeners) {
          rows.push({ eventId, type: ev.type, endpoint: e.url, data: JSON.stringify(ev.data), subscriberId: ev.subscriberId ?? null, email: ev.email ?? null, at: ev.at });
        }
      }
      if (rows.length > 0) await queue.enqueueEvents(rows, events[0]!.at);
    },
  };
}
