import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import DKIM from 'nodemailer/lib/dkim/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dkimKeyAlgorithm, signMessage, type DkimRequest } from '../../src/delivery/dkim-signer.js';
import { signedEml } from '../../src/delivery/dkim.js';
import { DKIM_HEADERS } from '../../src/delivery/message.js';
import { constantParts, joinRaw, TransportError } from '../../src/transport/transport.js';

const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsaOld = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaNew = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

/** TXT records as published: RSA as SubjectPublicKeyInfo, Ed25519 as the bare 32-byte key (RFC 8463 4.2). */
const RECORDS: Record<string, string> = {
  'nl2026._domainkey.news.example.org': `v=DKIM1; k=rsa; p=${rsaOld.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  'nl2027._domainkey.news.example.org': `v=DKIM1; k=rsa; p=${rsaNew.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  'nl2026e._domainkey.news.example.org': `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
};
/** A stubbed DNS that publishes only `names`. */
const resolverOf =
  (...names: string[]) =>
  async (name: string, type: string) => {
    if (type === 'TXT' && names.includes(name)) return [[RECORDS[name]!]];
    throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  };
const ALL = resolverOf(...Object.keys(RECORDS));

const MESSAGE = Buffer.from(
  [
    'To: =?UTF-8?Q?Zo=C3=A9?= <zoe@example.org>',
    'Message-ID: <weekly-brief.1.7@news.example.org>',
    'Date: Mon, 23 Nov 2026 07:00:05 +0000',
    'List-Unsubscribe:',
    ' <https://news.example.test/u/eyJwIjoidW5zdWJzY3JpYmUifQ.token>',
    'From: The Weekly Brief <brief@news.example.org>',
    'Subject: The Weekly Brief: 8 new stories',
    'List-ID: The Weekly Brief <weekly-brief.news.example.org>',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    'Auto-Submitted: auto-generated',
    'CFBL-Address: fbl@news.example.org; report=arf',
    'X-Newsletter-Issue: weekly-brief/1',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Bonjour Zo=C3=A9,  voici  les nouvelles.',
    '',
  ].join('\r\n'),
);

const request = (keys: { keySelector: string; privateKey: string }[]): DkimRequest => ({
  domainName: 'news.example.org',
  keySelector: keys[0]!.keySelector,
  privateKey: keys[0]!.privateKey,
  keys,
  headerFieldNames: DKIM_HEADERS,
});
const RSA_OLD = { keySelector: 'nl2026', privateKey: pem(rsaOld.privateKey) };
const RSA_NEW = { keySelector: 'nl2027', privateKey: pem(rsaNew.privateKey) };
const ED = { keySelector: 'nl2026e', privateKey: pem(ed.privateKey) };

async function signed(dkim: DkimRequest, parts: Buffer[] = [MESSAGE]): Promise<Buffer> {
  return joinRaw((await signMessage({ raw: { parts, length: parts.reduce((n, p) => n + p.length, 0) }, dkim })).raw);
}

interface Verdict {
  selector: string;
  result: string;
  algo: string;
  signed: string[];
}
async function verdicts(bytes: Buffer, resolver = ALL): Promise<Verdict[]> {
  const { results } = await dkimVerify(bytes, { resolver });
  return results.map((r) => {
    const x = r as unknown as { selector: string; algo: string; status: { result: string }; signingHeaders: { keys: string } };
    return { selector: x.selector, result: x.status.result, algo: x.algo, signed: x.signingHeaders.keys.split(':').map((h) => h.trim().toLowerCase()) };
  });
}

describe('DKIM signer', () => {
  it('adds one DKIM-Signature and leaves every other byte as it was; h= covers the one-click headers, Auto-Submitted and CFBL-Address', async () => {
    const out = await signed(request([RSA_OLD]));
    const text = out.toString('latin1');
    expect(text.startsWith('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=news.example.org;')).toBe(true);
    expect(out.subarray(out.length - MESSAGE.length).equals(MESSAGE)).toBe(true);
    expect(text.slice(0, out.length - MESSAGE.length).match(/^DKIM-Signature:/gm)).toHaveLength(1);
    const [v] = await verdicts(out);
    expect(v).toMatchObject({ selector: 'nl2026', result: 'pass', algo: 'rsa-sha256' });
    expect(v!.signed).toEqual([
      'from',
      'subject',
      'date',
      'message-id',
      'to',
      'mime-version',
      'content-type',
      'content-transfer-encoding',
      'list-id',
      'list-unsubscribe',
      'list-unsubscribe-post',
      'auto-submitted',
      'cfbl-address',
    ]);
  });

  it('signs with RSA and Ed25519 (RFC 8463): both verify, and a receiver without the Ed25519 record still verifies RSA', async () => {
    const out = await signed(request([RSA_OLD, ED]));
    expect(out.toString('latin1').match(/^DKIM-Signature:/gm)).toHaveLength(2);
    expect(out.subarray(out.length - MESSAGE.length).equals(MESSAGE)).toBe(true);
    const both = await verdicts(out);
    expect(both.map(({ selector, result, algo }) => ({ selector, result, algo }))).toEqual([
      { selector: 'nl2026', result: 'pass', algo: 'rsa-sha256' },
      { selector: 'nl2026e', result: 'pass', algo: 'ed25519-sha256' },
    ]);
    expect(both[1]!.signed).toEqual(both[0]!.signed);
    const rsaOnly = await verdicts(out, resolverOf('nl2026._domainkey.news.example.org'));
    expect(rsaOnly.map((v) => [v.selector, v.result])).toEqual([
      ['nl2026', 'pass'],
      ['nl2026e', expect.not.stringMatching(/^pass$/)],
    ]);
    // Altering a signed header breaks both.
    const tampered = Buffer.from(out.toString('latin1').replace('8 new stories', '9 new stories'), 'latin1');
    expect((await verdicts(tampered)).map((v) => v.result)).not.toContain('pass');
  });

  it('rotates keys: signed with the old and the new selector, the message verifies whichever record a receiver finds; as nodemailer signs with two keys, byte for byte', async () => {
    const dkim = request([RSA_OLD, RSA_NEW]);
    const out = await signed(dkim);
    const nodemailer = await buffer(
      new DKIM({
        keys: dkim.keys!.map((k) => ({ domainName: dkim.domainName, ...k })),
        headerFieldNames: DKIM_HEADERS,
      } as unknown as ConstructorParameters<typeof DKIM>[0]).sign(MESSAGE),
    );
    expect(out.toString('latin1')).toBe(nodemailer.toString('latin1'));
    expect((await verdicts(out, resolverOf('nl2026._domainkey.news.example.org'))).map((v) => v.result)).toEqual(['pass', expect.not.stringMatching(/^pass$/)]);
    expect((await verdicts(out, resolverOf('nl2027._domainkey.news.example.org'))).map((v) => v.result)).toEqual([expect.not.stringMatching(/^pass$/), 'pass']);
  });

  it('gives the same signatures for the message in pieces, some of them shared, and joins the signature to the first piece', async () => {
    const dkim = request([RSA_OLD, ED]);
    const whole = await signed(dkim);
    const body = MESSAGE.indexOf('Bonjour');
    const shared = Buffer.from(MESSAGE.subarray(body + 5));
    constantParts.add(shared);
    const pieces = [Buffer.from(MESSAGE.subarray(0, body)), Buffer.from(MESSAGE.subarray(body, body + 5)), shared];
    const raw = { parts: pieces, length: MESSAGE.length };
    const message = await signMessage({ raw, dkim, key: 'k' });
    expect(message).not.toHaveProperty('dkim');
    expect(message.raw.parts).toHaveLength(3);
    expect(message.raw.parts[2]).toBe(shared);
    expect(joinRaw(message.raw).equals(whole)).toBe(true);
    expect(message.raw.length).toBe(whole.length);
    expect((await signedEml({ raw, dkim })).equals(whole)).toBe(true);
  });

  it('leaves a message without a key as it is', async () => {
    const raw = { parts: [MESSAGE], length: MESSAGE.length };
    expect((await signMessage({ raw })).raw).toBe(raw);
  });

  it('says what is wrong with a key DKIM cannot use; a broken key is the sender’s failure, with nothing handed over', async () => {
    expect(dkimKeyAlgorithm(RSA_OLD.privateKey)).toBe('rsa');
    expect(dkimKeyAlgorithm(ED.privateKey)).toBe('ed25519');
    expect(dkimKeyAlgorithm(rsaOld.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())).toBe('rsa');
    expect(() => dkimKeyAlgorithm('not a key')).toThrow(/is not a PEM private key/);
    expect(() => dkimKeyAlgorithm(pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).toThrow(/holds an ec key: DKIM signs with RSA or Ed25519/);
    expect(() => dkimKeyAlgorithm(pem(generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey))).toThrow(/RSA key of 768 bits.*RFC 8301/);
    const encrypted = rsaOld.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    expect(() => dkimKeyAlgorithm(encrypted)).toThrow(/is encrypted/);
    const err = await signMessage({ raw: { parts: [MESSAGE], length: MESSAGE.length }, dkim: request([{ keySelector: 'x', privateKey: 'garbage' }]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ kind: 'failed-sender', details: { handedOver: false } });
    expect((err as Error).message).toMatch(/^DKIM signing failed: .*not a PEM private key/);
  });
});
