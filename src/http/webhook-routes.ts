import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { takeReport } from '../bounces/intake.js';
import { MAX_BODY_BYTES, verifyMailgun, verifyPostmark, verifySendGrid, verifySes, type WebhookAccepted, type WebhookProvider, type WebhookRefused } from '../bounces/webhooks/index.js';
import { intakeDeps } from '../service/bounce-intake.js';
import type { HttpDeps } from './common.js';

export interface WebhookOptions {
  /** Fetches a URL's body as text without following redirects (SNS certificates and subscription confirmations); tests pass their own. */
  fetchText?: (url: string) => Promise<string>;
}

/** The real fetch: https only (the verifiers allow nothing else), no redirects, 5 s, 64 KiB. */
async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${res.status} from ${new URL(url).host}`);
  const text = await res.text();
  if (text.length > 64 * 1024) throw new Error(`answer from ${new URL(url).host} too large`);
  return text;
}

/**
 *   POST /webhooks/ses        Amazon SES events through SNS (SNS signature, topic allow-list; confirms the subscription)
 *   POST /webhooks/postmark   Postmark bounce and spam-complaint webhooks (HTTP Basic auth in the URL)
 *   POST /webhooks/sendgrid   SendGrid signed event webhook (ECDSA P-256)
 *   POST /webhooks/mailgun    Mailgun webhooks (HMAC; each token taken once)
 * Only the providers configured under bounces.webhooks answer; the others are 404. A request
 * that fails verification is 401 and changes nothing (the reason goes to the log, not to the
 * caller); a verified one is taken by the intake (bounces/intake.ts), which records each event
 * once: a provider's retry of the same event changes nothing. A store error is 500, so the
 * provider retries later.
 */
export function webhookRoutes(app: Hono, deps: HttpDeps, options: WebhookOptions = {}): void {
  const { config, clock, logger } = deps;
  const hooks = config.bounces.webhooks;
  const get = options.fetchText ?? fetchText;
  const certificates = new Map<string, Promise<string>>();
  // Mailgun signs only timestamp + token: a token seen once is refused after (until it expires).
  const seenTokens = new Map<string, number>();
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text('request body too large', 413) });

  const take = async (c: Context, provider: WebhookProvider, result: WebhookAccepted | WebhookRefused) => {
    if (!result.ok) {
      logger.warn('webhook refused', { provider, reason: result.reason });
      return c.text('not verified', 401);
    }
    const now = clock.now();
    const intake = intakeDeps(deps);
    let taken = 0;
    for (const report of result.reports) if ((await takeReport(intake, report, now)).recorded) taken++;
    if (result.ignored.length) logger.info('webhook events without a report', { provider, ignored: result.ignored.slice(0, 20) });
    return c.json({ received: result.reports.length, taken });
  };
  const input = async <S>(c: Context, secrets: S) => ({
    headers: Object.fromEntries([...c.req.raw.headers].map(([k, v]) => [k.toLowerCase(), v])),
    body: await c.req.text(),
    now: clock.now(),
    secrets,
  });

  app.post('/webhooks/ses', limit, async (c) => {
    if (!hooks.ses) return c.notFound();
    const result = await verifySes(await input(c, { topics: hooks.ses.topics }), {
      getCertificate: (url) => {
        let cert = certificates.get(url);
        if (!cert) {
          if (certificates.size > 50) certificates.clear();
          cert = get(url);
          certificates.set(url, cert);
          cert.catch(() => certificates.delete(url));
        }
        return cert;
      },
    });
    if (result.ok && result.subscribeUrl) {
      // SNS waits for this GET before it sends anything; the verifier checked it is SNS's own URL.
      try {
        await get(result.subscribeUrl);
        logger.info('SNS subscription confirmed', { provider: 'ses' });
      } catch (e) {
        logger.error('SNS subscription confirmation failed; SNS will send it again', { error: (e as Error).message });
        return c.text('confirmation failed', 502);
      }
    }
    return take(c, 'ses', result);
  });

  app.post('/webhooks/postmark', limit, async (c) => {
    if (!hooks.postmark) return c.notFound();
    return take(c, 'postmark', verifyPostmark(await input(c, { username: hooks.postmark.username, password: config.bounceSecrets.postmarkPassword ?? '' })));
  });

  app.post('/webhooks/sendgrid', limit, async (c) => {
    if (!hooks.sendgrid) return c.notFound();
    return take(c, 'sendgrid', verifySendGrid(await input(c, { publicKey: hooks.sendgrid.publicKey })));
  });

  app.post('/webhooks/mailgun', limit, async (c) => {
    if (!hooks.mailgun) return c.notFound();
    const result = verifyMailgun(await input(c, { signingKey: config.bounceSecrets.mailgunSigningKey ?? '' }));
    if (!result.ok) return take(c, 'mailgun', result);
    const now = clock.now().getTime();
    for (const [token, until] of seenTokens) if (until < now) seenTokens.delete(token);
    if (seenTokens.has(result.replayKey)) return take(c, 'mailgun', { ok: false, reason: 'token already used (a replayed request)' });
    // Remembered once taken: a request that failed on our side (500) is retried by Mailgun with the same token.
    const answer = await take(c, 'mailgun', result);
    if (seenTokens.size < 100_000) seenTokens.set(result.replayKey, Date.parse(result.replayKeyExpiresAt));
    return answer;
  });
}
