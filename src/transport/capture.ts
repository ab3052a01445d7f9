import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import nodemailer from 'nodemailer';
import { mailOptions, type OutgoingMessage, type SendResult, type Transport } from './transport.js';

/**
 * Writes each message as a `.eml` file (CRLF line ends, as on the wire) instead of sending it,
 * so a first run needs no SMTP server and every message can be opened in a mail client.
 */
function createBuilder() {
  return nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
}

/** The message as it would go on the wire (RFC 5322 with CRLF) and its envelope, without sending it. */
export async function composeEml(mail: OutgoingMessage['mail']): Promise<{ message: Buffer; envelope: { from: string; to: string[] } }> {
  const builder = createBuilder();
  try {
    const info = await builder.sendMail(mail);
    return { message: info.message as Buffer, envelope: { from: info.envelope.from || '', to: info.envelope.to } };
  } finally {
    builder.close();
  }
}

export async function buildEml(mail: OutgoingMessage['mail']): Promise<Buffer> {
  return (await composeEml(mail)).message;
}

export function createCaptureTransport(dir: string): Transport {
  const builder = createBuilder();
  return {
    name: 'capture',
    location: dir,
    async send(message: OutgoingMessage): Promise<SendResult> {
      const info = await builder.sendMail(mailOptions(message));
      const file = join(dir, `${message.key}.eml`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, info.message as Buffer);
      return { messageId: info.messageId, response: `250 captured to ${file}` };
    },
    async close() {
      builder.close();
    },
  };
}
