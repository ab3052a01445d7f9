import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  url: string;
  received: Received[];
  parsed(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** TLS from the first byte (smtps), with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
  /** Wait this long before answering each message's data (a slow relay). */
  delayMs?: number;
  /** Return an Error with `responseCode` to refuse a recipient (e.g. 451, 550). */
  onRcpt?: (address: string, session: SMTPServerSession) => (Error & { responseCode?: number }) | undefined;
}

/** A real SMTP server on 127.0.0.1 (port 0) that keeps every message it accepts. */
export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const received: Received[] = [];
  const server = new SMTPServer({
    ...(options.tls ? { secure: true, key: options.tls.key, cert: options.tls.cert } : {}),
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const err = options.onRcpt?.(address.address, session);
      callback(err ?? undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        if (options.delayMs) setTimeout(() => callback(), options.delayMs);
        else callback();
      });
    },
  });
  // Client-side aborts (a refused certificate, a killed sender) surface here; they are expected.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `${options.tls ? 'smtps' : 'smtp'}://127.0.0.1:${port}`,
    received,
    parsed: () => Promise.all(received.map((r) => simpleParser(r.raw))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
