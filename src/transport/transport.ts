import type Mail from 'nodemailer/lib/mailer/index.js';

/** A message ready to go: nodemailer's options, plus a stable name the capture transport files it under. */
export interface OutgoingMessage {
  key: string;
  mail: Mail.Options & { messageId: string };
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
