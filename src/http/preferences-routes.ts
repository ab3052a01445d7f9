import { recordConsent } from '../audience/consent-events.js';
import type { Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { isValidLocaleTag } from '../domain/locale.js';
import { badLink, checkToken, clientIp, field, list, pageFor, readFields, smallBody, type HttpDeps } from './common.js';
import type { PageLanguages } from './page-language.js';

/**
 *   GET  /p/:token   the reader's preferences: language, topics, which newsletters
 *   POST /p/:token   saves them (action=save), or withdraws from every newsletter (action=unsubscribe-all)
 */
export function preferencesRoutes(app: Hono, deps: HttpDeps, languages: PageLanguages): void {
  const { store, config, clock, logger } = deps;

  app.get('/p/:token', async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'preferences');
    if (!v.ok) return badLink(c, v.reason, languages.browser(c));
    const sub = await store.getSubscriber(v.payload.s);
    if (!sub) return badLink(c, 'bad-signature', languages.browser(c));
    const states = new Map((await store.subscriptionsOf(sub.id)).map((x) => [x.newsletterId, x.state]));
    const newsletter = config.newsletters.find((n) => n.id === v.payload.n) ?? config.newsletters[0]!;
    const text = languages.reader(c, newsletter.id, sub.locale);
    // Each language named in itself, marked as such, so a reader finds theirs whatever the page's.
    const choices = newsletter.locales.supported
      .map(
        (l) =>
          `<option value="${escapeHtml(l)}" lang="${escapeHtml(l)}"${sub.locale.toLowerCase().startsWith(l.toLowerCase()) ? ' selected' : ''}>${escapeHtml(new Intl.DisplayNames([l], { type: 'language' }).of(l) ?? l)}</option>`,
      )
      .join('');
    const boxes = config.newsletters
      .map((n) => `<p><label><input type="checkbox" name="newsletters" value="${escapeHtml(n.id)}"${states.get(n.id) === 'consent' ? ' checked' : ''}> ${escapeHtml(n.name)}</label></p>`)
      .join('');
    return c.html(
      pageFor(
        text,
        text.t('page_prefs_title'),
        `<p class="muted">${escapeHtml(sub.email)}</p>
<form method="post">
  <input type="hidden" name="action" value="save">
  <p><label>${escapeHtml(text.t('page_prefs_language'))} <select name="locale">${choices}</select></label></p>
  <p><label>${escapeHtml(text.t('page_prefs_topics'))} <input type="text" name="topics" value="${escapeHtml(sub.topics.join(', '))}" maxlength="500"></label></p>
  <fieldset><legend>${escapeHtml(text.t('page_prefs_newsletters'))}</legend>${boxes}</fieldset>
  <p><button type="submit">${escapeHtml(text.t('page_prefs_save'))}</button></p>
</form>
<form method="post"><input type="hidden" name="action" value="unsubscribe-all"><button type="submit">${escapeHtml(text.t('page_prefs_unsubscribe_all'))}</button></form>`,
      ),
    );
  });

  app.post('/p/:token', smallBody(languages), async (c) => {
    const v = checkToken(deps, c.req.param('token'), 'preferences');
    if (!v.ok) return badLink(c, v.reason, languages.browser(c));
    const sub = await store.getSubscriber(v.payload.s);
    if (!sub) return badLink(c, 'bad-signature', languages.browser(c));
    const fields = await readFields(c);
    const now = clock.now().toISOString();
    const action = field(fields, 'action');
    const wanted = new Set(action === 'unsubscribe-all' ? [] : list(fields, 'newsletters'));
    if (action === 'save') {
      const locale = field(fields, 'locale');
      await store.updateProfile(
        sub.id,
        {
          ...(locale && isValidLocaleTag(locale) ? { locale } : {}),
          topics: list(fields, 'topics')
            .slice(0, 50)
            .map((t) => t.slice(0, 60)),
        },
        now,
      );
    } else if (action !== 'unsubscribe-all') {
      return c.text('unknown action', 400);
    }
    const suppressed = await store.suppression(sub.id);
    for (const n of config.newsletters) {
      const state = (await store.getSubscription(sub.id, n.id))?.state;
      const source = action === 'unsubscribe-all' ? 'preferences-unsubscribe-all' : 'preferences';
      if (wanted.has(n.id) && state !== 'consent' && !suppressed && state !== 'bounced' && state !== 'complained') {
        // Ticking a box on their own signed page is an explicit consent, recorded with its proof.
        await recordConsent(
          store,
          deps.events,
          {
            subscriberId: sub.id,
            newsletterId: n.id,
            kind: 'consent',
            at: now,
            source,
            ip: clientIp(c, deps.config.http.trustProxy),
            userAgent: c.req.header('user-agent')?.slice(0, 300),
            wording: n.consentWording,
          },
          now,
        );
      } else if (!wanted.has(n.id) && (state === 'consent' || state === 'pending')) {
        await recordConsent(store, deps.events, { subscriberId: sub.id, newsletterId: n.id, kind: 'withdrawn', at: now, source }, now);
      }
    }
    logger.info('preferences saved', { subscriber: sub.id, action });
    // In the language just chosen, if it changed.
    const text = languages.reader(c, v.payload.n, (await store.getSubscriber(sub.id))?.locale);
    return c.html(pageFor(text, text.t(action === 'unsubscribe-all' ? 'page_prefs_unsubscribed_all' : 'page_prefs_saved'), ''));
  });
}
