import { editorTime } from '../domain/dates.js';
import { escapeHtml as e } from '../domain/html.js';
import { isRtl } from '../domain/locale.js';
import { NOTE_MAX_CHARS, SUBJECT_MAX_CHARS } from '../domain/review.js';
import type { NewsletterConfig } from '../config/schema.js';
import type { Issue } from '../domain/types.js';
import type { IssueEdit } from '../store/store.js';
import type { IssueListing } from '../service/review.js';
import { shell, tokenField } from './page.js';
import { ENGLISH, type ChromeText } from './chrome-text.js';

/**
 * The editors' panel above a draft in the preview (README § Editors): its articles with
 * exclude / pin / move, the excluded ones with put back, the note and subject per locale,
 * approve, and every edit with who and when. Plain forms (POST with the same-origin token),
 * so it works without JavaScript; an approved or released issue shows the same, read-only.
 */
export function reviewPanel(issue: Issue, newsletter: NewsletterConfig, edits: IssueEdit[], csrf: string, text: ChromeText = ENGLISH): string {
  const { t } = text;
  const when = (iso: string) => editorTime(iso, newsletter.timezone, text.lang);
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
        `<li data-article="${e(a.id)}"><span dir="auto">${e(a.title)}</span> <span class="muted">(${e(a.id)})</span>${i === 0 ? ` <strong>${e(t('preview_review_lead'))}</strong>` : ''} ` +
        action('exclude', { article: a.id }, t('preview_exclude'), a.title) +
        (i > 0 ? action('pin', { article: a.id }, t('preview_pin'), a.title) + action('up', { article: a.id }, t('preview_up'), a.title) : '') +
        (i < issue.articles.length - 1 ? action('down', { article: a.id }, t('preview_down'), a.title) : '') +
        '</li>',
    )
    .join('');
  const excluded = review.excluded
    .map(
      (a) => `<li data-article="${e(a.id)}"><span dir="auto">${e(a.title)}</span> <span class="muted">(${e(a.id)})</span> ${action('include', { article: a.id }, t('preview_put_back'), a.title)}</li>`,
    )
    .join('');
  const perLocale = newsletter.locales.supported
    .map((l) => {
      const dir = isRtl(l) ? 'rtl' : 'ltr';
      const note = review.note[l] ?? '';
      const subject = review.subject[l] ?? '';
      if (!open) {
        return `<h4>${e(l)}</h4><p>${e(t('preview_subject_label', { locale: l }))}: ${subject ? `<span lang="${e(l)}" dir="${dir}">${e(subject)}</span>` : `<span class="muted">${e(t('preview_subject_default'))}</span>`}</p>${note ? `<pre lang="${e(l)}" dir="${dir}" id="note-${e(l)}">${e(note)}</pre>` : ''}`;
      }
      return `<form method="post" action="/issues/${issue.id}/edit" class="locale-edit">${tokenField(csrf)}<input type="hidden" name="action" value="subject"><input type="hidden" name="locale" value="${e(l)}">
<label>${e(t('preview_subject_label', { locale: l }))} <input name="text" id="subject-${e(l)}" lang="${e(l)}" dir="${dir}" maxlength="${SUBJECT_MAX_CHARS}" size="50" value="${e(subject)}" placeholder="${e(t('preview_subject_placeholder'))}"></label> <button>${e(t('preview_save_subject', { locale: l }))}</button></form>
<form method="post" action="/issues/${issue.id}/edit" class="locale-edit">${tokenField(csrf)}<input type="hidden" name="action" value="note"><input type="hidden" name="locale" value="${e(l)}">
<label for="note-${e(l)}">${e(t('preview_note_label', { locale: l }))}</label><br>
<textarea name="text" id="note-${e(l)}" lang="${e(l)}" dir="${dir}" rows="4" cols="70" maxlength="${NOTE_MAX_CHARS}">${e(note)}</textarea><br><button>${e(t('preview_save_note', { locale: l }))}</button></form>`;
    })
    .join('');
  const status =
    review.state === 'draft'
      ? t(newsletter.review.mode === 'required' ? 'preview_review_required' : 'preview_review_optional')
      : review.state === 'approved'
        ? t('preview_review_approved', { name: review.approvedBy ?? '?', when: when(review.approvedAt ?? issue.slot) })
        : t('preview_review_released');
  const log = edits.length
    ? `<table id="edits"><tr><th scope="col">${e(t('preview_edits_when'))}</th><th scope="col">${e(t('preview_edits_who'))}</th><th scope="col">${e(t('preview_edits_what'))}</th></tr>${edits
        .map((x) => `<tr><td>${e(when(x.at))}</td><td>${e(x.editor)}</td><td dir="auto">${e(x.what)}</td></tr>`)
        .join('')}</table>`
    : `<p class="muted">${e(t('preview_no_edits'))}</p>`;
  return `<section id="review" aria-labelledby="review-title"><h2 id="review-title">${e(t('preview_review_title', { id: issue.id, when: when(issue.slot), state: t('preview_state', { state: review.state }) }))}</h2>
<p id="review-state">${e(status)}</p>
<h3>${e(t('preview_review_articles'))}</h3><ol id="review-articles">${articles}</ol>
${excluded ? `<h3>${e(t('preview_review_excluded'))}</h3><ul id="review-excluded">${excluded}</ul>` : ''}
<h3>${e(t('preview_review_per_language'))}</h3>${perLocale}
${open ? `<form method="post" action="/issues/${issue.id}/approve">${tokenField(csrf)}<button id="approve">${e(t('preview_approve', { id: issue.id }))}</button></form>` : ''}
<h3>${e(t('preview_edits'))}</h3>${log}</section>`;
}

/** GET /issues: every newsletter's latest issues with their state. */
export function issuesPage(list: IssueListing[], text: ChromeText = ENGLISH): string {
  const { t } = text;
  const rows = list
    .map(
      (i) =>
        `<tr><td><a href="/issues/${i.id}">#${i.id}</a></td><td>${e(i.newsletter)}</td><td>${e(editorTime(i.slot, i.timezone, text.lang))}</td><td class="state" data-state="${e(i.state)}">${e(t('preview_state', { state: i.state }))}</td><td>${i.articles.length}</td><td>${e(i.approvedBy ?? '')}</td></tr>`,
    )
    .join('');
  const th = (k: string) => `<th scope="col">${e(t(k))}</th>`;
  return shell(
    t('preview_issues_title'),
    `<header><strong>${e(t('preview_issues_title'))}</strong><span><a href="/">${e(t('preview_nav_preview'))}</a> · <a href="/archive">${e(t('preview_nav_archive'))}</a> · <a href="/dashboard">${e(t('preview_nav_dashboard'))}</a></span></header><main><h1>${e(t('preview_issues_title'))}</h1>${
      rows
        ? `<table id="issues"><tr>${['preview_issues_issue', 'preview_issues_newsletter', 'preview_issues_slot', 'preview_issues_state', 'preview_issues_articles', 'preview_issues_approved_by'].map(th).join('')}</tr>${rows}</table>`
        : `<p class="muted">${e(t('preview_no_issues'))}</p>`
    }</main>`,
    { text },
  );
}
