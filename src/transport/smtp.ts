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

/** nodemailer's SMTP pool behind the Transport port. */
export function createSmtpTransport({ url, maxConnections, maxMessages = 500, rateLimit }: SmtpOptions): Transport {
  const pool = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections,
    maxMessages,
    ...(rateLimit ? { rateLimit: rateLimit.messages, rateDelta: rateLimit.perMs } : {}),
  } as TransportOptions);
  const shown = url.replace(/\/\/[^@/]*@/, '//…@');
  return {
    name: `smtp ${shown}`,
    async send({ mail }: OutgoingMessage): Promise<SendResult> {
      const info = (await pool.sendMail(mail)) as { messageId: string; response: string };
      return { messageId: info.messageId, response: info.response };
    },
    async close() {
      pool.close();
    },
  };
}
