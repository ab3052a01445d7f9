/**
 * The metrics port: what delivery and the bounce intake tell whoever counts (metrics/prometheus.ts
 * when `metrics.enabled`, nobody otherwise). Counters only move; nothing here reads them back.
 */
export type ReplyClass = '2xx' | '4xx' | '5xx' | 'none';

export interface SendObservation {
  /** The state the attempt left the row in: sent, deferred, failed, unknown, skipped, queued. */
  state: string;
  replyClass: ReplyClass;
  /** A second or later attempt for the row. */
  retry: boolean;
  /** From handing the message to the transport to its answer; absent when nothing was sent. */
  sendSeconds?: number;
}

export interface Metrics {
  /** One recorded window of outcomes, and how long the window took from its first launch to its record. */
  delivered(newsletterId: string, observed: SendObservation[], windowSeconds: number): void;
  /** A report after the 250 that changed something (hard-bounce, soft-bounce, complaint, unsubscribe). */
  reported(kind: string, channel: string): void;
}

export const noMetrics: Metrics = { delivered: () => {}, reported: () => {} };

/** The class of an SMTP reply, by its code. */
export function replyClassOf(reply: string | undefined, fallback: ReplyClass): ReplyClass {
  const m = /^\s*([245])\d\d\b/.exec(reply ?? '');
  return m ? (`${m[1]}xx` as ReplyClass) : fallback;
}
