export type { HttpDeps } from './common.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { withoutAddresses } from '../audience/email.js';
import { escapeHtml } from '../domain/html.js';
import { isRtl } from '../domain/locale.js';
import type { HttpDeps } from './common.js';
import { unsubscribeRoutes } from './unsubscribe-routes.js';
import { subscribeRoutes } from './subscribe-routes.js';
import { preferencesRoutes } from './preferences-routes.js';
import { webhookRoutes } from './webhook-routes.js';
import { articleFor } from '../render/view.js';
import { page } from './pages.js';
import { pageFor, wantsJson } from './common.js';
import { PageLanguages } from './page-language.js';
import { ArchivePages, webVersionRenderer } from './archive-pages.js';
import { AfterResponse } from './after-response.js';
import { metricsRoute } from './metrics-route.js';

/**
 * The public HTTP surface, testable with `app.request()`:
 *   GET  /healthz                              liveness
 *   GET  /                                     list of issues
 *   /u/:token, /subscribe, /c/:token, /p/:token  unsubscribe, double opt-in, preferences (see their files)
 *   POST /webhooks/ses|postmark|sendgrid|mailgun  bounce and complaint events of the configured providers (webhook-routes.ts)
 *   GET  /archive/:newsletter/issues/:id       web version of an issue (?lang=fr)
 *   GET  /archive/:newsletter/articles/:id     an article that has no URL of its own
 *   GET  /metrics                              Prometheus metrics, when metrics.enabled (metrics-route.ts)
 */
/** The routes, and `settled()`: resolves once the work done after answering (sign-ups) is done. */
export type HttpApp = Hono & { settled(): Promise<void> };

export function createHttpApp(deps: HttpDeps, archive = new ArchivePages(webVersionRenderer(deps.config.paths.templates, deps.config.publicUrl))): HttpApp {
  const { store, config } = deps;
  const app = new Hono();
  const languages = new PageLanguages(config.paths.templates, config.newsletters);
  const first = config.newsletters[0]!;
  const after = new AfterResponse(() => deps.logger.error('too many sign-ups waiting; one was dropped (the reader can sign up again)'));
  const newsletterOf = (id: string) => config.newsletters.find((n) => n.id === id);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // Every answer a browser may see is a page in its language; machines (JSON) get JSON.
  app.notFound((c) => {
    if (wantsJson(c)) return c.json({ error: 'not found' }, 404);
    const text = languages.browser(c);
    return c.html(pageFor(text, text.t('page_not_found_title'), `<p>${escapeHtml(text.t('page_not_found_body'))}</p>\n<p><a href="/">${escapeHtml(text.t('page_index_title'))}</a></p>`), 404);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    // The route, not the path: a path may hold a reader's token. Never an address either.
    deps.logger.error('request failed', { method: c.req.method, route: routePath(c), error: withoutAddresses(String(err?.message ?? err)) });
    if (wantsJson(c)) return c.json({ error: 'internal error' }, 500);
    try {
      const text = languages.browser(c);
      return c.html(pageFor(text, text.t('page_error_title'), `<p>${escapeHtml(text.t('page_error_body'))}</p>`), 500);
    } catch {
      // The locale files themselves cannot be read: the log says why.
      return c.text('Internal Server Error', 500);
    }
  });

  app.get('/', async (c) => {
    const text = languages.for(c, first, { explicit: c.req.query('lang') });
    const date = new Intl.DateTimeFormat(text.lang, { dateStyle: 'long', timeZone: 'UTC' });
    const items: string[] = [];
    for (const n of config.newsletters) {
      const issues = await store.listIssues(n.id, 20);
      const links = issues.map(
        (i) =>
          `<li><a href="/archive/${encodeURIComponent(n.id)}/issues/${i.id}?lang=${encodeURIComponent(text.lang)}">${escapeHtml(date.format(new Date(i.slot)))}</a> · ${escapeHtml(text.t('page_index_articles', { count: i.articles.length }))}</li>`,
      );
      items.push(`<h2>${escapeHtml(n.name)}</h2>${links.length ? `<ul>${links.join('')}</ul>` : `<p class="muted">${escapeHtml(text.t('page_index_no_issue'))}</p>`}`);
    }
    return c.html(pageFor(text, text.t('page_index_title'), `${items.join('')}<p><a href="/subscribe">${escapeHtml(text.t('page_subscribe_title'))}</a></p>`));
  });

  unsubscribeRoutes(app, deps, languages);
  subscribeRoutes(app, deps, after, languages);
  preferencesRoutes(app, deps, languages);
  webhookRoutes(app, deps);
  // On the main server unless it has a port of its own (metrics.port, served by serveMetrics).
  if (deps.metricsExposed && config.metrics.port === undefined) metricsRoute(app, deps.metricsExposed, config.metricsToken);

  app.get('/archive/:newsletter/issues/:id', async (c) => {
    const n = newsletterOf(c.req.param('newsletter'));
    const issue = n ? await store.getIssue(Number(c.req.param('id'))) : undefined;
    const text = languages.for(c, n ?? first, { explicit: c.req.query('lang') });
    if (!n || !issue || issue.newsletterId !== n.id) return c.html(pageFor(text, text.t('page_no_such_issue'), ''), 404);
    // The web version is the same for everyone, so it is rendered once per language (archive-pages.ts).
    return c.html(await archive.get(issue, n, text.lang));
  });

  app.get('/archive/:newsletter/articles/:id', async (c) => {
    const n = newsletterOf(c.req.param('newsletter'));
    const articleId = c.req.param('id');
    const issue = n ? await store.issueOfArticle(n.id, articleId) : undefined;
    const original = issue?.articles.find((a) => a.id === articleId);
    const text = languages.for(c, n ?? first, { explicit: c.req.query('lang') });
    if (!n || !original) return c.html(pageFor(text, text.t('page_no_such_article'), ''), 404);
    // The reader's language for the page, the article's own for its words (its translation when there is one).
    const a = articleFor(original, text.lang);
    const date = new Intl.DateTimeFormat(text.lang, { dateStyle: 'long', timeZone: n.timezone }).format(new Date(a.publishedAt));
    const paras = a.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
    const own = a.lang ? ` lang="${escapeHtml(a.lang)}" dir="${isRtl(a.lang) ? 'rtl' : 'ltr'}"` : ' dir="auto"';
    return c.html(page(a.title, `<p class="muted">${escapeHtml(n.name)} · ${escapeHtml(date)}</p>\n<article${own}><h1>${escapeHtml(a.title)}</h1>\n${paras}</article>`, text.lang, text.dir));
  });

  return Object.assign(app, { settled: () => after.settled() });
}
