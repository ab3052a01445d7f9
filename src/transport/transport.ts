import type Mail from 'nodemailer/lib/mailer/index.js';

/**
 * A finished message as the pieces it is joined from: the rendering's parts, shared by every
 * reader of it, and one reader's slots between them (delivery/raw-message.ts).
 */
export interface RawPieces {
  parts: readonly Buffer[];
  /** Total bytes. */
  length: number;
}

/**
 * Buffers whose bytes never change once made: the long parts a rendering shares between all its
 * readers (delivery/raw-message.ts adds them). A transport may work a fact out about such a part
 * once and keep it; the fast DATA stream keeps whether the part needs dot-stuffing.
 */
export const constantParts = new WeakSet<Buffer>();

/**
 * A message ready to go: nodemailer's options, plus a stable name the capture transport files it
 * under. A message from the raw fast path carries its bytes in `raw`, still in pieces, so a
 * queued message holds a few hundred bytes of its own instead of a 45 KB copy: the SMTP
 * transport writes the pieces as they are (see `createSmtpTransport`); one that needs a single
 * Buffer joins them when it sends (`mailOptions`).
 */
export interface OutgoingMessage {
  key: string;
  mail: Mail.Options & { messageId: string };
  raw?: RawPieces;
}

export function joinRaw(raw: RawPieces): Buffer {
  return Buffer.concat(raw.parts as Buffer[], raw.length);
}

/** nodemailer's options for the whole message, the raw pieces joined. */
export function mailOptions(message: OutgoingMessage): OutgoingMessage['mail'] {
  return message.raw ? { ...message.mail, raw: joinRaw(message.raw) } : message.mail;
}

export interface SendResult {
  messageId: string;
  response: string;
}

/**
 * The only thing delivery needs from a transport (nodemailer's own duck type). Errors keep
 * nodemailer's shape: `responseCode` for SMTP replies, `code` (ECONNECTION, ETIMEDOUT…) and
 * `command` for where it happened; `delivery/classify.ts` reads them.
 */
export interface Transport {
  readonly name: string;
  /** Where a person can look at what was sent (capture folder), if anywhere. */
  readonly location?: string;
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}
