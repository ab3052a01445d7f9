/**
 * DKIM signing of a finished message (RFC 6376, relaxed/relaxed; RFC 8463 for Ed25519), the
 * way nodemailer's signer signed it before (same tags, same `h=` rule, same folding), without
 * its streams: the body hash with native SHA-256 over pieces canonicalised once where the
 * rendering shares them (dkim-canon.ts), the header canonicalisation of the signed fields only,
 * and the signature with `crypto.sign`, off the event loop when the machine has a core to spare.
 *
 * A set-up may have several keys (key rotation: the old selector and the new; Ed25519 beside
 * RSA, for receivers that know it): the message then carries one DKIM-Signature per key, each
 * over the same header fields and body hash, none covering the others, so a receiver that
 * cannot check one still checks the next (RFC 6376 4.2, RFC 8463 3).
 */
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { domainToASCII } from 'node:url';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import { constantParts, TransportError, type DkimKey, type RawPieces } from '../transport/transport.js';
import { headerEnd, RelaxedBodyHash, relaxedHeaders, relaxedValue } from './dkim-canon.js';
import type { DkimKeyPem } from './message.js';

export type DkimAlgorithm = 'rsa' | 'ed25519';

/** The port's DkimKey (one key), with every key of a set-up when it has more than one (message.ts). */
export type DkimRequest = DkimKey & { keys?: readonly DkimKeyPem[] };

/** RFC 8301: verifiers ignore signatures by RSA keys shorter than this. */
const MIN_RSA_BITS = 1024;

/**
 * What algorithm a PEM private key signs with; throws an Error that says what to fix when DKIM
 * cannot use it (not a key, encrypted, too short an RSA key, another kind of key).
 */
export function dkimKeyAlgorithm(pem: string): DkimAlgorithm {
  return dkimPrivateKey(pem).algorithm;
}

function dkimPrivateKey(pem: string): { algorithm: DkimAlgorithm; key: KeyObject } {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    if (/-----BEGIN (ENCRYPTED|RSA PRIVATE KEY-----[\s\S]*Proc-Type: 4,ENCRYPTED)/.test(pem)) {
      throw new Error('is encrypted: DKIM needs the key without a passphrase (openssl pkey -in FILE -out PLAIN.pem)', { cause: e });
    }
    throw new Error(`is not a PEM private key (${(e as Error).message})`, { cause: e });
  }
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { algorithm: 'ed25519', key };
  if (type !== 'rsa') throw new Error(`holds a${type === 'ec' ? 'n' : ''} ${type ?? 'unknown'} key: DKIM signs with RSA or Ed25519 (RFC 8463)`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`holds an RSA key of ${bits} bits: receivers ignore signatures by keys under ${MIN_RSA_BITS} bits (RFC 8301); make a 2048-bit key`);
  return { algorithm: 'rsa', key };
}

interface SigningKey {
  selector: string;
  algorithm: DkimAlgorithm;
  key: KeyObject;
  /** For the signing thread: the key as text, and its number there. */
  pem: string;
  id: number;
}

/**
 * Signatures computed off the event loop, in a worker thread that holds the keys and signs with
 * `crypto.sign` synchronously, fed in batches (all the signatures asked for in one turn of the
 * event loop go in one message). Measured on this 2-core host (node 20, RSA-2048): `crypto.sign`
 * with a callback (libuv's pool) cost 1.00 CPU ms a signature, 0.10 of it on the event loop,
 * against 0.84 signing in place; the thread adds a few microseconds a signature for the messages.
 * One thread for each core but one (the event loop keeps its core); on one core there is nothing
 * to spread over, and signing stays on the event loop.
 */
const SIGNING_THREADS = Math.max(0, availableParallelism() - 1);

