/**
 * The Transport port: what delivery hands a carrier, and what it gets back. Nothing here is any
 * library's type: a message is its envelope and its bytes; a failure is one of a few kinds that
 * say what it means for the reader. An adapter (transport/smtp/, transport/capture.ts, or an
 * HTTP API's) maps its own errors to these kinds beside its client.
 */

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

/** DKIM signing on the way out: the key, and the header fields the signature covers. */
export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
  headerFieldNames: string;
}

/**
 * A message ready to go: the envelope and the RFC 5322 bytes (CRLF), still in pieces so a queued
 * message holds a few hundred bytes of its own instead of a 45 KB copy; `key` is a stable name
 * to file it under (the capture transport's path).
 */
export interface OutgoingMessage {
  key: string;
  messageId: string;
  envelope: { from: string; to: string[] };
  raw: RawPieces;
  /** Sign with this key on the way out. */
  dkim?: DkimKey;
  /** Aborting it cancels the send: a message not yet handed over is not, one on the wire is dropped. */
  signal?: AbortSignal;
}

export function joinRaw(raw: RawPieces): Buffer {
  return Buffer.concat(raw.parts as Buffer[], raw.length);
}

export interface SendResult {
  messageId: string;
  /** The carrier's answer, e.g. the relay's "250 2.0.0 queued as …". */
  response: string;
}

/**
 * What a failed send means:
 * - `deferred`:         nothing was accepted; try again later (4xx, a relay out of reach, a full disk)
 * - `failed-recipient`: refused for good for this reader (5xx); `addressGone` when the mailbox does not exist
 * - `failed-sender`:    refused because of us (our login, SPF/DKIM/DMARC policy): not the reader's fault
 * - `in-doubt`:         the message may have arrived (the connection died after its data went out)
 */
export type FailureKind = 'deferred' | 'failed-recipient' | 'failed-sender' | 'in-doubt';

export interface FailureDetails {
  /** The carrier's reply, as said (or the error's message). */
  reply: string;
  /** RFC 3463 enhanced status code, when given (5.1.1, 4.7.0 …). */
  enhanced?: string;
  /** `deferred` because the receiving domain asks us to slow down (SMTP 421): hold its other readers too. */
  throttle?: boolean;
  /** `failed-recipient` because the address does not exist (a hard bounce): suppress it. */
  addressGone?: boolean;
  /** Whether any of the message's data was handed over; false means nothing can have arrived. */
  handedOver?: boolean;
}

export class TransportError extends Error {
  readonly kind: FailureKind;
  readonly details: FailureDetails;

  constructor(kind: FailureKind, message: string, details: Partial<FailureDetails> = {}, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
    this.details = { reply: details.reply ?? message, ...details };
  }
}

/** The only thing delivery needs from a carrier (nodemailer's duck type, with our own message). */
export interface Transport {
  readonly name: string;
  /** Where a person can look at what was sent (capture folder), if anywhere. */
  readonly location?: string;
  /** Resolves when the carrier accepted the message; rejects with a TransportError. */
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}
