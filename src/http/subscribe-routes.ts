import type { Context, Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { readTemplateFiles } from '../render/template-files.js';
import { checkSubscription, requestSubscription } from '../audience/subscribe.js';
import { addressKey, withoutAddresses } from '../audience/email.js';
import type { AfterResponse } from './after-response.js';
import { clientKey, RateLimiter } from './rate-limit.js';
import { page } from './pages.js';
import { badLink, checkToken, clientIp, field, list, readFields, smallBody, wantsJson, type HttpDeps } from './common.js';

const HOUR = 3_600_000;

/**
 * Double opt-in:
 *   GET  /subscribe              a plain sign-up form
 *   POST /subscribe              form or JSON {email, name?, locale?, timezone?, topics?, newsletter?}:
 *                                records a pending consent and mails a confirmation link; the answer is
 *                                the same whether or not the address was known (202)
 *   GET  /c/:token               confirmation page with a button (scanners change nothing)
 *   POST /c/:token               records the confirmed consent
 * Limits: 10 sign-ups an hour per client (an IPv4 address, an IPv6 /64; see common.ts clientIp
 * for `http.trustProxy`), 3 confirmation mails a day per mailbox (audience/email.ts addressKey).
 */
export function subscribeRoutes(app: Hono, deps: HttpDeps, after: AfterResponse): void {
  const { store, config, clock, logger, transport } = deps;
  const trustProxy = config.http.trustProxy;
  const perClient = new RateLimiter(10, HOUR);
  const perAddress = new RateLimiter(3, 24 * HOUR);
  const accepted = 'Thank you. If this address can subscribe, a confirmation email is on its way: open it and confirm.';

  app.get('/subscribe', (c) => {
    const options = config.newsletters.map((n) => `<option value="${escapeHtml(n.id)}">${escapeHtml(n.name)}</option>`).join('');
    return c.html(
      page(
        'Subscribe',
        `<h1>Subscribe</h1>
<form method="post">
  <p><label>Newsletter <select name="newsletter">${options}</select></label></p>
  <p><label>Email <input type="email" name="email" required maxlength="254"></label></p>
  <p><label>Name <input name="name" maxlength="200"></label></p>
  <p><button type="submit">Subscribe</button></p>
</form>
<p class="muted">We will send you one email to confirm. Nothing else until you do.</p>`,
      ),
    );
  });

  app.post('/subscribe', smallBody, async (c) => {
    const json = wantsJson(c);
    const now = clock.now();
    if (!perClient.take(clientKey(clientIp(c, trustProxy)), now.getTime())) {
      return json ? c.json({ error: 'too many requests; try again later' }, 429) : c.html(page('Too many requests', '<h1>Too many requests</h1><p>Please try again later.</p>'), 429);
    }
    const fields = await readFields(c);
    const newsletter = config.newsletters.find((n) => n.id === (field(fields, 'newsletter') || config.newsletters[0]!.id));
    if (!newsletter) return json ? c.json({ error: 'unknown newsletter' }, 400) : c.html(page('Unknown newsletter', '<h1>Unknown newsletter</h1>'), 400);
    const checked = checkSubscription({
      email: field(fields, 'email'),
      name: field(fields, 'name'),
      locale: field(fields, 'locale') || c.req.header('accept-language')?.split(',')[0]?.split(';')[0]?.trim(),
      timezone: field(fields, 'timezone'),
      topics: list(fields, 'topics'),
      ip: clientIp(c, trustProxy),
      userAgent: c.req.header('user-agent'),
    });
    if (checked.kind === 'invalid') {
      return json ? c.json({ error: checked.message, field: checked.field }, 400) : c.html(page('Please check the form', `<h1>Please check the form</h1><p>${escapeHtml(checked.message)}</p>`), 400);
    }
    // Everything that depends on the address (known or not, mailed or not, relay up or down)
    // happens after the answer, which is therefore the same, and as quick, in every case.
    after.run(async () => {
      try {
        const outcome = await requestSubscription(
          {
            store,
            transport,
            logger,
            files: readTemplateFiles(config.paths.templates, newsletter.template),
            publicUrl: config.publicUrl,
            secret: config.secrets[0]!,
            allowAddress: (email) => perAddress.take(addressKey(email), now.getTime()),
          },
          newsletter,
          checked.request,
          now,
        );
        logger.info('sign-up handled', { newsletter: newsletter.id, outcome: outcome.why });
      } catch (e) {
        // Never the address: the log is not the place for it, and a relay's reply often quotes it.
        logger.warn('a sign-up could not be completed (the reader was told to check their inbox)', { newsletter: newsletter.id, error: withoutAddresses(String((e as Error)?.message ?? e)) });
      }
    });
    return json ? c.json({ status: 'check-your-inbox', message: accepted }, 202) : c.html(page('Check your inbox', `<h1>Check your inbox</h1><p>${accepted}</p>`), 202);
  });

  /** Only the pending sign-up a link was made for can be confirmed (its time is in the token). */
  const staleLink = (c: Context) => c.html(page('Link no longer valid', '<h1>This link is no longer valid</h1><p>Nothing was changed. Subscribe again if you wish.</p>'), 400);

  app.get('/c/:token', async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'confirm');
    if (!v.ok) return badLink(c, v.reason);
    const current = await store.getSubscription(v.payload.s, v.payload.n);
    const name = escapeHtml(config.newsletters.find((n) => n.id === v.payload.n)?.name ?? v.payload.n);
    if (current?.state === 'consent') return c.html(page('Already confirmed', `<h1>You are already subscribed to ${name}</h1><p>Nothing was changed.</p>`));
    if (current?.state !== 'pending' || current.stateAt !== v.payload.w) return staleLink(c);
    return c.html(page('Confirm your subscription', `<h1>Confirm your subscription to ${name}</h1><form method="post"><button type="submit">Confirm</button></form>`));
  });

  app.post('/c/:token', smallBody, async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'confirm');
    if (!v.ok) return badLink(c, v.reason);
    const { s: subscriberId, n: newsletterId, w: signedUpAt } = v.payload;
    const newsletter = config.newsletters.find((n) => n.id === newsletterId);
    const current = await store.getSubscription(subscriberId, newsletterId);
    const name = escapeHtml(newsletter?.name ?? newsletterId);
    if (current?.state === 'consent') return c.html(page('Already confirmed', `<h1>You are already subscribed to ${name}</h1><p>Nothing was changed.</p>`));
    // Only the pending sign-up this link was made for can be confirmed: a link cannot undo a
    // later unsubscribe or bounce, nor confirm a newer sign-up (whose own link was mailed).
    if (!newsletter || current?.state !== 'pending' || current.stateAt !== signedUpAt) return staleLink(c);
    const now = clock.now().toISOString();
    await store.appendConsentEvent(
      {
        subscriberId,
        newsletterId,
        kind: 'consent',
        at: now,
        source: 'double-opt-in',
        ip: clientIp(c, trustProxy),
        userAgent: c.req.header('user-agent')?.slice(0, 300),
        wording: newsletter.consentWording,
      },
      now,
    );
    logger.info('subscription confirmed', { newsletter: newsletterId, subscriber: subscriberId });
    return c.html(page('Subscribed', `<h1>You are subscribed to ${name}</h1><p>The next issue will come to your inbox.</p>`));
  });
}
