import type { Context, MiddlewareHandler } from 'hono';
import { isIP } from 'node:net';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Config } from '../config/load.js';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import type { Store } from '../store/store.js';
import type { Transport } from '../transport/transport.js';
import type { Events } from '../domain/events.js';
import type { Metrics } from '../domain/metrics.js';
import type { App } from '../app.js';
import { verifyToken, type TokenCheck } from '../domain/tokens.js';
import { page } from './pages.js';
import { escapeHtml } from '../domain/html.js';
import type { PageLanguages, PageText } from './page-language.js';

export interface HttpDeps {
  store: Store;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** For confirmation mails; the issue deliveries never go through HTTP. */
  transport: Transport;
  /** Webhooks out: sign-ups, confirmations, unsubscribes (and provider bounce reports). */
  events?: Events;
  metrics?: Metrics;
  /** GET /metrics, when metrics.enabled. */
  metricsExposed?: NonNullable<App['metrics']>;
}

/**
 * Form posts are small; anything larger is refused before it is read: JSON for JSON clients, else
 * a page in the browser's language (the body, and so any token's reader, is not read).
 */
export function smallBody(languages: PageLanguages): MiddlewareHandler {
  return bodyLimit({
    maxSize: 16 * 1024,
    onError: (c) => {
      if (wantsJson(c)) return c.json({ error: 'request body too large' }, 413);
      const text = languages.browser(c);
      return c.html(pageFor(text, text.t('page_too_large_title'), `<p>${escapeHtml(text.t('page_too_large_body'))}</p>`), 413);
    },
  });
}

/** What a link that does not verify is told, by reason (locale keys). */
export const TOKEN_PROBLEMS: Record<string, string> = {
  malformed: 'page_link_malformed',
  'bad-signature': 'page_link_bad_signature',
  expired: 'page_link_expired',
  'wrong-purpose': 'page_link_wrong_purpose',
};

export function checkToken(deps: HttpDeps, token: string, purpose: string): TokenCheck {
  return verifyToken(token, deps.config.secrets, purpose, deps.clock.now().getTime());
}

/** A link that does not verify names no reader we can trust: the page speaks the browser's language. */
export function badLink(c: Context, reason: string, text: PageText): Response {
  return c.html(pageFor(text, text.t('page_link_invalid_title'), `<p>${escapeHtml(text.t(TOKEN_PROBLEMS[reason] ?? 'page_link_bad_signature'))}</p>`), 400);
}

/** A page in a reader's language: the title is also its one <h1>. */
export function pageFor(text: PageText, title: string, body: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n${body}`, text.lang, text.dir);
}

/** Form (urlencoded or multipart) or JSON body as plain fields; arrays kept for repeated fields. */
export async function readFields(c: Context): Promise<Record<string, string | string[]>> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.includes('application/json')) {
      const data = (await c.req.json()) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)]));
    }
    const body = await c.req.parseBody({ all: true });
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
  } catch {
    return {};
  }
}

export function field(fields: Record<string, string | string[]>, name: string): string {
  const v = fields[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export function list(fields: Record<string, string | string[]>, name: string): string[] {
  const v = fields[name] ?? fields[`${name}[]`];
  const items = Array.isArray(v) ? v : v ? v.split(',') : [];
  return items.map((x) => x.trim()).filter(Boolean);
}

/** The peer's address on the socket; `app.request()` (tests) has no socket. */
function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * The client's address (kept as consent proof, and the base of per-client limits). By default
 * the peer's: behind a reverse proxy every request then shares the proxy's address, which only
 * makes the limit stricter, and a forged X-Forwarded-For changes nothing. With
 * `http.trustProxy`, the right-most X-Forwarded-For entry: the one our proxy appended (entries
 * before it are whatever the client sent, and anyone can send those). Only a valid IP counts;
 * otherwise the peer's address is used. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is given as IPv4.
 */
export function clientIp(c: Context, trustProxy = false): string {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim() : undefined;
  const address = forwarded && isIP(forwarded) ? forwarded : peerAddress(c);
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

export function wantsJson(c: Context): boolean {
  return (c.req.header('content-type') ?? '').includes('application/json') || (c.req.header('accept') ?? '').startsWith('application/json');
}
