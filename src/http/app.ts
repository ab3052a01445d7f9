import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/load.js';
import type { Clock } from '../domain/types.js';
import type { Logger } from '../domain/logger.js';
import { verifyToken } from '../domain/tokens.js';
import type { Store } from '../store/store.js';
import { escapeHtml } from '../render/reader-fill.js';
import { articleFor } from '../render/view.js';
import { readTemplateFiles } from '../render/template-files.js';
import { renderLocale, renderForReader } from '../render/pipeline.js';
import { negotiateLocale } from '../domain/locale.js';
import { page } from './pages.js';

export interface HttpDeps {
  store: Store;
  config: Config;
  clock: Clock;
  logger: Logger;
}

const TOKEN_PROBLEMS: Record<string, string> = {
  malformed: 'This link is incomplete. Copy the whole link from the email, or use the unsubscribe link of a newer issue.',
  'bad-signature': 'This link is not valid: it was changed or was not made by this service. Nothing was changed.',
  expired: 'This link has expired. Nothing was changed.',
  'wrong-purpose': 'This link is not an unsubscribe link. Nothing was changed.',
};

/**
 * The public HTTP surface, testable with `app.request()`:
 *   GET  /healthz                              liveness
 *   GET  /u/:token                             unsubscribe confirmation page (changes nothing: link scanners follow GETs)
 *   POST /u/:token                             RFC 8058 one-click (List-Unsubscribe=One-Click) or the page's button
 *   GET  /archive/:newsletter/issues/:id       web version of an issue (?lang=fr)
 *   GET  /archive/:newsletter/articles/:id     an article that has no URL of its own
 */
export function createHttpApp({ store, config, clock, logger }: HttpDeps): Hono {
  const app = new Hono();
  const newsletterOf = (id: string) => config.newsletters.find((n) => n.id === id);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/', async (c) => {
    const items: string[] = [];
    for (const n of config.newsletters) {
      const issues = await store.listIssues(n.id, 20);
      const links = issues.map((i) => `<li><a href="/archive/${encodeURIComponent(n.id)}/issues/${i.id}">${escapeHtml(i.slot.slice(0, 10))}</a> · ${i.articles.length} articles</li>`);
      items.push(`<h2>${escapeHtml(n.name)}</h2>${links.length ? `<ul>${links.join('')}</ul>` : '<p class="muted">No issue yet.</p>'}`);
    }
    return c.html(page('Newsletters', `<h1>Newsletters</h1>${items.join('')}`));
  });

  const check = (token: string) => verifyToken(token, config.secrets, 'unsubscribe', clock.now().getTime());

  app.get('/u/:token', (c) => {
    const v = check(c.req.param('token'));
    if (!v.ok) return c.html(page('Link not valid', `<h1>Link not valid</h1><p>${TOKEN_PROBLEMS[v.reason]}</p>`), 400);
    const n = newsletterOf(v.payload.n);
    const name = n?.name ?? v.payload.n;
    return c.html(
      page(
        `Unsubscribe from ${name}`,
        `<h1>Unsubscribe from ${escapeHtml(name)}?</h1>
<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>
<p class="muted">You will get no further issues of ${escapeHtml(name)}.</p>`,
      ),
    );
  });

  app.post('/u/:token', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('request body too large', 413) }), async (c) => {
    const v = check(c.req.param('token'));
    if (!v.ok) return c.html(page('Link not valid', `<h1>Link not valid</h1><p>${TOKEN_PROBLEMS[v.reason]}</p>`), 400);
    let body: Record<string, unknown> = {};
    try {
      body = (await c.req.parseBody()) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const oneClick = body['List-Unsubscribe'] === 'One-Click';
    if (!oneClick && body.confirm !== 'yes') {
      return c.text('POST List-Unsubscribe=One-Click (RFC 8058) or use the button on the page', 400);
    }
    const { s: subscriberId, n: newsletterId } = v.payload;
    const current = await store.getSubscription(subscriberId, newsletterId);
    if (current && (current.state === 'consent' || current.state === 'pending')) {
      const now = clock.now().toISOString();
      await store.appendConsentEvent(
        { subscriberId, newsletterId, kind: 'withdrawn', at: now, source: oneClick ? 'one-click' : 'unsubscribe-page' },
        now,
      );
      logger.info('reader unsubscribed', { newsletter: newsletterId, subscriber: subscriberId, channel: oneClick ? 'one-click' : 'page' });
    }
    const name = newsletterOf(newsletterId)?.name ?? newsletterId;
    // RFC 8058: answer the POST itself, no redirect.
    return c.html(page('Unsubscribed', `<h1>You are unsubscribed</h1><p>You will get no further issues of ${escapeHtml(name)}.</p>`), 200);
  });

  app.get('/archive/:newsletter/issues/:id', async (c) => {
    const n = newsletterOf(c.req.param('newsletter'));
    const issue = n ? await store.getIssue(Number(c.req.param('id'))) : undefined;
    if (!n || !issue || issue.newsletterId !== n.id) return c.html(page('Not found', '<h1>No such issue</h1>'), 404);
    const locale = negotiateLocale(c.req.query('lang'), n.locales.supported, n.locales.default);
    const files = readTemplateFiles(config.paths.templates, n.template);
    const r = await renderLocale({ issue, newsletter: n, locale, files, publicUrl: config.publicUrl });
    // The web version is the same for everyone: no name, no address, no personal unsubscribe link.
    return c.html(renderForReader(r, { name: '', email: '…', unsubscribeUrl: `${config.publicUrl}/` }).html);
  });

  app.get('/archive/:newsletter/articles/:id', async (c) => {
    const n = newsletterOf(c.req.param('newsletter'));
    const articleId = c.req.param('id');
    const issue = n ? await store.issueOfArticle(n.id, articleId) : undefined;
    const original = issue?.articles.find((a) => a.id === articleId);
    if (!n || !original) return c.html(page('Not found', '<h1>No such article</h1>'), 404);
    const a = articleFor(original, c.req.query('lang') ?? original.lang ?? n.locales.default);
    const date = new Intl.DateTimeFormat(a.lang ?? n.locales.default, { dateStyle: 'long', timeZone: n.timezone }).format(new Date(a.publishedAt));
    const paras = a.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
    return c.html(page(a.title, `<p class="muted">${escapeHtml(n.name)} · ${escapeHtml(date)}</p><h1>${escapeHtml(a.title)}</h1>\n${paras}`, a.lang ?? n.locales.default));
  });

  return app;
}
