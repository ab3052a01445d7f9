import { joinRaw, TransportError, type OutgoingMessage, type Transport } from '../transport/transport.js';
import { signMessage, type DkimRequest } from './dkim-signer.js';

/**
 * A message's bytes as they would leave, DKIM-signed when it carries a key (the signer the
 * transports use): for `render --out` and the preview, which show a message without sending it.
 */
export async function signedEml(message: Pick<OutgoingMessage, 'raw' | 'dkim'>): Promise<Buffer> {
  return joinRaw((await signMessage(message)).raw);
}

/**
 * Every message the service sends is signed when a key is configured, not only digests:
 * confirmation mails, welcome mails and editors' test sends go through the same transport, and a
 * receiver that sees unsigned mail from a domain whose digests are signed has reason to doubt it.
 * A message that brings its own key keeps it. The composition root wraps the transport once.
 *
 * This is where a message is signed, once, just before the carrier gets it (dkim-signer.ts): the
 * signature is computed off the event loop, so the builder stays synchronous and the signing of
 * the messages in flight overlaps their sending. The carrier gets the signed bytes and no key, so
 * it does not sign again (a carrier handed a key directly signs with the same signer).
 */
export function signingTransport(inner: Transport, key: DkimRequest): Transport {
  return {
    name: inner.name,
    ...(inner.location !== undefined ? { location: inner.location } : {}),
    async send(message) {
      const signed = await signMessage(message.dkim ? message : { ...message, dkim: key });
      if (signed.signal?.aborted) throw new TransportError('deferred', 'stopped before the message was handed over', { handedOver: false });
      return inner.send(signed);
    },
    close: () => inner.close(),
  };
}
