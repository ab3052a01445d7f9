import nodemailer from 'nodemailer';
import type { DkimKey, OutgoingMessage } from '../transport/transport.js';

/**
 * A message given as fields (the double opt-in mail, an editor's test), made into the port's
 * envelope and bytes by nodemailer's MIME composer (RFC 5322, CRLF, quoted-printable text).
 * Digests do not come this way: delivery/raw-message.ts builds them, once per rendering.
 */
export interface MailFields {
  messageId: string;
  from: string;
  to: { name: string; address: string };
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  date?: Date;
  headers?: Record<string, string>;
  /** Envelope sender when it is not the From address (VERP bounces). */
  envelopeFrom?: string;
}

export async function composeMessage(key: string, fields: MailFields, dkim?: DkimKey): Promise<OutgoingMessage> {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  try {
    const info = await builder.sendMail({
      messageId: fields.messageId,
      from: fields.from,
      to: fields.to,
      replyTo: fields.replyTo,
      subject: fields.subject,
      text: fields.text,
      html: fields.html,
      textEncoding: 'quoted-printable',
      ...(fields.date ? { date: fields.date } : {}),
      ...(fields.headers ? { headers: fields.headers } : {}),
      ...(fields.envelopeFrom ? { envelope: { from: fields.envelopeFrom, to: fields.to.address } } : {}),
    });
    const bytes = info.message as Buffer;
    return {
      key,
      messageId: fields.messageId,
      envelope: { from: info.envelope.from || '', to: info.envelope.to },
      raw: { parts: [bytes], length: bytes.length },
      ...(dkim ? { dkim } : {}),
    };
  } finally {
    builder.close();
  }
}
