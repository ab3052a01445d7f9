import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { getDomain } from 'tldts';

/**
 * The DNS records of DKIM (RFC 6376 §3.6.1) and DMARC (RFC 7489 §6.3) as receivers read them,
 * and what the doctor compares them with: the key the service signs with, the From domain.
 */

/** `tag=value; tag=value` (whitespace around tags and values ignored); a tag twice is an error. */
export function parseTagList(text: string): Map<string, string> | string {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) return `"${part.trim()}" is not tag=value`;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (!/^[a-z][a-z0-9_]*$/.test(name)) return `"${part.slice(0, eq).trim()}" is not a tag name`;
    if (tags.has(name)) return `the tag "${name}" appears twice`;
    tags.set(
      name,
      part
        .slice(eq + 1)
        .replace(/[ \t\r\n]+/g, ' ')
        .trim(),
    );
  }
  return tags;
}

/** The TXT record that publishes a private key's public half, as it should read. */
export function dkimRecordFor(privateKeyPem: string): string {
  const key = createPublicKey(createPrivateKey(privateKeyPem));
  return `v=DKIM1; k=${key.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa'}; p=${publicKeyData(key)}`;
}

/** What `p=` holds for a key: SubjectPublicKeyInfo DER for RSA, the raw 32 bytes for Ed25519 (RFC 8463 §4.2). */
function publicKeyData(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return (key.asymmetricKeyType === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
}

export type DkimRecordVerdict = { ok: true; testing: boolean; bits?: number } | { ok: false; problem: string; fix: 'publish' | 'replace' };

/**
 * Whether one TXT record at <selector>._domainkey.<domain> lets receivers verify what
 * `privateKeyPem` signs: a DKIM1 record (v= first when given), the key type, a hash list that
 * allows sha256, the service "email" or "*", and `p=` the same public key (an RSA key published as
 * PKCS#1 RSAPublicKey, as some DNS panels do, is compared too).
 */
export function judgeDkimRecord(record: string, privateKeyPem: string): DkimRecordVerdict {
  const tags = parseTagList(record);
  if (typeof tags === 'string') return { ok: false, problem: `the record does not parse: ${tags}`, fix: 'replace' };
  const first = record.trim().split(';')[0]!.split('=')[0]!.trim().toLowerCase();
  if (tags.has('v') && (tags.get('v') !== 'DKIM1' || first !== 'v')) return { ok: false, problem: 'v= must be "DKIM1" and the first tag', fix: 'replace' };
  const ours = createPublicKey(createPrivateKey(privateKeyPem));
  const ourType = ours.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  const k = (tags.get('k') ?? 'rsa').toLowerCase();
  if (k !== ourType) return { ok: false, problem: `k=${k}, but the configured key is ${ourType}`, fix: 'replace' };
  const h = tags.get('h');
  if (
    h !== undefined &&
    !h
      .toLowerCase()
      .split(':')
      .map((x) => x.trim())
      .includes('sha256')
  )
    return { ok: false, problem: `h=${h} does not allow sha256, which the service signs with`, fix: 'replace' };
  const s = tags.get('s');
  if (s !== undefined && !s.split(':').some((x) => ['*', 'email'].includes(x.trim().toLowerCase()))) return { ok: false, problem: `s=${s} does not allow email`, fix: 'replace' };
  const p = (tags.get('p') ?? '').replace(/\s+/g, '');
  if (!tags.has('p')) return { ok: false, problem: 'the record has no p= (public key)', fix: 'replace' };
  if (p === '') return { ok: false, problem: 'p= is empty: the key is revoked, and receivers treat every signature with it as failed', fix: 'replace' };
  const testing = (tags.get('t') ?? '').split(':').some((f) => f.trim().toLowerCase() === 'y');
  const mine = publicKeyData(ours);
  if (ourType === 'ed25519') {
    return p === mine ? { ok: true, testing } : { ok: false, problem: 'p= is another Ed25519 key than the one configured', fix: 'replace' };
  }
  let theirs: KeyObject;
  try {
    const der = Buffer.from(p, 'base64');
    try {
      theirs = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      theirs = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
    }
  } catch {
    return { ok: false, problem: 'p= is not a public key (the base64 may have been cut or wrapped by the DNS panel)', fix: 'replace' };
  }
  if (publicKeyData(theirs) !== mine) return { ok: false, problem: 'p= is another key than the configured private key’s public half', fix: 'replace' };
  return { ok: true, testing, bits: ours.asymmetricKeyDetails?.modulusLength };
}

/** The organizational domain (RFC 7489 §3.2): the registrable domain by the Public Suffix List. */
export function organizationalDomain(domain: string): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return getDomain(d, { allowPrivateDomains: false }) ?? d;
}

/** DMARC's identifier alignment: relaxed = same organizational domain; strict = the same name. */
export function aligned(a: string, b: string, mode: 'r' | 's'): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  return mode === 's' ? x === y : organizationalDomain(x) === organizationalDomain(y);
}

export interface DmarcPolicy {
  p: 'none' | 'quarantine' | 'reject';
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  rua?: string;
  pct: number;
  record: string;
}

/** The DMARC records among a name's TXT records ("v=DMARC1" as the first tag). */
export function dmarcRecords(txt: readonly string[]): string[] {
  return txt.filter((t) => /^v\s*=\s*DMARC1\s*(;|$)/.test(t));
}

export function parseDmarc(record: string): DmarcPolicy | string {
  const tags = parseTagList(record);
  if (typeof tags === 'string') return tags;
  const p = tags.get('p')?.toLowerCase();
  if (p !== 'none' && p !== 'quarantine' && p !== 'reject') return p === undefined ? 'it has no p= (policy): add p=none at least' : `p=${p} is not none, quarantine or reject`;
  const mode = (tag: string): 'r' | 's' | undefined => {
    const v = (tags.get(tag) ?? 'r').toLowerCase();
    return v === 'r' || v === 's' ? v : undefined;
  };
  const adkim = mode('adkim');
  const aspf = mode('aspf');
  if (!adkim || !aspf) return 'adkim= and aspf= must be r or s';
  const pct = Number(tags.get('pct') ?? 100);
  return { p, adkim, aspf, pct: Number.isFinite(pct) ? pct : 100, record, ...(tags.get('rua') ? { rua: tags.get('rua') } : {}) };
}
