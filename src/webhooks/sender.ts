import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import type { Store, WebhookDelivery, WebhookOutcome } from '../store/store.js';
import type { WebhookEndpoint } from './fan-out.js';
import { signedHeaders } from './signature.js';

/** Seconds to wait after each failed attempt; after the last, the delivery is given up (about 2 days in all). */
export const WEBHOOK_BACKOFF_S = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400];

export type WebhookStore = Pick<Store, 'claimWebhooks' | 'recordWebhook'>;

export interface SenderOptions {
  store: WebhookStore;
  endpoints: readonly WebhookEndpoint[];
  clock: Clock;
  logger: Logger;
  /** One attempt's limit, connection to last byte (10 s). */
  timeoutMs?: number;
  /** Deliveries claimed and sent at once (10). */
  batch?: number;
  /** How long a claim holds: well over the timeout, so only a dead process's claims expire. */
  leaseMs?: number;
  /** Tests put a counting fetch here. */
  fetch?: typeof fetch;
}

/** The most of an endpoint's reply that is read (for the log); the rest is dropped. */
const MAX_REPLY_BYTES = 1024;

/** What the body of one delivery is: the event's id, type, time and data (with the address, unless erased). */
export function webhookBody(d: WebhookDelivery): string {
  const data = d.email !== null ? { ...d.data, email: d.email } : d.data;
  return JSON.stringify({ id: d.eventId, type: d.type, timestamp: d.at, data });
}

export function nextWebhookAttempt(attempts: number, now: Date): Date | undefined {
  const wait = WEBHOOK_BACKOFF_S[attempts - 1];
  return wait === undefined ? undefined : new Date(now.getTime() + wait * 1000);
}

/**
 * The webhook loop: claims due deliveries from the durable queue, sends each signed, and records
 * what happened. A 2xx is delivered; anything else (another status, a refused connection, no
 * answer within the timeout) is retried with backoff, then failed. It runs apart from delivery,
 * so an endpoint that fails or hangs costs readers nothing. A process that dies mid-send leaves
 * its claims to expire: they are sent again (at least once; the id lets the receiver drop the copy).
 */
export class WebhookSender {
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: SenderOptions) {}

  /** One round: sends what is due now; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const { store, clock } = this.o;
    const now = clock.now();
    const claimed = await store.claimWebhooks(this.o.batch ?? 10, now.toISOString(), new Date(now.getTime() + (this.o.leaseMs ?? 60_000)).toISOString());
    await Promise.all(claimed.map((d) => this.deliver(d)));
    return claimed.length;
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    const { store, clock, logger } = this.o;
    const endpoint = this.o.endpoints.find((e) => e.url === d.endpoint);
    let outcome: WebhookOutcome;
    if (!endpoint) {
      outcome = { state: 'failed', error: 'this endpoint is no longer in the configuration (webhooks)' };
    } else {
      const error = await this.post(endpoint, d);
      if (error === undefined) outcome = { state: 'delivered' };
      else if (this.stopper.signal.aborted) outcome = { state: 'pending', nextAttemptAt: clock.now().toISOString(), error: `stopped: ${error}` };
      else {
        const next = nextWebhookAttempt(d.attempts, clock.now());
        outcome = next ? { state: 'pending', nextAttemptAt: next.toISOString(), error } : { state: 'failed', error: `gave up after ${d.attempts} attempts: ${error}` };
      }
      // The URL's path and query may hold a token of the receiver's: the log names the host only.
      if (error !== undefined) logger.warn('webhook not delivered', { event: d.eventId, type: d.type, host: hostOf(d.endpoint), attempt: d.attempts, error, outcome: outcome.state });
    }
    await store.recordWebhook(d.id, outcome, clock.now().toISOString());
  }

  /** One signed POST; undefined when the endpoint took it (2xx), else why not. */
  private async post(endpoint: WebhookEndpoint, d: WebhookDelivery): Promise<string | undefined> {
    const body = webhookBody(d);
    const timestamp = Math.floor(this.o.clock.now().getTime() / 1000);
    try {
      const res = await (this.o.fetch ?? fetch)(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json', 'user-agent': 'newsletter-webhooks/1', ...signedHeaders(endpoint.secret, d.eventId, timestamp, body) },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs ?? 10_000), this.stopper.signal]),
      });
      const reply = await readSome(res);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}${reply ? `: ${reply}` : ''}`;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') return `no answer within ${(this.o.timeoutMs ?? 10_000) / 1000}s`;
      return err.cause?.code ?? err.cause?.message ?? err.message;
    }
  }

  /** Runs rounds until `stop()`: at once while there is work, else every `everyMs`. A round that fails is logged and retried. */
  start(everyMs = 2000): void {
    if (this.loop) return;
    const signal = this.stopper.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        let sent = 0;
        try {
          sent = await this.runOnce();
        } catch (e) {
          this.o.logger.error('webhook round failed; trying again', { error: (e as Error).message });
        }
        if (sent === 0 && !signal.aborted) await pause(everyMs, signal);
      }
    })();
  }

  /** Stops the loop; requests in flight are cancelled and go back to the queue. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

async function readSome(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_REPLY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
