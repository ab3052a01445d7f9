import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

/** What the preview's middleware leaves for its routes. */
export interface PreviewEnv {
  Variables: {
    /** The same-origin token to embed in the page's forms (field `csrf`, or header X-CSRF-Token). */
    csrf: string;
    /** The signed-in session's id; '' when the preview has no password or nobody is signed in. */
    session: string;
    /**
     * Who is acting, for the edit log: the signed-in editor's name (preview.editors), "editor"
     * (preview.password), "token" (EDITOR_TOKEN), or "loopback" when the preview is open on loopback.
     */
    editor: string;
    /** The request came with the right EDITOR_TOKEN (no cookie: nothing for a forged request to ride on). */
    bearer: boolean;
  };
}

/** Compares two secrets in time that does not depend on where they differ (nor on their lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Same-origin tokens: random per process (never written anywhere), and bound to the signed-in
 * session when there is one, so a token read before signing in is no use after.
 */
export class FormTokens {
  private readonly key = randomBytes(32);

  for(session: string): string {
    return createHmac('sha256', this.key).update(`csrf\0${session}`).digest('base64url');
  }
}

/** The origin (scheme://host[:port]) of an Origin or Referer value, undefined when there is none. */
function originOf(value: string | undefined): URL | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Whether the browser says the request comes from a page of this very host. The scheme is not
 * compared (a TLS proxy in front speaks http to us), the host and port are, default ports
 * normalised the way the browser's own scheme does.
 */
function fromOwnPage(c: Context): boolean {
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  const from = originOf(c.req.header('origin')) ?? (c.req.header('origin') === undefined ? originOf(c.req.header('referer')) : undefined);
  if (!from || (from.protocol !== 'http:' && from.protocol !== 'https:')) return false;
  try {
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

async function tokenOf(c: Context): Promise<string> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return '';
  try {
    const value = (await c.req.parseBody()).csrf;
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/**
 * Cross-site request forgery guard for every state-changing request (anything but GET and HEAD):
 * the browser must say it comes from this host (Origin, or Referer when a browser leaves Origin
 * out; Sec-Fetch-Site when sent), and the page's token must come with it. Cross-site loads of
 * anything but a plain navigation are refused too, so no other site embeds or fetches the preview.
 */
export function sameOrigin(): MiddlewareHandler<PreviewEnv> {
  return async (c, next) => {
    const site = c.req.header('sec-fetch-site');
    const changes = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    if (!changes) {
      const navigation = c.req.header('sec-fetch-mode') === 'navigate' && (c.req.header('sec-fetch-dest') ?? 'document') === 'document';
      if (site === 'cross-site' && !navigation) return c.text('Refused: another site cannot load the preview.\n', 403);
      return next();
    }
    if (c.get('bearer')) return next();
    if (site === 'cross-site' || site === 'same-site') return c.text('Refused: this form can only be sent from the preview itself.\n', 403);
    if (!fromOwnPage(c)) return c.text('Refused: the request does not come from a preview page (Origin). Reload the preview and try again.\n', 403);
    if (!sameSecret(await tokenOf(c), c.get('csrf'))) return c.text('Refused: the page is out of date (missing or wrong form token). Reload the preview and try again.\n', 403);
    await next();
  };
}
