import { editorTime } from '../domain/dates.js';
import { escapeHtml as e } from '../domain/html.js';
import type { Preview } from './preview-issue.js';
import { ENGLISH, type ChromeText } from './chrome-text.js';
import { isRtl } from '../domain/locale.js';

const STYLE = `
  body { font: 14px/1.45 -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0; color: #1f2933; background: #f4f5f7; }
  header { background: #102a43; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header a { color: #bcccdc; } header form { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
  main { padding: 16px; } h2 { font-size: 15px; margin: 18px 0 6px; }
  .frames { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
  .frames figure { margin: 0; } .frames figcaption { color: #52606d; font-size: 12px; }
  iframe { background: #fff; border: 1px solid #cbd2d9; height: 900px; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid #cbd2d9; padding: 12px; max-width: 78ch; }
  table { border-collapse: collapse; background: #fff; } td { border: 1px solid #e4e7eb; padding: 3px 8px; vertical-align: top; }
  .error { background: #fde8e8; border: 1px solid #f8b4b4; color: #9b1c1c; padding: 12px; white-space: pre-wrap; font-family: ui-monospace, monospace; }
  .warn { background: #fdf6b2; border: 1px solid #faca15; padding: 8px 12px; }
  .muted { color: #52606d; }
  #review { background: #fff; border: 1px solid #cbd2d9; padding: 4px 16px 12px; max-width: 100ch; }
  #review li { margin: 4px 0; } form.inline { display: inline; } form.inline button { margin-inline-start: 4px; }
  .locale-edit { margin: 8px 0; } #approve { font-size: 15px; padding: 6px 14px; background: #1d4ed8; color: #fff; border: 0; border-radius: 4px; margin: 8px 0; }
`;

/** Reloads the page when the server says a watched file changed. */
const LIVE_RELOAD = `<script>new EventSource('/events').onmessage = (m) => { if (m.data === 'reload') location.reload(); };</script>`;

/** A page of the preview; `liveReload: false` for the sign-in page, whose event stream would be refused. */
export function shell(title: string, body: string, options: { liveReload?: boolean; text?: Pick<ChromeText, 'lang' | 'dir'> } = {}): string {
  const live = options.liveReload === false ? '' : LIVE_RELOAD;
  const { lang, dir } = options.text ?? { lang: 'en', dir: 'ltr' };
  return `<!doctype html><html lang="${e(lang)}" dir="${dir}"><head><meta charset="utf-8"><title>${e(title)}</title><style>${STYLE}</style></head><body>${body}${live}</body></html>`;
}

/** The same-origin token every form that changes something carries (see same-origin.ts). */
export function tokenField(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${e(csrf)}">`;
}

export interface PageOptions {
  query: string; // the current query string, to build the frame URLs
  readers: { email: string; name: string }[];
  readerParam: string;
  /** The time zone typed in the page ('' for the reader's own), and what is wrong with it. */
  tzParam: string;
  tzProblem?: string;
  view: 'both' | 'desktop' | 'mobile';
  newsletters: { id: string; name: string }[];
  sent?: string;
  /** The same-origin token for the page's forms. */
  csrf: string;
  /** Editors signed in with the preview password: show a button to sign out. */
  signOut?: boolean;
  /** Who is signed in, shown beside the button. */
  editor?: string;
  /** The issue shown (?issue=N), kept when the controls change. */
  issueParam?: string;
  /** The editors' review panel of a draft (review-panel.ts), above the email. */
  review?: string;
  /** The chrome's words, in the editor's browser language. */
  text?: ChromeText;
}

