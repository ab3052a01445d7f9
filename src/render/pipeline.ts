/**
 * Rendering, as pure steps in this order:
 *   1. view      buildIssueView: issue data for one locale, reader values as sentinels   (view.ts)
 *   2. fill      Handlebars (strict) fills the layout with the view → MJML text
 *   3. compile   MJML 5 in strict validation → minified HTML, once per (issue, locale); then corrected
 *                (correctMjmlHtml: neutral preheader, valid <img>, the dark-mode class on the wrapper)
 *   4. text      html-to-text on that HTML → the plain-text part, links listed
 *   5. reader    per recipient, only the reader's values go in                          (reader-fill.ts)
 * Steps 1-4 run once per (issue, locale); step 5 runs per reader and costs microseconds.
 */
import Handlebars from 'handlebars';
import { convert } from 'html-to-text';
import type { Issue } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { createMessages } from './messages.js';
import { compileInThread, MjmlCompileError } from './mjml-thread.js';
import { forLocale } from '../domain/review.js';
import type { TemplateFiles } from './template-files.js';
import { buildIssueView, type IssueView } from './view.js';
import { fill, sentinel, toFillTemplate, type FillTemplate, type ReaderValues } from './reader-fill.js';
import { escapeHtml } from '../domain/html.js';

export interface LocaleRendering {
  locale: string;
  dir: 'ltr' | 'rtl';
  subject: string;
  html: FillTemplate;
  text: FillTemplate;
  /** Locale keys missing in this locale and taken from the default one. */
  missingKeys: string[];
  /** MJML warnings that strict mode did not refuse (none today; kept for the preview). */
  warnings: string[];
  greeting: (name: string) => string;
}

export interface RenderedForReader {
  subject: string;
  html: string;
  text: string;
}

function templateError(file: string, source: string, e: unknown): NewsletterError {
  const msg = (e as Error).message;
  // Handlebars reports "Parse error on line N" or, in strict mode, `"x" not defined in … - L:C`.
  const parseLine = /on line (\d+)/.exec(msg)?.[1];
  const strictPos = /- (\d+):(\d+)$/.exec(msg);
  const line = parseLine ?? strictPos?.[1];
  let detail = msg.split('\n')[0]!;
  if (strictPos) {
    // Strict mode names only the last segment ("name"); show the whole expression as written.
    const text = source.split('\n')[Number(strictPos[1]) - 1] ?? '';
    const col = Number(strictPos[2]);
    const open = text.lastIndexOf('{{', col + 2);
    const close = text.indexOf('}}', col);
    const expr = open >= 0 && close > open ? text.slice(open, close + 2) : '';
    detail = `unknown variable in ${expr || `column ${col}`} (misspelt? strict mode refuses names the template data does not have)`;
  }
  return new NewsletterError(ErrorCodes.TEMPLATE_INVALID, detail, { place: line ? `${file}:${line}` : file, cause: e });
}

type Translate = (key: string, values?: Record<string, unknown>) => string;

/**
 * The layout and partials compiled once per set of template files, not per rendering: compiling
 * took 20 of the 32 ms a rendering spends on the main thread, and an issue is rendered once per
 * (locale, time zone, topic choice), 12 times for the bench's list. The locale's `t` comes with
 * each call in Handlebars' data frame (`@_t`), which reaches partials and blocks.
 */
const compiledLayouts = new WeakMap<TemplateFiles, Handlebars.TemplateDelegate>();

function compiledLayout(files: TemplateFiles): Handlebars.TemplateDelegate {
  let layout = compiledLayouts.get(files);
  if (layout) return layout;
  const hb = Handlebars.create();
  hb.registerHelper('t', (key: string, options: Handlebars.HelperOptions) => (options.data._t as Translate)(key, options.hash as Record<string, unknown>));
  // {{attr "company"}}: a column of the reader's list row, filled per reader (empty when absent).
  hb.registerHelper('attr', (name: unknown) => {
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`attr needs a column name in lower case, e.g. {{attr "company"}}; got ${String(name)}`);
    return sentinel(`attr_${name}`);
  });
  for (const p of files.partials) {
    let compiled: Handlebars.TemplateDelegate;
    try {
      compiled = hb.compile(p.source, { strict: true });
    } catch (e) {
      throw templateError(p.file, p.source, e);
    }
    // Wrapped so that an error inside a partial names the partial's file, not the layout's.
    hb.registerPartial(p.name, (context: unknown, options?: Handlebars.RuntimeOptions) => {
      try {
        return compiled(context, options);
      } catch (e) {
        throw e instanceof NewsletterError ? e : templateError(p.file, p.source, e);
      }
    });
  }
  layout = hb.compile(files.layout.source, { strict: true });
  compiledLayouts.set(files, layout);
  return layout;
}

