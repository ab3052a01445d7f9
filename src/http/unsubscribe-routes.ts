import { recordConsent } from '../audience/consent-events.js';
import type { Context, Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { badLink, checkToken, pageFor, readFields, smallBody, type HttpDeps } from './common.js';
import type { PageLanguages } from './page-language.js';

/**
 *   GET  /u/:token   confirmation page with a button; changes nothing (link scanners follow GETs)
 *   POST /u/:token   RFC 8058 one-click (List-Unsubscribe=One-Click) or the page's button: 200, no redirect
 * Both in the reader's language (the token's subscriber), right to left where due.
 */
export function unsubscribeRoutes(app: Hono, deps: HttpDeps, languages: PageLanguages): void {
  const { store, config, clock, logger } = deps;
  const nameOf = (id: string) => config.newsletters.find((n) => n.id === id)?.name ?? id;
  const readerText = async (c: Context, subscriberId: number, newsletterId: string) => languages.reader(c, newsletterId, (await store.getSubscriber(subscriberId))?.locale);

  app.get('/u/:token', async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'unsubscribe');
    if (!v.ok) return badLink(c, v.reason, languages.browser(c));
    const text = await readerText(c, v.payload.s, v.payload.n);
    const newsletter = nameOf(v.payload.n);
    return c.html(
      pageFor(
        text,
        text.t('page_unsubscribe_title', { newsletter }),
        `<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">${escapeHtml(text.t('page_unsubscribe_button'))}</button></form>
<p class="muted">${escapeHtml(text.t('page_unsubscribe_note', { newsletter }))}</p>`,
      ),
    );
  });

  app.post('/u/:token', smallBody(languages), async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'unsubscribe');
    if (!v.ok) return badLink(c, v.reason, languages.browser(c));
    const fields = await readFields(c);
    const oneClick = fields['List-Unsubscribe'] === 'One-Click';
    if (!oneClick && fields.confirm !== 'yes') {
      return c.text('POST List-Unsubscribe=One-Click (RFC 8058) or use the button on the page', 400);
    }
    const { s: subscriberId, n: newsletterId } = v.payload;
    const current = await store.getSubscription(subscriberId, newsletterId);
    if (current && (current.state === 'consent' || current.state === 'pending')) {
      const now = clock.now().toISOString();
      await recordConsent(store, deps.events, { subscriberId, newsletterId, kind: 'withdrawn', at: now, source: oneClick ? 'one-click' : 'unsubscribe-page' }, now);
      logger.info('reader unsubscribed', { newsletter: newsletterId, subscriber: subscriberId, channel: oneClick ? 'one-click' : 'page' });
    }
    const text = await readerText(c, subscriberId, newsletterId);
    return c.html(pageFor(text, text.t('page_unsubscribed_title'), `<p>${escapeHtml(text.t('page_unsubscribe_note', { newsletter: nameOf(newsletterId) }))}</p>`), 200);
  });
}
