import type { MiddlewareHandler } from 'hono';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';

/** The names of this machine that no DNS answer can point elsewhere. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** An address to listen on that only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(bindHost: string): boolean {
  const h = bindHost
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The wildcard addresses: every interface, so no one name to answer to. */
function isWildcard(bindHost: string): boolean {
  return ['', '0.0.0.0', '::', '[::]'].includes(bindHost.trim());
}

/**
 * The host name of a Host header (or an allowedHosts entry), lower case, without the port; an
 * IPv6 address in brackets. Undefined when it is not a plain host[:port].
 */
export function hostName(value: string): string | undefined {
  let v = value.trim().toLowerCase();
  // An IPv6 address written without brackets (in the config, or a bind address).
  if (/^[0-9a-f:.]+$/.test(v) && v.split(':').length > 2) v = `[${v}]`;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?)(:\d{1,5})?$/.exec(v);
  return m?.[1];
}

/**
 * The host names the preview answers to: the loopback names, the configured `preview.allowedHosts`,
 * and the address it listens on when that is one address (an IP typed in the browser cannot be
 * rebound). A wildcard bind (0.0.0.0) adds nothing: list the names editors use instead.
 */
export function allowedHostNames(allowedHosts: readonly string[], bindHost?: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  for (const h of allowedHosts) {
    const n = hostName(h);
    if (n) names.add(n);
  }
  const bound = bindHost && !isWildcard(bindHost) ? hostName(bindHost) : undefined;
  if (bound) names.add(bound);
  return names;
}

/**
 * DNS rebinding guard: a page on any site can have its name re-pointed at 127.0.0.1 and then read
 * the preview as its own origin; the browser still sends that site's name in Host, so a request
 * whose Host is not one of ours is refused (every route, the event stream too). Without a Host
 * header (HTTP/1.0, which no browser sends) the URL's host, built from the bind address, decides.
 */
export function hostGuard(names: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('host');
    const fromUrl = new URL(c.req.url).host;
    const ok = [header ?? fromUrl, fromUrl].every((h) => {
      const n = hostName(h);
      return n !== undefined && names.has(n);
    });
    if (!ok) return c.text('This preview does not answer to that host name. Add it to preview.allowedHosts if editors use it.\n', 421);
    await next();
  };
}

/**
 * Beyond loopback anyone who can reach the port could read every reader's name and send mail:
 * refuse to serve there without a password for editors to sign in with.
 */
export function assertSafeBinding(bindHost: string, password: string | undefined, editors: readonly unknown[] = [], token?: string): void {
  if (isLoopback(bindHost) || password || editors.length > 0 || token) return;
  throw new NewsletterError(
    ErrorCodes.CONFIG_INVALID,
    `the preview would listen on ${bindHost}, reachable from other machines, without a password: set preview.password (or the PREVIEW_PASSWORD environment variable; at least 12 characters) or editor accounts in preview.editors (made with \`newsletter editors hash\`), or keep preview.host on 127.0.0.1`,
    { place: 'preview.password' },
  );
}
