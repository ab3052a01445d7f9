import { randomBytes } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { escapeHtml as e } from '../domain/html.js';
import { shell, tokenField } from './page.js';
import { sameSecret, type PreviewEnv } from './same-origin.js';

const COOKIE = 'preview_session';
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Wrong passwords a client may type in a window before it has to wait for the window to end. */
export const SIGN_IN_ATTEMPTS = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

export interface SignInOptions {
  password: string;
  clock: Clock;
  logger: Logger;
  /** Take the client's address from X-Forwarded-For's last hop (config http.trustProxy). */
  trustProxy: boolean;
}

/** Signed-in sessions, in this process's memory: a restart signs everyone out. */
class Sessions {
  private readonly expiry = new Map<string, number>();

  open(nowMs: number): string {
    for (const [id, until] of this.expiry) if (until <= nowMs) this.expiry.delete(id);
    const id = randomBytes(32).toString('base64url');
    this.expiry.set(id, nowMs + SESSION_MS);
    return id;
  }

  /** The id when it names a live session, else ''. */
  check(id: string | undefined, nowMs: number): string {
    const until = id ? this.expiry.get(id) : undefined;
    return id && until !== undefined && until > nowMs ? id : '';
  }

  close(id: string): void {
    this.expiry.delete(id);
  }
}

/** Wrong passwords per client in a fixed window. */
class FailedSignIns {
  private readonly failures = new Map<string, { since: number; count: number }>();

  /** Milliseconds the client must still wait, or 0. */
  wait(client: string, nowMs: number): number {
    const f = this.failures.get(client);
    if (!f || nowMs - f.since >= SIGN_IN_WINDOW_MS) return 0;
    return f.count >= SIGN_IN_ATTEMPTS ? f.since + SIGN_IN_WINDOW_MS - nowMs : 0;
  }

  fail(client: string, nowMs: number): void {
    const f = this.failures.get(client);
    if (f && nowMs - f.since < SIGN_IN_WINDOW_MS) {
      f.count++;
      return;
    }
    this.failures.delete(client);
    if (this.failures.size >= MAX_CLIENTS) {
      for (const [k, v] of this.failures) if (nowMs - v.since >= SIGN_IN_WINDOW_MS) this.failures.delete(k);
      // Still full (a flood from many addresses): forget the oldest rather than grow without end.
      for (const k of this.failures.keys()) {
        if (this.failures.size < MAX_CLIENTS) break;
        this.failures.delete(k);
      }
    }
    this.failures.set(client, { since: nowMs, count: 1 });
  }
}

const MAX_CLIENTS = 10_000;

/**
 * Whom a failure counts against: an IPv4 address, or an IPv6 address's /64 (one host is
 * commonly given a whole /64, so counting single addresses would not limit it).
 */
export function clientKey(address: string): string {
  const a = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/** The peer's address, or behind a trusted proxy the address the proxy saw. */
function clientOf(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for')?.split(',').pop()?.trim() : undefined;
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return clientKey(forwarded || (incoming?.socket?.remoteAddress ?? 'unknown'));
}

/** The browser speaks https to us or to the proxy in front (its Origin says so): the cookie is then Secure. */
function overHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  const origin = c.req.header('origin') ?? c.req.header('referer') ?? '';
  return origin.startsWith('https://');
}

/** Where to go after signing in: a path of the preview only, never another site (`//evil`, `/\evil`). */
function localPath(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/';
}

function signInPage(csrf: string, next: string, problem?: string): string {
  return shell(
    'Preview: sign in',
    `<main><h2>Sign in to the editor preview</h2>${problem ? `<p class="error" id="problem">${e(problem)}</p>` : ''}
<form method="post" action="/sign-in">${tokenField(csrf)}<input type="hidden" name="next" value="${e(next)}">
<label>Password <input type="password" name="password" autocomplete="current-password" required autofocus></label> <button>Sign in</button></form>
<p class="muted">The password is the service's preview.password (or PREVIEW_PASSWORD).</p></main>`,
    { liveReload: false },
  );
}

/**
 * The preview behind a password: `session()` reads the session cookie (for the same-origin token)
 * and lets no one further than the sign-in page before signing in; `routes()` adds
 *   GET  /sign-in    the form
 *   POST /sign-in    checks the password (constant time; failures limited per client), sets the cookie
 *   POST /sign-out   ends the session
 * The password and the session id are never logged.
 */
export class SignIn {
  private readonly sessions = new Sessions();
  private readonly failures = new FailedSignIns();

  constructor(private readonly options: SignInOptions) {}

  /** Sets `session`, and keeps whoever has none out of everything but the sign-in page. */
  session(): MiddlewareHandler<PreviewEnv> {
    return async (c, next) => {
      const session = this.sessions.check(getCookie(c, COOKIE), this.options.clock.now().getTime());
      c.set('session', session);
      if (session || c.req.path === '/sign-in') return next();
      const wantsPage = (c.req.method === 'GET' || c.req.method === 'HEAD') && (c.req.header('accept') ?? '').includes('text/html');
      if (wantsPage) {
        const url = new URL(c.req.url);
        return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      return c.text('Sign in to the preview first (/sign-in).\n', 401);
    };
  }

  routes(web: Hono<PreviewEnv>): void {
    const { clock, logger, password, trustProxy } = this.options;

    web.get('/sign-in', (c) => c.html(signInPage(c.get('csrf'), localPath(c.req.query('next')))));

    web.post('/sign-in', async (c) => {
      const client = clientOf(c, trustProxy);
      const now = clock.now().getTime();
      const body = await c.req.parseBody();
      const next = localPath(typeof body.next === 'string' ? body.next : undefined);
      const wait = this.failures.wait(client, now);
      if (wait > 0) {
        const minutes = Math.ceil(wait / 60_000);
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return c.html(signInPage(c.get('csrf'), next, `Too many wrong passwords from your address: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`), 429);
      }
      if (!sameSecret(typeof body.password === 'string' ? body.password : '', password)) {
        this.failures.fail(client, now);
        logger.warn('preview sign-in refused: wrong password', { client });
        return c.html(signInPage(c.get('csrf'), next, 'Wrong password.'), 401);
      }
      const id = this.sessions.open(now);
      setCookie(c, COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/', maxAge: SESSION_MS / 1000 });
      logger.info('preview sign-in', { client });
      return c.redirect(next, 303);
    });

    web.post('/sign-out', (c) => {
      this.sessions.close(c.get('session'));
      deleteCookie(c, COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: overHttps(c) });
      return c.redirect('/sign-in', 303);
    });
  }
}