/** Step 2: Handlebars, strict, with `t` for locale strings; partials from the template folder. */
export function fillLayout(files: TemplateFiles, view: IssueView, t: Translate): string {
  try {
    return compiledLayout(files)(view, { data: { _t: t } });
  } catch (e) {
    if (e instanceof NewsletterError) throw e;
    throw locateUndefinedPath(files, view, e) ?? templateError(files.layout.file, files.layout.source, e);
  }
}

/**
 * Strict mode does not cover a helper's arguments: `{{t "intro" count=isue.count}}` fails as a
 * bare "Cannot read properties of undefined (reading 'count')". Find the expression whose first
 * name the data does not have, so the error still names file, line and what to fix.
 */
function locateUndefinedPath(files: TemplateFiles, view: IssueView, err: unknown): NewsletterError | undefined {
  const prop = /Cannot read properties of (?:undefined|null) \(reading '([^']+)'\)/.exec((err as Error).message)?.[1];
  if (!prop) return undefined;
  const known = new Set([...Object.keys(view), ...Object.keys(view.lead ?? {}), 'this', 'root', 'index', 'key', 'first', 'last']);
  for (const f of [files.layout, ...files.partials]) {
    const lines = f.source.split('\n');
    for (let i = 0; i < lines.length; i++) {
      for (const expr of lines[i]!.match(/{{[^}]*}}/g) ?? []) {
        const path = new RegExp(`(?<![\\w.@])([A-Za-z_]\\w*)((?:\\.\\w+)*)\\.${prop}\\b`).exec(expr);
        if (path && !known.has(path[1]!)) {
          return new NewsletterError(ErrorCodes.TEMPLATE_INVALID, `unknown variable "${path[1]}" in ${expr} (misspelt? the template data has no such name)`, {
            place: `${f.file}:${i + 1}`,
            cause: err,
          });
        }
      }
    }
  }
  return undefined;
}

/**
 * MJML hides the preheader in a div with white 1px text. SpamAssassin scores that as hidden
 * text (HTML_FONT_LOW_CONTRAST 0.7; FONT_INVIS_MSGID 1.0 for `font-size:1px` before a word).
 * The same div with a neutral style hides it as well, Outlook included (mso-hide).
 */
const MJML_PREHEADER = /<div style="display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0px;max-width:0px;opacity:0;overflow:hidden;">/;
export function neutralPreheader(html: string): string {
  return html.replace(MJML_PREHEADER, '<div style="display:none;font-size:0;line-height:0;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">');
}

/**
 * MJML writes `height="auto"` on every image without a fixed height: not a valid attribute value
 * (html-validate: attribute-allowed-values). Without it the image keeps its aspect ratio
 * everywhere (`height:auto` stays in the style; Outlook sizes by the width attribute).
 */
export function validImageHeights(html: string): string {
  return html.replace(/(<img\b[^>]*?) height="auto"/g, '$1');
}

/**
 * MJML repeats mj-body's light background inline on the div it wraps the mail in (for Gmail,
 * which drops <body>), but puts mj-body's css-class on <body> only: in dark mode that div stays
 * light under the masthead and footer while their links turn pale. The div gets the class too.
 */
export function darkModeWrapper(html: string): string {
  const bodyClass = /<body class="([^"]+)"/.exec(html)?.[1];
  if (!bodyClass) return html;
  return html.replace(/<div (aria-label="[^"]*" aria-roledescription="email" role="article")/, `<div class="${bodyClass}" $1`);
}

/** What step 3 does to MJML's HTML, in order (the doctype as HTML writes it: html-validate's doctype-style). */
export function correctMjmlHtml(html: string): string {
  return darkModeWrapper(validImageHeights(neutralPreheader(html))).replace(/^<!doctype html>/, '<!DOCTYPE html>');
}

