import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpTransport } from '../../src/transport/smtp/client.js';
import { parseSmtpUrl } from '../../src/config/smtp-url.js';
import type { Transport, TransportError } from '../../src/transport/transport.js';

const rawOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { parts: [bytes], length: bytes.length };
};
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.js';
import { until } from '../helpers/wait.js';

/** How the SMTP transport opens and ends its sessions: the EHLO name, and QUIT on close. */
describe('SMTP sessions', () => {
  let relay: ScriptedSmtp | undefined;
  let transport: Transport | undefined;
  afterEach(async () => {
    relay?.releaseStalled();
    await transport?.close();
    await relay?.close();
    relay = transport = undefined;
  });

  const message = (to: string) => ({
    key: to,
    messageId: `<${to}@news.example.org>`,
    envelope: { from: 'bounces@news.example.org', to: [to] },
    raw: rawOf(`From: b@news.example.org\r\nTo: ${to}\r\nSubject: x\r\nMessage-ID: <${to}@news.example.org>\r\n\r\nhello\r\n`),
  });
  const open = (heloName: string, warnings: string[] = []) =>
    createSmtpTransport({
      endpoint: parseSmtpUrl(relay!.url),
      timeouts: { connectionMs: 5_000, greetingMs: 5_000, socketMs: 20_000 },
      heloName,
      maxConnections: 2,
      logger: { warn: (m: string) => void warnings.push(m) },
    });

  it('names itself as configured, and says QUIT to the relay on close', async () => {
    relay = await startScriptedSmtp(() => undefined);
    const warnings: string[] = [];
    transport = open('mail.news.example.org', warnings);
    await transport.send(message('ada@example.com'));
    expect(relay.heloNames).toEqual(['mail.news.example.org']);
    expect(relay.quits).toBe(0);
    await transport.close();
    transport = undefined;
    expect(relay.quits).toBe(1);
    await until('the connection closed', () => relay!.openConnections() === 0);
    expect(warnings).toEqual([]);
  });

  it('warns about an IP literal as the EHLO name, and sends it as an address literal', async () => {
    relay = await startScriptedSmtp(() => undefined);
    const warnings: string[] = [];
    transport = open('192.0.2.10', warnings);
    await transport.send(message('ada@example.com'));
    expect(relay.heloNames).toEqual(['[192.0.2.10]']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/delivery\.heloName.*192\.0\.2\.10/);
    transport = open('2001:db8::1');
    await transport.send(message('jean@example.fr'));
    expect(relay.heloNames[1]).toBe('[IPv6:2001:db8::1]');
  });

  it('closes at once with a message stalled after its data: QUIT to the idle connection, the stalled one dropped, the send failing', async () => {
    relay = await startScriptedSmtp((rcpt) => (rcpt === 'grace@example.com' ? 'stall-after-data' : undefined));
    transport = open('mail.news.example.org');
    const stalled = transport.send(message('grace@example.com')).then(
      () => 'sent',
      (e: TransportError) => e.details.handedOver,
    );
    await until('the stalled data in', () => relay!.dataReceivedFor.includes('grace@example.com'));
    await transport.send(message('ada@example.com'));
    await transport.close();
    transport = undefined;
    // The message data went out without a reply: the caller learns it may have arrived.
    expect(await stalled).toBe(true);
    expect(relay.quits).toBe(1);
    await until('every connection closed', () => relay!.openConnections() === 0);
  });
});
