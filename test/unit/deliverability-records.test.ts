import { describe, expect, it } from 'vitest';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { aligned, dkimRecordFor, dmarcRecords, judgeDkimRecord, organizationalDomain, parseDmarc, parseTagList } from '../../src/deliverability/records.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const otherEd = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('DKIM key records', () => {
  it('the record to publish verifies against its own key, RSA and Ed25519 (RFC 8463: the raw 32 bytes)', () => {
    expect(dkimRecordFor(rsa)).toMatch(/^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/=]+$/);
    const edRecord = dkimRecordFor(ed);
    expect(edRecord).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    expect(judgeDkimRecord(dkimRecordFor(rsa), rsa)).toEqual({ ok: true, testing: false, bits: 2048 });
    expect(judgeDkimRecord(edRecord, ed)).toEqual({ ok: true, testing: false });
  });

  it('names what is wrong: another key, a revoked key, the wrong k=, a hash list without sha256, a cut key, v= not first', () => {
    expect(judgeDkimRecord(dkimRecordFor(otherEd), ed)).toMatchObject({ ok: false, problem: expect.stringMatching(/another Ed25519 key/) });
    expect(judgeDkimRecord('v=DKIM1; k=rsa; p=', rsa)).toMatchObject({ ok: false, problem: expect.stringMatching(/revoked/) });
    expect(judgeDkimRecord(dkimRecordFor(rsa), ed)).toMatchObject({ ok: false, problem: 'k=rsa, but the configured key is ed25519' });
    expect(judgeDkimRecord(`${dkimRecordFor(rsa)}; h=sha1`, rsa)).toMatchObject({ ok: false, problem: expect.stringMatching(/sha256/) });
    expect(judgeDkimRecord(dkimRecordFor(rsa).slice(0, 200), rsa)).toMatchObject({ ok: false, problem: expect.stringMatching(/not a public key/) });
    expect(judgeDkimRecord(`k=rsa; v=DKIM1; p=${dkimRecordFor(rsa).split('p=')[1]}`, rsa)).toMatchObject({ ok: false, problem: expect.stringMatching(/first tag/) });
  });

  it('accepts a key published as PKCS#1 RSAPublicKey, spaces in p= (split strings), t=y as testing', () => {
    const pkcs1 = createPublicKey(rsa).export({ type: 'pkcs1', format: 'der' }).toString('base64');
    expect(judgeDkimRecord(`v=DKIM1; p=${pkcs1}`, rsa)).toMatchObject({ ok: true });
    const p = dkimRecordFor(rsa).split('p=')[1]!;
    expect(judgeDkimRecord(`v=DKIM1; k=rsa; t=y; p=${p.slice(0, 100)} ${p.slice(100)}`, rsa)).toEqual({ ok: true, testing: true, bits: 2048 });
    expect(judgeDkimRecord(dkimRecordFor(rsa1024), rsa1024)).toEqual({ ok: true, testing: false, bits: 1024 });
  });

  it('parses tag lists strictly', () => {
    expect(parseTagList('v=DKIM1; k=rsa;')).toEqual(
      new Map([
        ['v', 'DKIM1'],
        ['k', 'rsa'],
      ]),
    );
    expect(parseTagList('v=DKIM1; v=DKIM1')).toMatch(/twice/);
    expect(parseTagList('v=DKIM1; junk')).toMatch(/not tag=value/);
  });
});

describe('DMARC', () => {
  it('finds the record among TXT records and reads its policy and alignment modes', () => {
    expect(dmarcRecords(['v=spf1 -all', 'v=DMARC1; p=none', 'v=DMARC2; p=none'])).toEqual(['v=DMARC1; p=none']);
    expect(parseDmarc('v=DMARC1; p=reject; adkim=s; rua=mailto:d@example.org')).toMatchObject({ p: 'reject', adkim: 's', aspf: 'r', rua: 'mailto:d@example.org', pct: 100 });
    expect(parseDmarc('v=DMARC1; rua=mailto:d@example.org')).toMatch(/no p=/);
    expect(parseDmarc('v=DMARC1; p=block')).toMatch(/not none, quarantine or reject/);
    expect(parseDmarc('v=DMARC1; p=none; adkim=x')).toMatch(/r or s/);
  });

  it('aligns by organizational domain (Public Suffix List) when relaxed, by name when strict', () => {
    expect(organizationalDomain('news.example.org')).toBe('example.org');
    expect(organizationalDomain('a.b.example.co.uk')).toBe('example.co.uk');
    expect(aligned('bounces.news.example.org', 'news.example.org', 'r')).toBe(true);
    expect(aligned('bounces.news.example.org', 'news.example.org', 's')).toBe(false);
    expect(aligned('News.Example.org.', 'news.example.org', 's')).toBe(true);
    // Two registrants under one public suffix are not aligned.
    expect(aligned('a.example.co.uk', 'b.other.co.uk', 'r')).toBe(false);
    expect(aligned('mailer.sendgrid.net', 'news.example.org', 'r')).toBe(false);
  });
});
