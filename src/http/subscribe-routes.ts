import { recordConsent } from '../audience/consent-events.js';
import type { Context, Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { readTemplateFiles, type TemplateFiles } from '../render/template-files.js';
import { acceptedLanguages } from '../domain/accept-language.js';
import { checkSubscription, requestSubscription } from '../audience/subscribe.js';
import { addressKey, withoutAddresses } from '../audience/email.js';
import type { AfterResponse } from './after-response.js';
import { clientKey, RateLimiter } from './rate-limit.js';
import { badLink, checkToken, clientIp, field, list, pageFor, readFields, smallBody, wantsJson, type HttpDeps } from './common.js';
import type { PageLanguages, PageText } from './page-language.js';

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
export function subscribeRoutes(app: Hono, deps: HttpDeps, after: AfterResponse, languages: PageLanguages): void {
  const { store, config, clock, logger, transport } = deps;
  const trustProxy = config.http.trustProxy;
  const perClient = new RateLimiter(10, HOUR);
  const perAddress = new RateLimiter(3, 24 * HOUR);
  // The confirmation mail's template, read at the first sign-up that needs it rather than at
  // each one (as the archive, template edits show after a restart; the preview re-reads them).
  const templates = new Map<string, TemplateFiles>();
  const templateFiles = (name: string) => {
    let files = templates.get(name);
    if (!files) templates.set(name, (files = readTemplateFiles(config.paths.templates, name)));
    return files;
  };
  const accepted = 'Thank you. If this address can subscribe, a confirmation email is on its way: open it and confirm.';
  // The form is not yet about one newsletter: the first one's languages answer the browser's.
  const browserText = (c: Context) => languages.browser(c);
  const readerText = async (c: Context, subscriberId: number, newsletterId: string) => languages.reader(c, newsletterId, (await store.getSubscriber(subscriberId))?.locale);

  app.get('/subscribe', (c) => {
    const text = browserText(c);
    const options = config.newsletters.map((n) => `<option value="${escapeHtml(n.id)}">${escapeHtml(n.name)}</option>`).join('');
    // The chosen language goes with the sign-up, so the confirmation mail speaks it too.
    return c.html(
      pageFor(
        text,
        text.t('page_subscribe_title'),
        `<form method="post">
  <input type="hidden" name="locale" value="${escapeHtml(text.lang)}">
  <p><label>${escapeHtml(text.t('page_subscribe_newsletter'))} <select name="newsletter">${options}</select></label></p>
  <p><label>${escapeHtml(text.t('page_subscribe_email'))} <input type="email" name="email" required maxlength="254" autocomplete="email"></label></p>
  <p><label>${escapeHtml(text.t('page_subscribe_name'))} <input type="text" name="name" maxlength="200" autocomplete="name"></label></p>
  <p><button type="submit">${escapeHtml(text.t('page_subscribe_button'))}</button></p>
</form>
<p class="muted">${escapeHtml(text.t('page_subscribe_note'))}</p>`,
      ),
    );
  });

  app.post('/subscribe', smallBody(languages), async (c) => {
    const json = wantsJson(c);
    const now = clock.now();
    if (!perClient.take(clientKey(clientIp(c, trustProxy)), now.getTime())) {
      const text = browserText(c);
      return json ? c.json({ error: 'too many requests; try again later' }, 429) : c.html(pageFor(text, text.t('page_too_many_title'), `<p>${escapeHtml(text.t('page_too_many_body'))}</p>`), 429);
    }
    const fields = await readFields(c);
    const newsletter = config.newsletters.find((n) => n.id === (field(fields, 'newsletter') || config.newsletters[0]!.id));
    if (!newsletter) {
      const text = browserText(c);
      return json ? c.json({ error: 'unknown newsletter' }, 400) : c.html(pageFor(text, text.t('page_unknown_newsletter'), ''), 400);
    }
    const text = languages.for(c, newsletter, { explicit: field(fields, 'locale') });
    const checked = checkSubscription({
      email: field(fields, 'email'),
      name: field(fields, 'name'),
      // A JSON client that names no language: the browser's first choice, kept as the reader's own tag (the mail negotiates it).
      locale: field(fields, 'locale') || acceptedLanguages(c.req.header('accept-language')).find((tag) => tag !== '*'),
      timezone: field(fields, 'timezone'),
      topics: list(fields, 'topics'),
      ip: clientIp(c, trustProxy),
      userAgent: c.req.header('user-agent'),
    });
    if (checked.kind === 'invalid') {
      const said = checked.field === 'email' ? text.t('page_form_error_email') : checked.message;
      return json ? c.json({ error: checked.message, field: checked.field }, 400) : c.html(pageFor(text, text.t('page_form_error_title'), `<p>${escapeHtml(said)}</p>`), 400);
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
            files: templateFiles(newsletter.template),
            publicUrl: config.publicUrl,
            secret: config.secrets[0]!,
            allowAddress: (email) => perAddress.take(addressKey(email), now.getTime()),
            events: deps.events,
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
    // The same words for everyone (the browser's language), so the answer tells nothing about the address.
    return json
      ? c.json({ status: 'check-your-inbox', message: accepted }, 202)
      : c.html(pageFor(text, text.t('page_check_inbox_title'), `<p>${escapeHtml(text.t('page_check_inbox_body'))}</p>`), 202);
  });

  /** Only the pending sign-up a link was made for can be confirmed (its time is in the token). */
  const staleLink = (c: Context, text: PageText) => c.html(pageFor(text, text.t('page_stale_title'), `<p>${escapeHtml(text.t('page_stale_body'))}</p>`), 400);
  const alreadySubscribed = (c: Context, text: PageText, newsletter: string) =>
    c.html(pageFor(text, text.t('page_already_subscribed', { newsletter }), `<p>${escapeHtml(text.t('page_nothing_changed'))}</p>`));

  app.get('/c/:token', async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'confirm');
    if (!v.ok) return badLink(c, v.reason, browserText(c));
    const current = await store.getSubscription(v.payload.s, v.payload.n);
    const text = await readerText(c, v.payload.s, v.payload.n);
    const name = config.newsletters.find((n) => n.id === v.payload.n)?.name ?? v.payload.n;
    if (current?.state === 'consent') return alreadySubscribed(c, text, name);
    if (current?.state !== 'pending' || current.stateAt !== v.payload.w) return staleLink(c, text);
    return c.html(pageFor(text, text.t('page_confirm_title', { newsletter: name }), `<form method="post"><button type="submit">${escapeHtml(text.t('page_confirm_button'))}</button></form>`));
  });

  app.post('/c/:token', smallBody(languages), async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'confirm');
    if (!v.ok) return badLink(c, v.reason, browserText(c));
    const { s: subscriberId, n: newsletterId, w: signedUpAt } = v.payload;
    const newsletter = config.newsletters.find((n) => n.id === newsletterId);
    const current = await store.getSubscription(subscriberId, newsletterId);
    const text = await readerText(c, subscriberId, newsletterId);
    const name = newsletter?.name ?? newsletterId;
    if (current?.state === 'consent') return alreadySubscribed(c, text, name);
    // Only the pending sign-up this link was made for can be confirmed: a link cannot undo a
    // later unsubscribe or bounce, nor confirm a newer sign-up (whose own link was mailed).
    if (!newsletter || current?.state !== 'pending' || current.stateAt !== signedUpAt) return staleLink(c, text);
    const now = clock.now().toISOString();
    await recordConsent(
      store,
      deps.events,
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
    if (newsletter.welcome.enabled) {
      // Through the outbox, like any delivery: the running service's loop sends it within a minute.
      const welcome = await store.queueWelcome(subscriberId, newsletterId, now);
      logger.info(welcome.outcome === 'queued' ? 'welcome mail queued' : `no welcome mail: ${welcome.outcome}`, { newsletter: newsletterId, subscriber: subscriberId });
    }
    return c.html(pageFor(text, text.t('page_subscribed_title', { newsletter: name }), `<p>${escapeHtml(text.t('page_subscribed_body'))}</p>`));
  });
}
