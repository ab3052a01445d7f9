import type { Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { allowedHostNames, hostGuard } from './hosts.js';
import { FormTokens, sameOrigin, type PreviewEnv } from './same-origin.js';
import { SignIn } from './sign-in.js';
import type { ChromeText } from './chrome-text.js';

/** The preview's forms carry an address and a token: anything near this size is not ours. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface AccessOptions {
  /** config preview.allowedHosts: host names editors reach the preview by, besides loopback. */
  allowedHosts: readonly string[];
  /** The address the preview listens on (serve.ts), also accepted as a Host when it is one address. */
  bindHost?: string;
  /** config preview.password (PREVIEW_PASSWORD): when set, editors sign in with it. */
  password?: string;
  /** config preview.editors: editors sign in with a name and password. */
  editors?: readonly { name: string; passwordHash: string }[];
  /** EDITOR_TOKEN: scripts send it as a bearer token. */
  token?: string;
  /** The chrome's words for a browser's Accept-Language (the sign-in page speaks it). */
  text?: (acceptLanguage: string | undefined) => ChromeText;
  /** config http.trustProxy: the client's address for sign-in limits comes from X-Forwarded-For. */
  trustProxy: boolean;
  clock: Clock;
  logger: Logger;
}

/** Headers for every answer: no framing by other sites, no sniffing, no caching of readers' data. */
const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('X-Frame-Options', 'SAMEORIGIN');
  // A route may set a stricter policy of its own (the email's frame: sandboxed, no scripts).
  if (!c.res.headers.has('Content-Security-Policy')) c.header('Content-Security-Policy', "frame-ancestors 'self'");
  c.header('X-Content-Type-Options', 'nosniff');
  // The preview's URLs name readers (?reader=EMAIL): keep them off the sites its links lead to.
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
};

/**
 * Everything that stands between a request and the preview's routes, in order (call before adding
 * any route):
 *   1. Host is one of ours (DNS rebinding), else 421: hosts.ts
 *   2. security headers on every answer
 *   3. body at most MAX_BODY_BYTES, else 413
 *   4. with a password: signed in, else the sign-in page (303) or 401: sign-in.ts
 *   5. state-changing requests from our own page with its token, else 403: same-origin.ts
 */
export function guardPreview(web: Hono<PreviewEnv>, options: AccessOptions): void {
  const tokens = new FormTokens();
  web.use('*', hostGuard(allowedHostNames(options.allowedHosts, options.bindHost)));
  web.use('*', securityHeaders);
  web.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text('Request body too large.\n', 413) }));
  const editors = options.editors ?? [];
  const signIn =
    options.password || editors.length > 0 || options.token
      ? new SignIn({ password: options.password, editors, token: options.token, clock: options.clock, logger: options.logger, trustProxy: options.trustProxy, text: options.text })
      : undefined;
  web.use(
    '*',
    signIn?.session() ??
      (async (c, next) => {
        c.set('session', '');
        c.set('editor', 'loopback');
        await next();
      }),
  );
  web.use('*', async (c, next) => {
    c.set('csrf', tokens.for(c.get('session')));
    await next();
  });
  web.use('*', sameOrigin());
  signIn?.routes(web);
}
