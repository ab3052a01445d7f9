import { ErrorCodes, NewsletterError } from '../domain/errors.js';

/** Where and how to reach the SMTP relay, parsed once from SMTP_URL. */
export interface SmtpEndpoint {
  /** smtps:// (TLS from the first byte) rather than smtp:// (STARTTLS when offered). */
  secure: boolean;
  host: string;
  port: number;
  auth?: { user: string; pass: string };
  /** `tls.*` query parameters, e.g. `tls.rejectUnauthorized=false` for a self-signed test relay. */
  tls: Record<string, string | boolean>;
  /** Other nodemailer connection flags from the query (`ignoreTLS`, `requireTLS`). */
  flags: { ignoreTLS?: boolean; requireTLS?: boolean };
  /** For logs and summaries: scheme, host and port only, never the user or the password. */
  shown: string;
}

const FLAGS = new Set(['ignoreTLS', 'requireTLS']);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A literal "%" that is not an escape: take the text as written.
    return s;
  }
}

function value(s: string): string | boolean {
  return s === 'true' ? true : s === 'false' ? false : s;
}

/**
 * Parses `smtp[s]://[user[:password]@]host[:port][/][?query]` by hand. A password often holds
 * "/", "@", "%" or ":" unescaped; the WHATWG parser misreads those as the path or the host, and
 * Node's legacy `url.parse` (which nodemailer would use) prints the whole URL, password included,
 * in a deprecation warning. So the userinfo ends at the last "@", and nothing here ever puts the
 * URL or the credentials into an error.
 */
export function parseSmtpUrl(url: string): SmtpEndpoint {
  const fail = (what: string): never => {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${what}; example: smtp://user:password@mail.example.org:587 (the value is not shown: it may hold a password)`, {
      place: 'SMTP_URL',
    });
  };
  const m = /^(smtps?):\/\/(.*)$/is.exec(url.trim());
  if (!m) return fail('must start with smtp:// or smtps://');
  const secure = m[1]!.toLowerCase() === 'smtps';
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const q = afterAuth.indexOf('?');
  const query = q >= 0 ? afterAuth.slice(q + 1) : '';
  const hostPort = (q >= 0 ? afterAuth.slice(0, q) : afterAuth).replace(/\/.*$/s, '');
  const hp = /^(\[[0-9a-f:.]+\]|[^\s:/[\]]+)(?::(\d{1,5}))?$/i.exec(hostPort);
  if (!hp) return fail('has no valid host name after "//" (and after the "@" of the user and password)');
  const host = hp[1]!.replace(/^\[|\]$/g, '');
  const port = hp[2] ? Number(hp[2]) : secure ? 465 : 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('has a port outside 1-65535');

  let auth: SmtpEndpoint['auth'];
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    const pass = colon >= 0 ? decode(userinfo.slice(colon + 1)) : '';
    auth = { user, pass };
  }

  const tls: SmtpEndpoint['tls'] = {};
  const flags: SmtpEndpoint['flags'] = {};
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq >= 0 ? pair.slice(0, eq) : pair);
    const v = value(decode(eq >= 0 ? pair.slice(eq + 1) : 'true'));
    if (key.startsWith('tls.') && key.length > 4) tls[key.slice(4)] = v;
    else if (FLAGS.has(key)) flags[key as keyof SmtpEndpoint['flags']] = v === true;
    else return fail(`has an unknown query parameter "${key.replace(/[^\w.-]/g, '?')}" (known: tls.*, ignoreTLS, requireTLS)`);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { secure, host, port, auth, tls, flags, shown: `${secure ? 'smtps' : 'smtp'}://${auth ? '…@' : ''}${shownHost}:${port}` };
}
