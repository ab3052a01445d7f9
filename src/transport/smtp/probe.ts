import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { SmtpEndpoint } from '../../config/smtp-url.js';
import { heloArgument } from './client.js';

/** What `newsletter doctor` learns from the relay without sending: see deliverability/doctor.ts. */
export interface RelayProbeResult {
  failed?: 'connect' | 'tls' | 'auth';
  message?: string;
  tls: boolean;
  authenticated?: boolean;
  authMethods: string[];
}

/** A server's reply or a socket error as one line, never with the credentials (nodemailer does not put them in errors). */
function reason(e: unknown): string {
  const err = e as Error & { response?: string; code?: string };
  return (err.response ?? err.message ?? String(e)).replace(/\s+/g, ' ').trim();
}

/**
 * Connects to the relay as the transport would (same TLS settings, same EHLO name), upgrades
 * with STARTTLS when offered, logs in when SMTP_URL has a user, then says QUIT: no MAIL FROM, no
 * mail. Bounded by the transport's timeouts.
 */
export function probeRelay(endpoint: SmtpEndpoint, heloName: string, timeouts: { connectionMs: number; greetingMs: number; socketMs: number }): Promise<RelayProbeResult> {
  const connection = new SMTPConnection({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    ...endpoint.flags,
    tls: endpoint.tls,
    name: heloArgument(heloName),
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  } as SMTPConnection.Options);
  const methods = () => [...((connection as unknown as { _supportedAuth?: string[] })._supportedAuth ?? [])];
  return new Promise((resolve) => {
    let finished = false;
    const finish = (result: RelayProbeResult) => {
      if (finished) return;
      finished = true;
      try {
        if (result.failed) connection.close();
        else connection.quit();
      } catch {
        // already closed
      }
      resolve(result);
    };
    connection.on('error', (e) =>
      finish({ failed: connection.secure || !/tls|ssl|certificate/i.test(reason(e)) ? 'connect' : 'tls', message: reason(e), tls: connection.secure, authMethods: methods() }),
    );
    connection.connect((err) => {
      if (err) {
        const tlsProblem = /tls|ssl|certificate|self.signed/i.test(reason(err)) || (err as { code?: string }).code === 'ETLS';
        return finish({ failed: tlsProblem ? 'tls' : 'connect', message: reason(err), tls: connection.secure, authMethods: methods() });
      }
      if (!endpoint.auth) return finish({ tls: connection.secure, authMethods: methods() });
      connection.login({ user: endpoint.auth.user, pass: endpoint.auth.pass }, (loginErr) => {
        if (loginErr) return finish({ failed: 'auth', message: reason(loginErr), tls: connection.secure, authenticated: false, authMethods: methods() });
        finish({ tls: connection.secure, authenticated: true, authMethods: methods() });
      });
    });
  });
}