/** Step 3: MJML in strict validation (in a worker thread: mjml-thread.ts); any validation error refuses the template. */
export async function compileMjml(mjml: string, file: string): Promise<{ html: string; warnings: string[] }> {
  try {
    // Minified by MJML's own minifier (htmlnano, whitespace only: the CSS stays as written). The
    // indentation was a quarter of the HTML, paid per reader on the wire and in the inbox
    // (Gmail clips a message past 102 KB): 55 to 43 KB per sample message, (d) about +30 %.
    const result = await compileInThread(mjml, { validationLevel: 'strict', keepComments: false, filePath: file, minify: true, minifyOptions: { minifyCss: false } });
    return { html: correctMjmlHtml(result.html), warnings: result.warnings };
  } catch (e) {
    // The worker gone is not the template's fault: thrown on as it is, not as a broken template.
    if (!(e instanceof MjmlCompileError)) throw e;
    const errors = e.errors;
    if (errors?.length) {
      const lines = errors.map((x) => `line ${x.line} of the filled MJML (${x.tagName}): ${x.message}`);
      throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, `MJML validation failed:\n  ${lines.join('\n  ')}`, { place: file, cause: e });
    }
    throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, `MJML could not compile: ${(e as Error).message}`, { place: file, cause: e });
  }
}

/** Step 4: the plain-text part, with links listed after their text and the hidden preheader left out. */
export function htmlToText(html: string): string {
  return (
    convert(html, {
      wordwrap: 78,
      selectors: [
        { selector: 'img', format: 'skip' },
        { selector: 'div[style*="display:none"]', format: 'skip' },
        { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
        { selector: 'h1', options: { uppercase: false } },
        { selector: 'h2', options: { uppercase: false } },
        { selector: 'h3', options: { uppercase: false } },
        { selector: 'table', format: 'block' },
        { selector: 'tr', format: 'block' },
        { selector: 'td', format: 'block' },
      ],
    })
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}

export interface RenderInput {
  issue: Issue;
  newsletter: NewsletterConfig;
  locale: string;
  /** Dates are shown in this zone (the reader's); default the newsletter's. */
  timezone?: string;
  files: TemplateFiles;
  publicUrl: string;
  /** A welcome mail: a welcome (locale key welcome_intro) above the issue, and welcome_subject. */
  welcome?: boolean;
}

/** Steps 1-4 for one (issue, locale). */
export async function renderLocale({ issue, newsletter, locale, timezone, files, publicUrl, welcome }: RenderInput): Promise<LocaleRendering> {
  const messages = createMessages(locale, files.catalogs, newsletter.locales.default, files.localeFile);
  const view = buildIssueView(issue, newsletter, locale, publicUrl, timezone);
  if (welcome) {
    try {
      view.welcome = { intro: messages.t('welcome_intro', { newsletter: newsletter.name }), archive: messages.t('welcome_archive'), archiveUrl: `${publicUrl}/?lang=${encodeURIComponent(locale)}` };
    } catch (e) {
      throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, (e as Error).message, { place: files.localeFile(locale) });
    }
  }
  const tSafe = (key: string, values?: Record<string, unknown>) => {
    try {
      return messages.t(key, values);
    } catch (e) {
      throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, (e as Error).message, { place: files.localeFile(locale) });
    }
  };
  const mjml = fillLayout(files, view, tSafe);
  const { html, warnings } = await compileMjml(mjml, files.layout.file);
  // An editor's subject for this locale stands instead of the locale file's (domain/review.ts).
  const subject = welcome
    ? tSafe('welcome_subject', { newsletter: newsletter.name })
    : (forLocale(issue.review?.subject, locale, newsletter.locales.default) ?? tSafe('subject', { newsletter: newsletter.name, date: view.issue.date, count: view.issue.count }));
  // Resolve the greetings now, so a missing key is reported at render time, not per reader.
  tSafe('greeting', { name: '' });
  tSafe('greeting_anonymous');
  return {
    locale,
    dir: view.dir,
    subject,
    html: toFillTemplate(html),
    text: toFillTemplate(htmlToText(html)),
    missingKeys: [...messages.missing].sort(),
    warnings,
    greeting: (name) => (name ? tSafe('greeting', { name }) : tSafe('greeting_anonymous')),
  };
}

/** Step 5: the reader's own values into a locale's rendering. */
export function renderForReader(r: LocaleRendering, values: Omit<ReaderValues, 'greeting'>): RenderedForReader {
  const all: ReaderValues = { ...values, greeting: r.greeting(values.name) };
  return { subject: r.subject, html: fill(r.html, all, escapeHtml), text: fill(r.text, all) };
}
