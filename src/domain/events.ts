/**
 * What happens, as the outside is told it (webhooks out, README § Watching delivery). Pure
 * shapes: who listens, how it is queued and signed is the webhooks stage's business.
 *
 * An event about a person carries `subscriberId`, never the address in its data: the address is
 * kept beside the queued event (`email`) and added to the body when it is sent, so an erasure
 * (`subscribers forget`) that clears it there leaves no queued body carrying it.
 */
export const EVENT_TYPES = [
  'issue.created',
  'issue.sent',
  'delivery.failed',
  'delivery.bounced',
  'delivery.complained',
  'subscriber.subscribed',
  'subscriber.confirmed',
  'subscriber.unsubscribed',
  'subscriber.forgotten',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface NewsletterEvent {
  type: EventType;
  /** ISO 8601 UTC: when it happened. */
  at: string;
  /** JSON-ready facts; never an address (see `email`). */
  data: Record<string, unknown>;
  /** The person it is about, when it is about one: their address is added at sending time unless erased. */
  subscriberId?: number;
  email?: string;
}

/** One queued delivery of an event to one endpoint, as the durable queue takes it. */
export interface QueuedEvent {
  eventId: string;
  type: EventType;
  endpoint: string;
  data: string;
  subscriberId: number | null;
  email: string | null;
  at: string;
}

/** Where events are queued: the store, or the transaction the change runs in. */
export interface EventQueue {
  enqueueEvents(rows: QueuedEvent[], now: string): Promise<void>;
}

/**
 * The event port the use cases get from the composition root. `emit` queues the events for each
 * endpoint that asked for their type, through `queue`: pass the transaction of the change, so
 * that the change and its events are committed together (or neither).
 */
export interface Events {
  /** Whether any endpoint listens to this type: callers skip building events (or a transaction) otherwise. */
  wants(type: EventType): boolean;
  emit(queue: EventQueue, events: NewsletterEvent[]): Promise<void>;
}

/** No webhooks configured: nothing is queued. */
export const noEvents: Events = { wants: () => false, emit: async () => {} };