const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const keys = new Map();
parentPort.on('message', (m) => {
  if (m.key) return void keys.set(m.key.id, createPrivateKey(m.key.pem));
  const out = [];
  for (const j of m.jobs) {
    try {
      out.push({ id: j.id, sig: sign(j.alg, j.data, keys.get(j.key)) });
    } catch (e) {
      out.push({ id: j.id, error: String((e && e.message) || e) });
    }
  }
  parentPort.postMessage(out);
});
`;

interface SignJob {
  id: number;
  key: number;
  alg: string | null;
  data: Buffer;
}

/** One signing thread: the keys it was given, the jobs it owes. */
class SignThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private readonly known = new Set<number>();
  private batch: SignJob[] = [];
  gone = false;

  constructor() {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.worker.unref();
    this.worker.on('message', (replies: { id: number; sig?: Uint8Array; error?: string }[]) => {
      for (const r of replies) {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        if (r.sig) p?.resolve(Buffer.from(r.sig.buffer, r.sig.byteOffset, r.sig.byteLength));
        else p?.reject(new Error(r.error ?? 'the signing thread gave no signature'));
      }
      if (this.pending.size === 0) this.worker.unref();
    });
    const fail = (e: Error) => {
      this.gone = true;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the signing thread ended (${code})`)));
  }

  sign(keyId: number, pem: string, alg: string | null, data: Buffer): Promise<Buffer> {
    if (!this.known.has(keyId)) {
      this.known.add(keyId);
      this.worker.postMessage({ key: { id: keyId, pem } });
    }
    const id = nextJob++;
    if (this.batch.length === 0) queueMicrotask(() => this.flush());
    this.batch.push({ id, key: keyId, alg, data });
    // Kept alive while it owes signatures: the message they belong to is waiting for them.
    this.worker.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private flush(): void {
    const jobs = this.batch;
    this.batch = [];
    this.worker.postMessage({ jobs });
  }
}

let nextJob = 1;
let nextKeyId = 1;
const threads: SignThread[] = [];
let turn = 0;

function signOffLoop(key: SigningKey, alg: string | null, data: Buffer): Promise<Buffer> {
  let t = threads[turn++ % SIGNING_THREADS];
  if (!t || t.gone) threads[(turn - 1) % SIGNING_THREADS] = t = new SignThread();
  return t.sign(key.id, key.pem, alg, data);
}

/** What `b=` signs for each key: the signed fields and this signature's own field, b= empty (RFC 6376 3.7). */
function signedData(canonicalHeaders: string, field: string): Buffer {
  return Buffer.from(`${canonicalHeaders}dkim-signature:${relaxedValue(field)}`, 'latin1');
}

export class DkimSigner {
  private readonly domain: string;
  private readonly keys: SigningKey[];
  /** Lower-case names of the fields to sign, in order, each once. */
  private readonly names: string[];

  constructor(request: DkimRequest) {
    const domain = domainToASCII(request.domainName);
    if (!domain) throw new Error(`"${request.domainName}" is not a domain name`);
    this.domain = domain;
    const pems = request.keys?.length ? request.keys : [{ keySelector: request.keySelector, privateKey: request.privateKey }];
    this.keys = pems.map(({ keySelector, privateKey }) => {
      if (!/^[\w-]+(\.[\w-]+)*$/.test(keySelector)) throw new Error(`"${keySelector}" is not a selector`);
      return { selector: keySelector, ...dkimPrivateKey(privateKey), pem: privateKey, id: nextKeyId++ };
    });
    this.names = [
      ...new Set(
        request.headerFieldNames
          .split(':')
          .map((n) => n.trim().toLowerCase())
          .filter(Boolean),
      ),
    ];
  }

  /** The DKIM-Signature fields for a message, one per key in order, to go before its first byte (latin1, CRLF-ended). */
  async sign(raw: RawPieces): Promise<Buffer> {
    const { canonical, fields } = this.unsigned(raw);
    const signatures = await Promise.all(
      this.keys.map((signing, i) => {
        const { algorithm, key } = signing;
        // RFC 8463: Ed25519 signs the SHA-256 digest of the data; RSA hashes it itself.
        const data = signedData(canonical, fields[i]!);
        const input = algorithm === 'rsa' ? data : createHash('sha256').update(data).digest();
        const alg = algorithm === 'rsa' ? 'sha256' : null;
        return SIGNING_THREADS > 0 ? signOffLoop(signing, alg, input) : Promise.resolve(cryptoSign(alg, input, key));
      }),
    );
    return Buffer.from(fields.map((f, i) => `${f}${foldSignature(signatures[i]!.toString('base64'))}\r\n`).join(''), 'latin1');
  }

