import { editorTime } from '../domain/dates.js';
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { loadConfig, type Environment } from '../config/load.js';
import { NewsletterError } from '../domain/errors.js';
import { normaliseEmail } from '../audience/email.js';
import { isValidTimeZone } from '../domain/locale.js';
import { syncList } from '../service/sync-list.js';
import { escapeHtml as e } from '../domain/html.js';
import type { App } from '../app.js';
import { previewIssue, SAMPLE_READER, type PreviewReader } from './preview-issue.js';
import { previewPage, shell } from './page.js';
import { listMailbox, readMailboxMessage } from './mailbox.js';
import type { LiveReload } from './live-reload.js';
import { composeMessage } from '../delivery/mime.js';
import { guardPreview } from './access.js';
import { issueDashboards } from '../service/dashboard.js';
import { dashboardPage } from './dashboard-page.js';
import type { PreviewEnv } from './same-origin.js';
import { issuesPage, reviewPanel } from './review-panel.js';
import { PreviewLanguages } from './chrome-text.js';
import { approveIssue, editIssue, listIssues } from '../service/review.js';
import type { DraftEdit } from '../domain/review.js';

/** An issue number from a path or query (digits only), or undefined. */
function issueIdOf(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** A form's change to a draft, or undefined when the action is not one. */
function draftEdit(action: string, article: string, locale: string, text: string): DraftEdit | undefined {
  switch (action) {
    case 'exclude':
    case 'include':
    case 'pin':
      return article ? { kind: action, article } : undefined;
    case 'up':
    case 'down':
      return article ? { kind: 'move', article, to: action } : undefined;
    case 'note':
    case 'subject':
      return locale ? { kind: action, locale, text } : undefined;
    default:
      return undefined;
  }
}

/** What an email shown in the preview may do: open its links in a new tab, nothing else. */
const EMAIL_SANDBOX = 'sandbox allow-popups allow-popups-to-escape-sandbox';

export interface PreviewOptions {
  env: Environment;
  /** Fixed time for the preview (`--at`); default the app's clock. */
  at?: Date;
  live?: LiveReload;
  /** The address it listens on (serve.ts): accepted as a Host name when it is one address. */
  bindHost?: string;
}

/**
 * The editor's preview, for editors only (access.ts: Host check, body limit, sign-in when
 * preview.password is set, same-origin token on every POST), served on 127.0.0.1 unless configured:
 *   GET  /n/:id            the next issue for a locale and reader (?locale=fr&reader=EMAIL|custom&name=&email=&tz=ZONE&view=both|desktop|mobile)
 *   GET  /html             the email itself, for the page's frames (same query, plus newsletter=ID)
 *   POST /test             sends the previewed email to an address, marked [TEST], not recorded
 *   GET  /events           server-sent "reload" when a template, locale, article, list or the config changes
 *   GET  /mailbox          what the capture transport wrote; /mailbox/view?file= opens one as sent
 *   GET  /archive          past issues with their delivery counts
 *   GET  /dashboard        how delivery went, per issue (?issue=N; default each newsletter's latest)
 *   GET  /issues           drafts, approved and sent issues; /issues/:id opens one in /n/:id?issue=N
 *   POST /issues/:id/edit  a change to a draft (exclude, include, pin, up, down, note, subject), logged with the editor
 *   POST /issues/:id/approve  freezes a draft
 * The config is read again on every request, so an edit to it shows at the next reload.
 */
export function createPreviewApp(app: App, options: PreviewOptions): Hono<PreviewEnv> {
  const web = new Hono<PreviewEnv>();
  // Read once: changing who may reach the preview takes a restart, unlike what it shows.
  const { preview, http } = app.config;
  // The chrome's words follow the editor's browser; the locale files are read at the first page.
  const languages = new PreviewLanguages(app.config.paths.templates);
  const chrome = (c: Context<PreviewEnv>) => languages.for(c.req.header('accept-language'));
  guardPreview(web, {
    text: (acceptLanguage) => languages.for(acceptLanguage),
    allowedHosts: preview.allowedHosts,
    bindHost: options.bindHost,
    password: preview.password,
    editors: preview.editors,
    token: preview.editorToken,
    trustProxy: http.trustProxy,
    clock: app.clock,
    logger: app.logger,
  });
  const fresh = (): App => ({ ...app, config: loadConfig({ file: app.config.file, env: options.env, readGeneratedSecret: () => app.config.secrets[0]! }) });

  async function build(c: Context<PreviewEnv>, id: string) {
    const current = fresh();
    const newsletter = current.config.newsletters.find((n) => n.id === id);
    if (!newsletter) return undefined;
    // Like every command that needs the audience, start from the list file (idempotent, cheap when unchanged).
    await syncList(current, newsletter.id, current.clock.now());
    const q = c.req.query();
    const readerParam = q.reader ?? '';
    // A time zone chosen in the page stands in for the reader's own (dates are shown in it).
    const tzParam = (q.tz ?? '').trim();
    const tz = tzParam && isValidTimeZone(tzParam) ? tzParam : '';
    const inZone = <T extends { timezone: string }>(r: T): T => (tz ? { ...r, timezone: tz } : r);
    let reader: PreviewReader = inZone(SAMPLE_READER);
    const found = readerParam && readerParam !== 'custom' ? await current.store.findSubscriberByEmail(normaliseEmail(readerParam)) : undefined;
    const subscriber = found && inZone(found);
    if (readerParam === 'custom') reader = inZone({ name: q.name ?? 'Alex Example', email: q.email || 'alex@example.com', locale: q.locale ?? '', timezone: '' });
    // ?issue=N: that stored issue (a draft under review, or any past one) rather than the next.
    const issueParam = issueIdOf(q.issue) !== undefined ? q.issue! : '';
    const stored = issueParam ? await current.store.getIssue(Number(issueParam)) : undefined;
    if (issueParam && stored?.newsletterId !== newsletter.id) return undefined;
    const preview = await previewIssue(current, newsletter, { at: options.at, locale: q.locale, reader, subscriber, ...(stored ? { issue: stored } : {}) });
    const tzProblem =
      tzParam && !tz
        ? `"${tzParam}" is not an IANA time zone (e.g. Europe/Paris, America/New_York); dates are shown in ${preview.reader.timezone || `the newsletter's (${newsletter.timezone})`}`
        : undefined;
    const params = new URLSearchParams({
      newsletter: id,
      locale: preview.locale,
      ...(readerParam ? { reader: readerParam } : {}),
      ...(readerParam === 'custom' ? { name: reader.name, email: reader.email } : {}),
      ...(tz ? { tz } : {}),
      ...(issueParam ? { issue: issueParam } : {}),
    });
    return { current, newsletter, preview, readerParam, tzParam, tzProblem, issueParam, query: params.toString() };
  }

  const errorPage = (c: Context, err: unknown) => {
    if (!(err instanceof NewsletterError)) throw err;
    return c.html(shell('Preview: configuration error', `<main><h2>Configuration error</h2><div class="error" id="error">${e(err.message)}</div></main>`), 200);
  };

  web.get('/', (c) => c.redirect(`/n/${encodeURIComponent(app.config.newsletters[0]!.id)}`));

  web.get('/n/:id', async (c) => {
    try {
      const b = await build(c, c.req.param('id'));
      if (!b) return c.html(shell('Not found', '<main>No such newsletter or issue.</main>'), 404);
      const shown = b.preview.kind === 'draft' ? b.preview.issue : undefined;
      const review = shown?.review ? reviewPanel(shown, b.newsletter, await b.current.store.issueEdits(shown.id), c.get('csrf'), chrome(c)) : undefined;
      const readers = (await b.current.store.exportRows(b.newsletter.id)).slice(0, 100).map((r) => ({ email: r.subscriber.email, name: r.subscriber.name }));
      const view = (['desktop', 'mobile'] as const).find((v) => v === c.req.query('view')) ?? 'both';
      return c.html(
        previewPage(b.preview, {
          query: b.query,
          readers,
          readerParam: b.readerParam,
          tzParam: b.tzParam,
          tzProblem: b.tzProblem,
          view,
          newsletters: b.current.config.newsletters.map((n) => ({ id: n.id, name: n.name })),
          sent: c.req.query('sent'),
          csrf: c.get('csrf'),
          signOut: c.get('session') !== '',
          editor: c.get('editor'),
          issueParam: b.issueParam,
          review,
          text: chrome(c),
        }),
      );
    } catch (err) {
      return errorPage(c, err);
    }
  });

  web.get('/html', async (c) => {
    // The email runs no script (mail clients run none either): article HTML from a feed, however
    // it slipped past sanitising, cannot act as the preview's page.
    c.header('Content-Security-Policy', `${EMAIL_SANDBOX}; frame-ancestors 'self'`);
    try {
      const b = await build(c, c.req.query('newsletter') ?? '');
      if (!b?.preview.html) return c.html(`<p>${e(b?.preview.error ?? 'Nothing to show.')}</p>`);
      return c.html(b.preview.html);
    } catch (err) {
      return errorPage(c, err);
    }
  });

  web.post('/test', async (c) => {
    const id = c.req.query('newsletter') ?? '';
    const to = normaliseEmail(String((await c.req.parseBody()).to ?? ''));
    const b = await build(c, id);
    const preview = b?.preview;
    const message = preview?.message;
    if (!preview || !message) return c.text('nothing to send: fix the errors shown in the preview first', 400);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to)) return c.text('type a valid address to send the test to', 400);
    // A test is composed apart from delivery's message: marked as a test, to the address typed,
    // without the list headers of a digest.
    const stamp = randomBytes(6).toString('hex');
    await app.transport.send(
      await composeMessage(`preview-tests/${stamp}`, {
        messageId: message.messageId.replace('<', `<test-${stamp}.`),
        from: preview.newsletter.from,
        to: { name: '', address: to },
        subject: `[TEST] ${preview.subject}`,
        text: preview.text,
        html: preview.html,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Newsletter-Test': 'preview' },
      }),
    );
    app.logger.info('preview test sent', { newsletter: id, to });
    return c.redirect(`/n/${encodeURIComponent(id)}?${b.query}&sent=${encodeURIComponent(`Test sent to ${to}`)}`);
  });

  web.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      let wake: () => void = () => {};
      const unsubscribe = options.live?.subscribe(() => wake()) ?? (() => {});
      stream.onAbort(() => {
        unsubscribe();
        wake();
      });
      await stream.writeSSE({ data: 'hello' });
      // One message per change, until the page goes away.
      while (!stream.aborted) {
        await new Promise<void>((r) => (wake = r));
        if (!stream.aborted) await stream.writeSSE({ data: 'reload' });
      }
    }),
  );

  web.get('/mailbox', async (c) => {
    if (!app.transport.location) return c.html(shell('Mailbox', `<main><p>The mailbox shows what the capture transport writes; this service sends through ${e(app.transport.name)}.</p></main>`));
    const rows = await listMailbox(app.transport.location);
    const list = rows.map((r) => `<tr><td><a href="/mailbox/view?file=${encodeURIComponent(r.file)}">${e(r.subject)}</a></td><td>${e(r.to)}</td><td>${e(r.date)}</td></tr>`).join('');
    return c.html(shell('Mailbox', `<main><h2>Captured messages (${rows.length})</h2><table id="mailbox">${list}</table></main>`));
  });

  web.get('/mailbox/view', async (c) => {
    const m = app.transport.location ? await readMailboxMessage(app.transport.location, c.req.query('file') ?? '') : undefined;
    if (!m) return c.html(shell('Not found', '<main>No such message.</main>'), 404);
    return c.html(
      shell(
        m.subject,
        `<main><h2>${e(m.subject)}</h2><pre>${e(m.head)}</pre><iframe width="600" sandbox="${EMAIL_SANDBOX.slice('sandbox '.length)}" srcdoc="${e(m.html)}"></iframe><h2>Plain text</h2><pre>${e(m.text)}</pre></main>`,
      ),
    );
  });

  // The delivery dashboard: the same service as `report --json` (service/dashboard.ts), drawn as SVG and tables.
  web.get('/dashboard', async (c) => {
    const issue = Number(c.req.query('issue'));
    const dashboards = await issueDashboards(app, Number.isSafeInteger(issue) && issue > 0 ? { issue } : {}).catch((err: unknown) => {
      if (err instanceof NewsletterError) return undefined;
      throw err;
    });
    if (!dashboards) return c.html(shell('Not found', '<main>No such issue.</main>'), 404);
    return c.html(dashboardPage(dashboards, (id) => app.config.newsletters.find((n) => n.id === id)?.timezone ?? 'UTC'));
  });

  // Editors' review (service/review.ts): the issues, and the changes to a draft, each logged with who.
  web.get('/issues', async (c) => c.html(issuesPage(await listIssues(fresh()), chrome(c))));

  web.get('/issues/:id', async (c) => {
    const id = issueIdOf(c.req.param('id'));
    const issue = id ? await app.store.getIssue(id) : undefined;
    if (!issue) return c.html(shell('Not found', '<main>No such issue.</main>'), 404);
    return c.redirect(`/n/${encodeURIComponent(issue.newsletterId)}?issue=${issue.id}`, 303);
  });

  const back = (issue: { id: number; newsletterId: string }, message: string) => `/n/${encodeURIComponent(issue.newsletterId)}?issue=${issue.id}&sent=${encodeURIComponent(message)}`;

  web.post('/issues/:id/edit', async (c) => {
    const id = issueIdOf(c.req.param('id'));
    const issue = id ? await app.store.getIssue(id) : undefined;
    if (!issue) return c.text('No such issue.\n', 404);
    const body = await c.req.parseBody();
    const field = (k: string) => (typeof body[k] === 'string' ? body[k] : '');
    const edit = draftEdit(field('action'), field('article'), field('locale'), field('text'));
    if (!edit) return c.text('Unknown change: action must be exclude, include, pin, up, down, note or subject.\n', 400);
    try {
      await editIssue(fresh(), issue.id, edit, c.get('editor'));
      return c.redirect(back(issue, 'Saved.'), 303);
    } catch (err) {
      if (!(err instanceof NewsletterError)) throw err;
      return c.redirect(back(issue, err.message), 303);
    }
  });

  web.post('/issues/:id/approve', async (c) => {
    const id = issueIdOf(c.req.param('id'));
    const issue = id ? await app.store.getIssue(id) : undefined;
    if (!issue) return c.text('No such issue.\n', 404);
    try {
      const { due } = await approveIssue(fresh(), c.get('editor'), issue.newsletterId, issue.id);
      return c.redirect(
        back(issue, due ? `Approved. Its slot has passed: the running service sends it within a minute (or run \`newsletter send --issue ${issue.id}\`).` : 'Approved: it goes at its slot.'),
        303,
      );
    } catch (err) {
      if (!(err instanceof NewsletterError)) throw err;
      return c.redirect(back(issue, err.message), 303);
    }
  });

  web.get('/archive', async (c) => {
    const sections: string[] = [];
    for (const n of app.config.newsletters) {
      const rows: string[] = [];
      for (const i of await app.store.listIssues(n.id, 50, { unreleased: true })) {
        const k = await app.store.counts(i.id);
        rows.push(
          `<tr><td><a href="/dashboard?issue=${i.id}">#${i.id}</a></td><td>${e(editorTime(i.slot, n.timezone))}</td><td>${i.articles.length} articles</td><td>sent ${k.sent} · queued ${k.queued} · deferred ${k.deferred} · failed ${k.failed} · skipped ${k.skipped} · unknown ${k.unknown}</td></tr>`,
        );
      }
      sections.push(`<h2>${e(n.name)}</h2>${rows.length ? `<table>${rows.join('')}</table>` : '<p class="muted">No issue yet.</p>'}`);
    }
    return c.html(shell('Archive', `<main id="archive">${sections.join('')}</main>`));
  });

  return web;
}
