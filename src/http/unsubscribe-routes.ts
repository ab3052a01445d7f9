import type { Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { page } from './pages.js';
import { badLink, checkToken, readFields, smallBody, type HttpDeps } from './common.js';

/**
 *   GET  /u/:token   confirmation page with a button; changes nothing (link scanners follow GETs)
 *   POST /u/:token   RFC 8058 one-click (List-Unsubscribe=One-Click) or the page's button: 200, no redirect
 */
export function unsubscribeRoutes(app: Hono, deps: HttpDeps): void {
  const { store, config, clock, logger } = deps;
  const nameOf = (id: string) => config.newsletters.find((n) => n.id === id)?.name ?? id;

  app.get('/u/:token', (c) => {
    const v = checkToken(deps, c.req.param('token'), 'unsubscribe');
    if (!v.ok) return badLink(c, v.reason);
    const name = escapeHtml(nameOf(v.payload.n));
    return c.html(
      page(
        `Unsubscribe from ${nameOf(v.payload.n)}`,
        `<h1>Unsubscribe from ${name}?</h1>
<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>
<p class="muted">You will get no further issues of ${name}.</p>`,
      ),
    );
  });

  app.post('/u/:token', smallBody, async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'unsubscribe');
    if (!v.ok) return badLink(c, v.reason);
    const fields = await readFields(c);
    const oneClick = fields['List-Unsubscribe'] === 'One-Click';
    if (!oneClick && fields.confirm !== 'yes') {
      return c.text('POST List-Unsubscribe=One-Click (RFC 8058) or use the button on the page', 400);
    }
    const { s: subscriberId, n: newsletterId } = v.payload;
    const current = await store.getSubscription(subscriberId, newsletterId);
    if (current && (current.state === 'consent' || current.state === 'pending')) {
      const now = clock.now().toISOString();
      await store.appendConsentEvent({ subscriberId, newsletterId, kind: 'withdrawn', at: now, source: oneClick ? 'one-click' : 'unsubscribe-page' }, now);
      logger.info('reader unsubscribed', { newsletter: newsletterId, subscriber: subscriberId, channel: oneClick ? 'one-click' : 'page' });
    }
    return c.html(page('Unsubscribed', `<h1>You are unsubscribed</h1><p>You will get no further issues of ${escapeHtml(nameOf(newsletterId))}.</p>`), 200);
  });
}
