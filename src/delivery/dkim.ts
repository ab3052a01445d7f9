import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import DKIM from 'nodemailer/lib/dkim/index.js';
import { joinRaw, type DkimKey, type OutgoingMessage, type Transport } from '../transport/transport.js';

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

/**
 * Every message the service sends is signed when a key is configured, not only digests:
 * confirmation mails, welcome mails and editors' test sends go through the same transport, and a
 * receiver that sees unsigned mail from a domain whose digests are signed has reason to doubt it.
 * A message that brings its own key keeps it. The composition root wraps the transport once.
 */
export function signingTransport(inner: Transport, key: DkimKey): Transport {
  return {
    name: inner.name,
    ...(inner.location !== undefined ? { location: inner.location } : {}),
    send: (message) => inner.send(message.dkim ? message : { ...message, dkim: key }),
    close: () => inner.close(),
  };
}
