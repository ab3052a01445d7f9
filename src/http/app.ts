export type { HttpDeps } from './common.js';
import { Hono } from 'hono';
import { escapeHtml } from '../domain/html.js';
import { isRtl } from '../domain/locale.js';
import type { HttpDeps } from './common.js';
import { unsubscribeRoutes } from './unsubscribe-routes.js';
import { subscribeRoutes } from './subscribe-routes.js';
import { preferencesRoutes } from './preferences-routes.js';
import { webhookRoutes } from './webhook-routes.js';
import { articleFor } from '../render/view.js';
import { readerLocale } from '../domain/locale.js';
import { page } from './pages.js';
import { ArchivePages, webVersionRenderer } from './archive-pages.js';
import { AfterResponse } from './after-response.js';

/**
 * The public HTTP surface, testable with `app.request()`:
 *   GET  /healthz                              liveness
 *   GET  /                                     list of issues
 *   /u/:token, /subscribe, /c/:token, /p/:token  unsubscribe, double opt-in, preferences (see their files)
 *   POST /webhooks/ses|postmark|sendgrid|mailgun  bounce and complaint events of the configured providers (webhook-routes.ts)
 *   GET  /archive/:newsletter/issues/:id       web version of an issue (?lang=fr)
 *   GET  /archive/:newsletter/articles/:id     an article that has no URL of its own
 */
/** The routes, and `settled()`: resolves once the work done after answering (sign-ups) is done. */
export type HttpApp = Hono & { settled(): Promise<void> };

export function createHttpApp(deps: HttpDeps, archive = new ArchivePages(webVersionRenderer(deps.config.paths.templates, deps.config.publicUrl))): HttpApp {
  const { store, config } = deps;
  const app = new Hono();
  const after = new AfterResponse(() => deps.logger.error('too many sign-ups waiting; one was dropped (the reader can sign up again)'));
  const newsletterOf = (id: string) => config.newsletters.find((n) => n.id === id);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/', async (c) => {
    const items: string[] = [];
    for (const n of config.newsletters) {
      const issues = await store.listIssues(n.id, 20);
      const links = issues.map((i) => `<li><a href="/archive/${encodeURIComponent(n.id)}/issues/${i.id}">${escapeHtml(i.slot.slice(0, 10))}</a> · ${i.articles.length} articles</li>`);
      items.push(`<h2>${escapeHtml(n.name)}</h2>${links.length ? `<ul>${links.join('')}</ul>` : '<p class="muted">No issue yet.</p>'}`);
    }
    return c.html(page('Newsletters', `<h1>Newsletters</h1>${items.join('')}<p><a href="/subscribe">Subscribe</a></p>`));
  });

  unsubscribeRoutes(app, deps);
  subscribeRoutes(app, deps, after);
  preferencesRoutes(app, deps);
  webhookRoutes(app, deps);

  app.get('/archive/:newsletter/issues/:id', async (c) => {
    const n = newsletterOf(c.req.param('newsletter'));
    const issue = n ? await store.getIssue(Number(c.req.param('id'))) : undefined;
    if (!n || !issue || issue.newsletterId !== n.id) return c.html(page('Not found', '<h1>No such issue</h1>'), 404);
    // The web version is the same for everyone, so it is rendered once per language (archive-pages.ts).
    return c.html(await archive.get(issue, n, readerLocale(n.locales, c.req.query('lang'))));
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
    const lang = a.lang ?? n.locales.default;
    return c.html(page(a.title, `<p class="muted">${escapeHtml(n.name)} · ${escapeHtml(date)}</p><h1>${escapeHtml(a.title)}</h1>\n${paras}`, lang, isRtl(lang) ? 'rtl' : 'ltr'));
  });

  return Object.assign(app, { settled: () => after.settled() });
}
