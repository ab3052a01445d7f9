import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import DKIM from 'nodemailer/lib/dkim/index.js';
import { joinRaw, type OutgoingMessage } from '../transport/transport.js';

/**
 * A message's bytes as they would leave, DKIM-signed when it carries a key (nodemailer's signer,
 * as the transports use it): for `render --out` and the preview, which show a message without
 * sending it.
 */
export async function signedEml(message: Pick<OutgoingMessage, 'raw' | 'dkim'>): Promise<Buffer> {
  const bytes = joinRaw(message.raw);
  if (!message.dkim) return bytes;
  return buffer(new DKIM(message.dkim).sign(Readable.from([bytes])));
}
