import { editorTime } from '../domain/dates.js';
import { escapeHtml as e } from '../domain/html.js';
import { isRtl } from '../domain/locale.js';
import { NOTE_MAX_CHARS, SUBJECT_MAX_CHARS } from '../domain/review.js';
import type { NewsletterConfig } from '../config/schema.js';
import type { Issue } from '../domain/types.js';
import type { IssueEdit } from '../store/store.js';
import type { IssueListing } from '../service/review.js';
import { shell, tokenField } from './page.js';

/**
 * The editors' panel above a draft in the preview (README § Editors): its articles with
 * exclude / pin / move, the excluded ones with put back, the note and subject per locale,
 * approve, and every edit with who and when. Plain forms (POST with the same-origin token),
 * so it works without JavaScript; an approved or released issue shows the same, read-only.
 */
export function reviewPanel(issue: Issue, newsletter: NewsletterConfig, edits: IssueEdit[], csrf: string): string {
  const review = issue.review!;
  const open = review.state === 'draft';
  // The accessible name starts with the visible label (WCAG 2.5.3), then names the article.
  const action = (what: string, fields: Record<string, string>, label: string, title: string) =>
    open
      ? `<form method="post" action="/issues/${issue.id}/edit" class="inline">${tokenField(csrf)}<input type="hidden" name="action" value="${e(what)}">${Object.entries(fields)
          .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
          .join('')}<button aria-label="${e(`${label}: ${title}`)}">${e(label)}</button></form>`
      : '';
  const articles = issue.articles
    .map(
      (a, i) =>
        `<li data-article="${e(a.id)}"><span dir="auto">${e(a.title)}</span> <span class="muted">(${e(a.id)})</span>${i === 0 ? ' <strong>lead</strong>' : ''} ` +
        action('exclude', { article: a.id }, 'Exclude', a.title) +
        (i > 0 ? action('pin', { article: a.id }, 'Pin as lead', a.title) + action('up', { article: a.id }, 'Up', a.title) : '') +
        (i < issue.articles.length - 1 ? action('down', { article: a.id }, 'Down', a.title) : '') +
        '</li>',
    )
    .join('');
  const excluded = review.excluded
    .map((a) => `<li data-article="${e(a.id)}"><span dir="auto">${e(a.title)}</span> <span class="muted">(${e(a.id)})</span> ${action('include', { article: a.id }, 'Put back', a.title)}</li>`)
    .join('');
  const perLocale = newsletter.locales.supported
    .map((l) => {
      const dir = isRtl(l) ? 'rtl' : 'ltr';
      const note = review.note[l] ?? '';
      const subject = review.subject[l] ?? '';
      if (!open) {
        return `<h3>${e(l)}</h3><p>Subject: ${subject ? `<span lang="${e(l)}" dir="${dir}">${e(subject)}</span>` : '<span class="muted">the locale file’s</span>'}</p>${note ? `<pre lang="${e(l)}" dir="${dir}" id="note-${e(l)}">${e(note)}</pre>` : ''}`;
      }
      return `<form method="post" action="/issues/${issue.id}/edit" class="locale-edit">${tokenField(csrf)}<input type="hidden" name="action" value="subject"><input type="hidden" name="locale" value="${e(l)}">
<label>Subject (${e(l)}) <input name="text" id="subject-${e(l)}" lang="${e(l)}" dir="${dir}" maxlength="${SUBJECT_MAX_CHARS}" size="50" value="${e(subject)}" placeholder="the locale file’s subject"></label> <button>Save ${e(l)} subject</button></form>
<form method="post" action="/issues/${issue.id}/edit" class="locale-edit">${tokenField(csrf)}<input type="hidden" name="action" value="note"><input type="hidden" name="locale" value="${e(l)}">
<label for="note-${e(l)}">Editor’s note (${e(l)}, Markdown: **bold**, *italic*, [links](https://…), lists; no HTML)</label><br>
<textarea name="text" id="note-${e(l)}" lang="${e(l)}" dir="${dir}" rows="4" cols="70" maxlength="${NOTE_MAX_CHARS}">${e(note)}</textarea><br><button>Save ${e(l)} note</button></form>`;
    })
    .join('');
  const status =
    review.state === 'draft'
      ? newsletter.review.mode === 'required'
        ? 'Draft: nothing is sent until an editor approves it.'
        : 'Draft: it goes at its slot as it stands then (review optional); approving freezes it now.'
      : review.state === 'approved'
        ? `Approved by ${review.approvedBy ?? '?'} on ${editorTime(review.approvedAt ?? issue.slot, newsletter.timezone)}: it goes at its slot.`
        : 'Released to its readers.';
  const log = edits.length
    ? `<table id="edits"><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th></tr>${edits
        .map((x) => `<tr><td>${e(editorTime(x.at, newsletter.timezone))}</td><td>${e(x.editor)}</td><td dir="auto">${e(x.what)}</td></tr>`)
        .join('')}</table>`
    : '<p class="muted">No edits yet.</p>';
  return `<section id="review" aria-labelledby="review-title"><h2 id="review-title">Review: issue #${issue.id} for ${e(editorTime(issue.slot, newsletter.timezone))} — ${e(review.state)}</h2>
<p id="review-state">${e(status)}</p>
<h3>Articles, in the order readers get them</h3><ol id="review-articles">${articles}</ol>
${excluded ? `<h3>Excluded</h3><ul id="review-excluded">${excluded}</ul>` : ''}
<h3>Subject and editor’s note per language</h3>${perLocale}
${open ? `<form method="post" action="/issues/${issue.id}/approve">${tokenField(csrf)}<button id="approve">Approve issue #${issue.id}</button></form>` : ''}
<h3>Edits</h3>${log}</section>`;
}

/** GET /issues: every newsletter's latest issues with their state. */
export function issuesPage(list: IssueListing[]): string {
  const rows = list
    .map(
      (i) =>
        `<tr><td><a href="/issues/${i.id}">#${i.id}</a></td><td>${e(i.newsletter)}</td><td>${e(i.when)}</td><td class="state">${e(i.state)}</td><td>${i.articles.length}</td><td>${e(i.approvedBy ?? '')}</td></tr>`,
    )
    .join('');
  return shell(
    'Issues',
    `<header><strong>Issues</strong><span><a href="/">Preview</a> · <a href="/archive">Archive</a> · <a href="/dashboard">Dashboard</a></span></header><main><h1>Issues</h1>${
      rows
        ? `<table id="issues"><tr><th scope="col">Issue</th><th scope="col">Newsletter</th><th scope="col">Slot</th><th scope="col">State</th><th scope="col">Articles</th><th scope="col">Approved by</th></tr>${rows}</table>`
        : '<p class="muted">No issues yet.</p>'
    }</main>`,
  );
}
