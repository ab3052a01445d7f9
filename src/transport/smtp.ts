import type { Readable } from 'node:stream';
import nodemailer, { type TransportOptions } from 'nodemailer';
import type { OutgoingMessage, SendResult, Transport } from './transport.js';

export interface SmtpOptions {
  url: string;
  maxConnections: number;
  /** Messages a pooled connection carries before it is recycled (nodemailer's default is 100). */
  maxMessages?: number;
  /** At most `messages` per `perMs` across the pool. */
  rateLimit?: { messages: number; perMs: number };
}

/**
 * nodemailer's SMTP pool behind the Transport port. A failed send carries `dataStarted`: whether
 * any byte of the message was read for the DATA phase. nodemailer reports a dropped connection
 * the same way before and after DATA; only this tells "never handed over, safe to retry" from
 * "it may have arrived" (the outbox's `unknown`).
 */
export function createSmtpTransport({ url, maxConnections, maxMessages = 500, rateLimit }: SmtpOptions): Transport {
  const pool = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections,
    maxMessages,
    ...(rateLimit ? { rateLimit: rateLimit.messages, rateDelta: rateLimit.perMs } : {}),
  } as TransportOptions);
  const streams = new Map<string, Readable>();
  // 'stream' plugins run after the message is built and before the pool sends it: wrap the
  // message's stream factory to keep the stream the connection will read after DATA's 354.
  pool.use('stream', (mail, done) => {
    const id = mail.data.messageId;
    const message = mail.message as unknown as { createReadStream: (...args: unknown[]) => Readable };
    const create = message.createReadStream.bind(message);
    message.createReadStream = (...args: unknown[]) => {
      const s = create(...args);
      if (id) streams.set(id, s);
      return s;
    };
    done();
  });
  const shown = url.replace(/\/\/[^@/]*@/, '//…@');
  return {
    name: `smtp ${shown}`,
    async send({ mail }: OutgoingMessage): Promise<SendResult> {
      try {
        const info = (await pool.sendMail(mail)) as { messageId: string; response: string };
        return { messageId: info.messageId, response: info.response };
      } catch (err) {
        const stream = streams.get(mail.messageId);
        if (stream && err && typeof err === 'object') Object.assign(err, { dataStarted: stream.readableDidRead });
        throw err;
      } finally {
        streams.delete(mail.messageId);
      }
    },
    async close() {
      pool.close();
    },
  };
}
