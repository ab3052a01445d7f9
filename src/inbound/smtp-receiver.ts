import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { App } from '../app.js';
import { fitsAddressTemplate } from '../bounces/intake.js';
import { MAX_REPORT_BYTES, takeReportMail } from '../service/bounce-intake.js';

export interface BounceReceiver {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The bounce domain's MX: an SMTP server that accepts mail only for the bounce address
 * (delivery.bounceAddress, VERP) and the mailto unsubscribe address, and takes each as a report
 * (service/bounce-intake.ts). Everything else is refused at RCPT with 550, so it is not an open
 * relay and not a mailbox for spam. A mail the intake could not take (the store is down) gets a
 * 451: the sender keeps it and tries again, so nothing is lost. No AUTH; no STARTTLS (reports
 * carry no secret; put a TLS-terminating MX in front if your policy needs it).
 */
export async function startBounceReceiver(app: Pick<App, 'store' | 'logger' | 'config' | 'clock'>, listen: { host: string; port: number }): Promise<BounceReceiver> {
  const { config, logger } = app;
  const bounce = config.delivery.bounceAddress;
  const unsubscribe = config.bounces.unsubscribeAddress;
  const ours = (address: string) => fitsAddressTemplate(bounce, address) || fitsAddressTemplate(unsubscribe, address);

  const server = new SMTPServer({
    name: bounce?.split('@')[1],
    banner: 'bounce and unsubscribe intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    size: MAX_REPORT_BYTES,
    maxClients: 50,
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    // smtp-server logs every command otherwise; our logger says what matters.
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (!ours(address.address)) return callback(Object.assign(new Error('5.1.1 no such mailbox here: this server takes only bounces and unsubscribes'), { responseCode: 550 }));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error(`5.3.4 message larger than ${MAX_REPORT_BYTES} bytes`), { responseCode: 552 }));
        const raw = Buffer.concat(chunks);
        void (async () => {
          try {
            for (const rcpt of session.envelope.rcptTo) await takeReportMail(app, raw, { channel: 'smtp', envelopeTo: rcpt.address });
            callback(null, '2.0.0 report taken');
          } catch (e) {
            logger.error('a report could not be taken; the sender will retry', { error: (e as Error).message });
            callback(Object.assign(new Error('4.3.0 cannot take this report now, try again later'), { responseCode: 451 }));
          }
        })();
      });
    },
  });
  server.on('error', (e) => logger.warn('bounce receiver: connection error', { error: e.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  logger.info('bounce receiver listening', { host: listen.host, port, addresses: [bounce, unsubscribe].filter(Boolean) });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
