import { randomBytes } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { escapeHtml as e } from '../domain/html.js';
import { shell, tokenField } from './page.js';
import { sameSecret, type PreviewEnv } from './same-origin.js';
import { verifyPassword } from '../domain/password-hash.js';
import { ENGLISH, type ChromeText } from './chrome-text.js';

const COOKIE = 'preview_session';
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Wrong passwords a client may type in a window before it has to wait for the window to end. */
export const SIGN_IN_ATTEMPTS = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

export interface SignInOptions {
  /** preview.password: signs in as "editor". */
  password?: string;
  /** preview.editors: each signs in with name and password, and is recorded under the name. */
  editors: readonly { name: string; passwordHash: string }[];
  /** EDITOR_TOKEN: `Authorization: Bearer <token>` acts as "token", for scripts. */
  token?: string;
  clock: Clock;
  logger: Logger;
  /** Take the client's address from X-Forwarded-For's last hop (config http.trustProxy). */
  trustProxy: boolean;
  /** The page's words for a browser's Accept-Language; English when not given. */
  text?: (acceptLanguage: string | undefined) => ChromeText;
}

/** Signed-in sessions, in this process's memory: a restart signs everyone out. */
class Sessions {
  private readonly expiry = new Map<string, { until: number; editor: string }>();

  open(nowMs: number, editor: string): string {
    for (const [id, s] of this.expiry) if (s.until <= nowMs) this.expiry.delete(id);
    const id = randomBytes(32).toString('base64url');
    this.expiry.set(id, { until: nowMs + SESSION_MS, editor });
    return id;
  }

  /** The id and who signed in when it names a live session, else ''. */
  check(id: string | undefined, nowMs: number): { id: string; editor: string } {
    const s = id ? this.expiry.get(id) : undefined;
    return id && s && s.until > nowMs ? { id, editor: s.editor } : { id: '', editor: '' };
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

function signInPage(text: ChromeText, csrf: string, next: string, withName: boolean, problem?: string): string {
  const { t } = text;
  const name = withName ? `<label>${e(t('preview_sign_in_name'))} <input name="name" autocomplete="username" maxlength="64" autofocus></label> ` : '';
  return shell(
    t('preview_sign_in_title'),
    `<main><h1>${e(t('preview_sign_in_title'))}</h1>${problem ? `<p class="error" id="problem">${e(problem)}</p>` : ''}
<form method="post" action="/sign-in">${tokenField(csrf)}<input type="hidden" name="next" value="${e(next)}">
${name}<label>${e(t('preview_sign_in_password'))} <input type="password" name="password" autocomplete="current-password" required${withName ? '' : ' autofocus'}></label> <button>${e(t('preview_sign_in_button'))}</button></form>
<p class="muted">${e(t(withName ? 'preview_sign_in_hint_editors' : 'preview_sign_in_hint'))}</p></main>`,
    { liveReload: false, text },
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

  /** Who the name and password sign in as, or '' (an unknown name costs a hash check like a known one). */
  private async check(name: string, password: string): Promise<string> {
    const { editors, password: shared } = this.options;
    if (name && editors.length > 0) {
      const editor = editors.find((x) => x.name.trim().toLowerCase() === name.toLowerCase());
      return (await verifyPassword(password, editor?.passwordHash)) ? editor!.name : '';
    }
    if (!name && shared) return sameSecret(password, shared) ? 'editor' : '';
    if (editors.length > 0) await verifyPassword(password, undefined);
    return '';
  }

  /** Sets `session`, and keeps whoever has none out of everything but the sign-in page. */
  session(): MiddlewareHandler<PreviewEnv> {
    return async (c, next) => {
      const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
      if (bearer !== undefined) {
        // A script with EDITOR_TOKEN: no cookie, so nothing a browser sends on its own (no CSRF to fear).
        const client = clientOf(c, this.options.trustProxy);
        const now = this.options.clock.now().getTime();
        if (this.options.token && this.failures.wait(client, now) === 0 && sameSecret(bearer, this.options.token)) {
          c.set('session', '');
          c.set('editor', 'token');
          c.set('bearer', true);
          return next();
        }
        this.failures.fail(client, now);
        this.options.logger.warn('preview request refused: wrong or unknown bearer token', { client });
        return c.text('Wrong token.\n', 401);
      }
      const session = this.sessions.check(getCookie(c, COOKIE), this.options.clock.now().getTime());
      c.set('session', session.id);
      c.set('editor', session.editor);
      if (session.id || c.req.path === '/sign-in') return next();
      const wantsPage = (c.req.method === 'GET' || c.req.method === 'HEAD') && (c.req.header('accept') ?? '').includes('text/html');
      if (wantsPage) {
        const url = new URL(c.req.url);
        return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      return c.text('Sign in to the preview first (/sign-in).\n', 401);
    };
  }

  routes(web: Hono<PreviewEnv>): void {
    const { clock, logger, editors, trustProxy } = this.options;
    const withName = editors.length > 0;
    const textOf = (c: Context) => this.options.text?.(c.req.header('accept-language')) ?? ENGLISH;

    web.get('/sign-in', (c) => c.html(signInPage(textOf(c), c.get('csrf'), localPath(c.req.query('next')), withName)));

    web.post('/sign-in', async (c) => {
      const client = clientOf(c, trustProxy);
      const now = clock.now().getTime();
      const body = await c.req.parseBody();
      const next = localPath(typeof body.next === 'string' ? body.next : undefined);
      const wait = this.failures.wait(client, now);
      if (wait > 0) {
        const minutes = Math.ceil(wait / 60_000);
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return c.html(signInPage(textOf(c), c.get('csrf'), next, withName, textOf(c).t('preview_sign_in_wait', { minutes })), 429);
      }
      const given = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
      const name = typeof body.name === 'string' ? body.name.trim().slice(0, 64) : '';
      const editor = await this.check(name, given);
      if (!editor) {
        this.failures.fail(client, now);
        logger.warn('preview sign-in refused: wrong password (or name)', { client });
        return c.html(signInPage(textOf(c), c.get('csrf'), next, withName, textOf(c).t(withName ? 'preview_sign_in_wrong_name' : 'preview_sign_in_wrong')), 401);
      }
      const id = this.sessions.open(now, editor);
      setCookie(c, COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/', maxAge: SESSION_MS / 1000 });
      logger.info('preview sign-in', { client, editor });
      return c.redirect(next, 303);
    });

    web.post('/sign-out', (c) => {
      this.sessions.close(c.get('session'));
      deleteCookie(c, COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: overHttps(c) });
      return c.redirect('/sign-in', 303);
    });
  }
}
