import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { createSmtpTransport, type SmtpOptions } from '../../src/transport/smtp/client.js';
import { parseSmtpUrl } from '../../src/config/smtp-url.js';

const smtp = (url: string, rest: Omit<SmtpOptions, 'endpoint' | 'timeouts' | 'heloName'>) =>
  createSmtpTransport({ endpoint: parseSmtpUrl(url), timeouts: { connectionMs: 5_000, greetingMs: 5_000, socketMs: 10_000 }, heloName: 'test.example.org', ...rest });
import { TransportError, type Transport } from '../../src/transport/transport.js';
import { composeMessage } from '../../src/delivery/mime.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const CRLF = '\r\n';

/**
 * A finished message as the fast path hands it over: its bytes in pieces, envelope, Message-ID.
 * The pieces are cut where the wire's rules are hardest to keep across a boundary: just before a
 * dot that starts a line, between CR and LF, and in the middle of a line.
 */
function rawMessage(n: number, to: string) {
  const bytes = Buffer.from(
    [
      `From: Brief <brief@news.example.org>`,
      `To: ${to}`,
      `Subject: raw ${n}`,
      `Message-ID: <raw.${n}@news.example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'A line, then one that starts with a dot:',
      '.hidden? no: SMTP transparency must keep it',
      '..and two',
      '.',
      'caf=C3=A9',
      '',
    ].join(CRLF),
  );
  const text = bytes.toString('latin1');
  const cuts = [text.indexOf('\r\n.hidden') + 2, text.indexOf('\r\n..and') + 1, text.indexOf('caf=') + 2, bytes.length];
  const parts = cuts.map((end, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], end));
  return { key: `raw-${n}`, raw: { parts, length: bytes.length }, bytes, messageId: `<raw.${n}@news.example.org>`, envelope: { from: `bounces+${n}@news.example.org`, to: [to] } };
}

describe('SMTP transport (nodemailer pool fed finished messages)', () => {
  let sink: SmtpSink | undefined;
  let transport: Transport | undefined;
  afterEach(async () => {
    await transport?.close();
    await sink?.close();
    transport = sink = undefined;
  });

  it('delivers a message given in pieces byte for byte, dot-stuffed on the wire, with the given envelope, over a bounded pool', async () => {
    sink = await startSmtpSink();
    transport = smtp(sink.url, { maxConnections: 2, maxMessages: 3 });
    const messages = Array.from({ length: 8 }, (_, i) => rawMessage(i, `reader${i}@example.com`));
    // the fast DATA stream corks the pool's sockets (fast-data-stream.ts): count it happening
    const cork = Socket.prototype.cork;
    let corks = 0;
    const sinkPort = Number(new URL(sink.url).port);
    Socket.prototype.cork = function (this: Socket) {
      // the pool's side, from the fast path (nodemailer corks for the pipelined envelope too)
      if (this.remotePort === sinkPort && new Error().stack?.includes('corkForThisTick')) corks++;
      return cork.call(this);
    };
    const results = await Promise.all(messages.map((m) => transport!.send(m))).finally(() => void (Socket.prototype.cork = cork));
    expect(corks).toBeGreaterThanOrEqual(messages.length);
    expect(results.map((r) => r.messageId)).toEqual(messages.map((m) => m.messageId));
    expect(results.every((r) => r.response.startsWith('250'))).toBe(true);
    expect(sink.received).toHaveLength(8);
    for (const m of messages) {
      const got = sink.received.find((r) => r.to[0] === m.envelope.to[0])!;
      expect(got.from).toBe(m.envelope.from);
      // smtp-server removes the transparency dots again: what arrives is byte for byte what was built
      expect(got.raw.equals(m.bytes)).toBe(true);
      expect((await simpleParser(got.raw)).text).toContain('.hidden? no');
    }
  });

  it('sends a message composed from fields (delivery/mime.ts), and DKIM-signs both kinds so that they verify', async () => {
    sink = await startSmtpSink();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === 'sel._domainkey.news.example.org') return [[record]];
      throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    };
    const dkim = {
      domainName: 'news.example.org',
      keySelector: 'sel',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      headerFieldNames: 'From:Subject:Date:Message-ID:To:List-Unsubscribe',
    };
    transport = smtp(sink.url, { maxConnections: 1 });
    const composed = await composeMessage(
      'fields',
      {
        messageId: '<fields.1@news.example.org>',
        from: 'Brief <brief@news.example.org>',
        to: { name: 'Zoé', address: 'zoe@example.org' },
        subject: 'Fields ✓',
        text: 'plain',
        html: '<p>rich</p>',
        headers: { 'List-Unsubscribe': '<https://news.example.test/u/t>' },
      },
      dkim,
    );
    expect(composed.envelope).toEqual({ from: 'brief@news.example.org', to: ['zoe@example.org'] });
    await transport.send(composed);
    await transport.send({ ...rawMessage(1, 'ada@example.com'), dkim });
    expect(sink.received.map((r) => r.to[0])).toEqual(['zoe@example.org', 'ada@example.com']);
    expect(sink.received[0]!.from).toBe('brief@news.example.org');
    const fields = await simpleParser(sink.received[0]!.raw);
    expect(fields.subject).toBe('Fields ✓');
    expect(fields.text?.trim()).toBe('plain');
    expect(fields.headers.get('list')).toBeDefined();
    for (const r of sink.received) {
      const result = await dkimVerify(r.raw, { resolver });
      expect(result.results[0]!.status.result, JSON.stringify(result.results[0]!.status)).toBe('pass');
    }
  });

  it('a refused recipient rejects with the reply code and says no data was handed over', async () => {
    sink = await startSmtpSink({ onRcpt: (a) => (a.startsWith('gone') ? Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }) : undefined) });
    transport = smtp(sink.url, { maxConnections: 1 });
    const err = await transport.send(rawMessage(1, 'gone@example.com')).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The port's error, classified beside the client: a hard bounce, nothing handed over.
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('failed-recipient');
    expect((err as TransportError).details).toMatchObject({ addressGone: true, enhanced: '5.1.1', handedOver: false, reply: expect.stringMatching(/^550/) });
    // the connection is reset and reused for the next reader
    await transport.send(rawMessage(2, 'here@example.com'));
    expect(sink.received.map((r) => r.to[0])).toEqual(['here@example.com']);
  });
});