  /** The signed fields in canonical form, and each key's DKIM-Signature field up to its empty `b=`. */
  private unsigned(raw: RawPieces): { canonical: string; fields: string[] } {
    const { parts } = raw;
    // The header is within the reader's first piece (raw-message.ts); join more only if it is not.
    let head = parts[0] ?? Buffer.alloc(0);
    let next = 1;
    let end = headerEnd(head);
    while (end < 0 && next < parts.length) {
      head = Buffer.concat([head, parts[next++]!]);
      end = headerEnd(head);
    }
    const { canonical, signed } = relaxedHeaders(head.toString('latin1', 0, end < 0 ? head.length : end), this.names);
    const body = new RelaxedBodyHash('sha256');
    if (end >= 0) {
      body.update(head, end);
      for (let i = next; i < parts.length; i++) body.update(parts[i]!);
    }
    const bh = body.digest();
    const h = signed.join(':');
    const fields = this.keys.map(
      ({ algorithm, selector }) => `${mimeFuncs.foldLines(`DKIM-Signature: v=1; a=${algorithm}-sha256; c=relaxed/relaxed; d=${this.domain}; q=dns/txt; s=${selector}; bh=${bh}; h=${h}`, 76)};\r\n b=`,
    );
    return { canonical, fields };
  }
}

/** The base64 signature in lines of at most 76 characters after ` b=`: 73 on the first, then 75 (as nodemailer folds it). */
function foldSignature(b64: string): string {
  let folded = b64.slice(0, 73);
  for (let i = 73; i < b64.length; i += 75) folded += `\r\n ${b64.slice(i, i + 75)}`;
  return folded;
}

const signersByObject = new WeakMap<object, DkimSigner>();
const signersByValue = new Map<string, DkimSigner>();

/**
 * The signer of a key, made once: raw-message.ts and signingTransport hand the same object to
 * every message; an equal one made elsewhere finds the same signer by value.
 */
export function signerFor(request: DkimRequest): DkimSigner {
  let signer = signersByObject.get(request);
  if (signer) return signer;
  const keys = request.keys?.length ? request.keys : [request];
  const id = JSON.stringify([request.domainName, request.headerFieldNames, ...keys.map((k) => [k.keySelector, k.privateKey])]);
  signer = signersByValue.get(id);
  if (!signer) signersByValue.set(id, (signer = new DkimSigner(request)));
  signersByObject.set(request, signer);
  return signer;
}

/**
 * The message with its DKIM-Signature field(s) before its first byte, and no key left to sign
 * with; the bytes after them are unchanged. One that carries no key is returned as it is. A
 * failure to sign is the sender's, not the reader's, and nothing was handed over.
 */
export async function signMessage<M extends { raw: RawPieces; dkim?: DkimKey }>(message: M): Promise<Omit<M, 'dkim'>> {
  const { dkim, ...rest } = message;
  if (!dkim) return message;
  let fields: Buffer;
  try {
    fields = await signerFor(dkim).sign(message.raw);
  } catch (e) {
    throw new TransportError('failed-sender', `DKIM signing failed: ${(e as Error).message}; check delivery.dkim`, { handedOver: false }, { cause: e });
  }
  const [first, ...others] = message.raw.parts;
  // Joined to the reader's own first piece: one write to the socket, not two (raw-message.ts).
  const parts = first && !constantParts.has(first) ? [Buffer.concat([fields, first]), ...others] : [fields, ...message.raw.parts];
  return { ...rest, raw: { parts, length: fields.length + message.raw.length } };
}
