import { Readable } from 'node:stream';
import { isIP } from 'node:net';
import type { Logger } from '../../domain/logger.js';
import SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
// Installs the fast path of nodemailer's DATA stream (same bytes, native scans): see the module.
import './fast-data-stream.js';
import type { SmtpEndpoint } from '../../config/smtp-url.js';
import type { OutgoingMessage, SendResult, Transport } from '../transport.js';
import { signMessage } from '../../delivery/dkim-signer.js';
import { toTransportError } from './classify.js';

export interface SmtpOptions {
  endpoint: SmtpEndpoint;
  /** Connecting, waiting for the greeting, and silence on an open connection. */
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
  /** Name given in EHLO/HELO. */
  heloName: string;
  maxConnections: number;
  /** Messages a pooled connection carries before it is recycled (nodemailer's default is 100). */
  maxMessages?: number;
  /** At most `messages` per `perMs` across the pool. */
  rateLimit?: { messages: number; perMs: number };
  /** Told about a questionable setting (an IP literal as the EHLO name). */
  logger?: Pick<Logger, 'warn'>;
}

/** How long `close()` waits for the relay's answer to QUIT on idle connections. */
const QUIT_WAIT_MS = 2_000;

/**
 * The pool's connections as `close()` needs them. nodemailer's `SMTPPool.close()` ends idle
 * connections with a bare FIN (its `SMTPConnection.close()`), without QUIT; only its idle
 * timer says QUIT. So our close says it to idle connections itself, the way that timer does.
 */
interface PoolInternals {
  _connections?: {
    available: boolean;
    /** Logged in (a connection still being opened has nothing to say QUIT on). */
    _connected?: boolean;
    _sending?: boolean;
    /** The message the connection was given, until its callback ran. */
    queueEntry?: unknown;
    connection?: { quit(): void; once(event: 'end', fn: () => void): unknown; _destroyed?: boolean; _closing?: boolean };
  }[];
}

/**
 * The EHLO name as sent: an IP address goes as an address literal (`[192.0.2.1]`, RFC 5321
 * 4.1.3), which nodemailer does for its own default name but not for a configured one.
 */
export function heloArgument(name: string): string {
  const v = isIP(name);
  return v === 4 ? `[${name}]` : v === 6 ? `[IPv6:${name}]` : name;
}

/**
 * nodemailer's SMTP pool behind the Transport port, fed finished messages directly.
 *
 * The pool (connections, maxMessages, rate limit, requeue of a message a closed connection never
 * took, RSET after a refused envelope, TLS, AUTH, error shapes) is nodemailer's own `SMTPPool`.
 * What is skipped is nodemailer's `Mailer`: for a message that is already bytes (the raw fast
 * path, delivery/raw-message.ts) it would parse and re-stream it through a MIME tree first. Handing
 * the pool the bytes with their envelope measured 2,300–2,700 msgs/s at 0.32–0.35 CPU ms/msg,
 * against 1,650–1,990 at 0.46–0.58 through `sendMail` (bench/, 5 connections to the sink).
 * A raw message's pieces are pushed as they are, never joined: joining gave each message a 45 KB
 * Buffer that waited in the pool's queue long enough to outlive young-generation GCs, and V8 ran
 * about 8 full mark-compacts a second to free them. Pushing the pieces measured 0.29–0.31
 * against 0.37–0.44 CPU ms/msg and 4 against 168 mark-compacts for 50,000 readers to the bench's
 * sink (runs interleaved), with the process's ArrayBuffer memory flat at 2–3 MB.
 * A message that still carries a DKIM key is signed first (delivery/dkim-signer.ts); the service
 * signs before the carrier (delivery/dkim.ts), so its messages come here signed.
 *
 * A failed send rejects with the port's TransportError (classify.ts, beside this client). Whether
 * any byte of the message was read for the DATA phase decides between `deferred` and `in-doubt`
 * for a dropped connection: nodemailer reports one the same way before and after DATA; only this
 * tells "never handed over, safe to retry" from "it may have arrived" (the outbox's `unknown`).
 */
export function createSmtpTransport({ endpoint, timeouts, heloName, maxConnections, maxMessages = 500, rateLimit, logger }: SmtpOptions): Transport {
  if (isIP(heloName)) {
    logger?.warn(
      `delivery.heloName: the name given in EHLO is an IP address (${heloName}); many receivers score that as spam. Set delivery.heloName to this host's DNS name (one whose address resolves back to it)`,
    );
  }
  const pool = new SMTPPool({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    ...(endpoint.auth ? { auth: endpoint.auth } : {}),
    ...endpoint.flags,
    tls: endpoint.tls,
    name: heloArgument(heloName),
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    maxConnections,
    maxMessages,
    ...(rateLimit ? { rateLimit: rateLimit.messages, rateDelta: rateLimit.perMs } : {}),
  } as SMTPPool.Options);
  return {
    name: `smtp ${endpoint.shown}`,
    async send(unsigned: OutgoingMessage): Promise<SendResult> {
      const outgoing = unsigned.dkim ? await signMessage(unsigned) : unsigned;
      const { raw, envelope, messageId } = outgoing;
      let stream: Readable | undefined;
      const message = {
        getEnvelope: () => envelope,
        messageId: () => messageId,
        getHeader: (key: string) => (key.toLowerCase() === 'message-id' ? messageId : undefined),
        createReadStream: () => {
          stream = new Readable({
            read() {
              for (const part of raw.parts) this.push(part);
              this.push(null);
            },
          });
          return stream;
        },
      };
      try {
        const info = await new Promise<{ response: string }>((resolve, reject) => {
          // `signal` is nodemailer's own cancellation: a message still waiting in the pool leaves
          // the queue, and a connection delivering one is closed.
          (pool.send as unknown as (m: unknown, cb: (err: Error | null, info: { response: string }) => void) => void)(
            { data: { messageId, envelope, signal: outgoing.signal }, message },
            (err, info) => (err ? reject(err) : resolve(info)),
          );
        });
        return { messageId, response: info.response };
      } catch (err) {
        throw toTransportError(err, stream?.readableDidRead ?? false);
      }
    },
    /**
     * Says QUIT on idle connections (bounded by QUIT_WAIT_MS), then closes the pool, busy
     * connections included: by the time the transport is closed, delivery has recorded or given
     * up on every message, and a relay that never answers must not keep the process alive.
     */
    async close() {
      // A connection whose message was just answered is marked available a tick later (or when
      // the rate limit allows): idle all the same.
      const idle = ((pool as unknown as PoolInternals)._connections ?? []).filter(
        (c) => (c.available || (c._connected && !c._sending && !c.queueEntry)) && c.connection && !c.connection._destroyed && !c.connection._closing,
      );
      await Promise.all(
        idle.map(
          (c) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, QUIT_WAIT_MS);
              c.connection!.once('end', () => {
                clearTimeout(timer);
                resolve();
              });
              // Not handed another message while it says goodbye (as nodemailer's idle timer does).
              c.available = false;
              try {
                c.connection!.quit();
              } catch {
                clearTimeout(timer);
                resolve();
              }
            }),
        ),
      );
      pool.close({ force: true });
    },
  };
}