export function previewPage(p: Preview, o: PageOptions): string {
  const n = p.newsletter;
  const text = o.text ?? ENGLISH;
  const { t } = text;
  // What comes from the email reads in the email's language and direction, whatever the chrome's.
  const mailLang = `lang="${e(p.locale)}" dir="${isRtl(p.locale) ? 'rtl' : 'ltr'}"`;
  const sel = (a: string, b: string) => (a === b ? ' selected' : '');
  const locales = n.locales.supported.map((l) => `<option value="${e(l)}"${sel(l, p.locale)}>${e(l)}</option>`).join('');
  const readers = [
    `<option value="">${e(t('preview_sample_reader'))}</option>`,
    `<option value="custom"${sel('custom', o.readerParam)}>${e(t('preview_custom_reader'))}</option>`,
    ...o.readers.map((r) => `<option value="${e(r.email)}"${sel(r.email, o.readerParam)}>${e(r.name || r.email)} &lt;${e(r.email)}&gt;</option>`),
  ].join('');
  const custom = o.readerParam === 'custom' ? `<input name="name" placeholder="name" value="${e(p.reader.name)}"><input name="email" placeholder="email" value="${e(p.reader.email)}">` : '';
  // Typed (any name Intl accepts, old ones too) or picked from Intl's list, which lacks UTC.
  // Blank is the reader's own zone, else the newsletter's.
  const zones = `<datalist id="zones">${['UTC', ...Intl.supportedValuesOf('timeZone')].map((z) => `<option value="${e(z)}">`).join('')}</datalist>`;
  const tz = `<label>${e(t('preview_timezone'))} <input name="tz" list="zones" size="18" value="${e(o.tzParam)}" placeholder="${e(p.reader.timezone || n.timezone)}" onchange="this.form.submit()"></label>${zones}`;
  const views = (['both', 'desktop', 'mobile'] as const).map((v) => `<option value="${v}"${sel(v, o.view)}>${e(t(`preview_view_${v}`))}</option>`).join('');
  const header = `<header><strong>${e(n.name)}</strong>
<form method="get" id="controls">
  <label>${e(t('preview_language'))} <select name="locale" onchange="this.form.submit()">${locales}</select></label>
  <label>${e(t('preview_reader'))} <select name="reader" onchange="this.form.submit()">${readers}</select></label>${custom}
  ${tz}
  <label>${e(t('preview_view'))} <select name="view" onchange="this.form.submit()">${views}</select></label>
  ${o.issueParam ? `<input type="hidden" name="issue" value="${e(o.issueParam)}">` : ''}<noscript><button>${e(t('preview_show'))}</button></noscript>
</form>
<span>${o.newsletters.map((x) => `<a href="/n/${encodeURIComponent(x.id)}">${e(x.name)}</a>`).join(' · ')} · <a href="/issues">${e(t('preview_nav_issues'))}</a> · <a href="/mailbox">${e(t('preview_nav_mailbox'))}</a> · <a href="/archive">${e(t('preview_nav_archive'))}</a></span>${
    o.signOut
      ? `<form method="post" action="/sign-out">${tokenField(o.csrf)}<span id="signed-in">${e(t('preview_signed_in', { name: o.editor ?? 'editor' }))}</span> <button>${e(t('preview_sign_out'))}</button></form>`
      : ''
  }</header>`;

  const parts: string[] = [];
  if (o.sent) parts.push(`<p class="warn">${e(o.sent)}</p>`);
  if (o.tzProblem) parts.push(`<p class="warn" id="tz-problem">${e(o.tzProblem)}</p>`);
  if (p.error) parts.push(`<h2>${e(t('preview_template_error'))}</h2><div class="error" id="error">${e(p.error)}</div>`);
  const slotText =
    p.kind === 'next'
      ? e(t('preview_slot_next', { when: editorTime(p.slot, n.timezone, text.lang) }))
      : p.kind === 'draft'
        ? e(t('preview_slot_draft', { id: p.issue!.id, when: editorTime(p.slot, n.timezone, text.lang) }))
        : p.kind === 'last'
          ? e(t('preview_slot_last', { when: editorTime(p.slot, n.timezone, text.lang), last: editorTime(p.issue!.slot, n.timezone, text.lang) }))
          : e(t('preview_slot_none'));
  parts.push(`<p class="muted">${slotText}</p>`);
  if (o.review) parts.push(o.review);
  if (p.missingKeys.length)
    parts.push(`<p class="warn" id="missing-keys">${e(t('preview_missing_keys', { file: `${p.locale}.json`, fallback: n.locales.default, keys: p.missingKeys.join(', ') }))}</p>`);
  for (const w of p.warnings) parts.push(`<p class="warn">MJML: ${e(w)}</p>`);
  if (p.problems.length) parts.push(`<h2>${e(t('preview_input_problems'))}</h2><ul>${p.problems.map((x) => `<li>${e(x.place)}: ${e(x.message)}</li>`).join('')}</ul>`);
  if (p.leftOut.length)
    parts.push(`<h2>${e(t('preview_left_out'))}</h2><ul id="left-out">${p.leftOut.map((x) => `<li>${e(x.id)} — ${e(x.reason)} <span class="muted">${e(x.origin)}</span></li>`).join('')}</ul>`);
  if (p.html) {
    parts.push(`<h2>${e(t('preview_subject'))}</h2><p id="subject" ${mailLang}>${e(p.subject)}</p><h2>${e(t('preview_preheader'))}</h2><p id="preheader" ${mailLang}>${e(p.preheader)}</p>`);
    const frame = (w: number, label: string, id: string) =>
      `<figure><figcaption>${label} · ${w}px</figcaption><iframe id="${id}" title="${label}" width="${w}" src="/html?${e(o.query)}"></iframe></figure>`;
    parts.push(
      `<div class="frames">${o.view !== 'mobile' ? frame(600, t('preview_desktop'), 'desktop') : ''}${o.view !== 'desktop' ? frame(375, t('preview_mobile'), 'mobile') : ''}</div>`,
      `<h2>${e(t('preview_plain_text'))}</h2><pre id="text" ${mailLang}>${e(p.text)}</pre>`,
      `<h2>${e(t('preview_headers'))}</h2><table dir="ltr">${p.headers.map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`).join('')}</table>`,
      `<h2>${e(t('preview_send_test'))}</h2><form method="post" action="/test?${e(o.query)}">${tokenField(o.csrf)}<input type="email" name="to" required placeholder="you@example.org" aria-label="${e(t('preview_send_test'))}"> <button>${e(t('preview_send_test_button'))}</button> <span class="muted">${e(t('preview_send_test_note'))}</span></form>`,
    );
  }
  return shell(`${n.name} · ${t('preview_nav_preview')}`, `${header}<main>${parts.join('\n')}</main>`, { text });
}
