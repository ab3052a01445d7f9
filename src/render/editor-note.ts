import MarkdownIt from 'markdown-it';

/**
 * The editor's note (Markdown) as HTML for the mail: no raw HTML (it is escaped, like article
 * text), no pictures or tables (they need care in mail clients that a note does not get), links
 * only where markdown-it's validator allows them (no javascript:, data: or vbscript:).
 */
const md = new MarkdownIt('default', { html: false, linkify: false, breaks: true, typographer: false }).disable(['image', 'table']);

export function noteHtml(markdown: string): string {
  // The per-reader fill looks for @@NLR_…@@ markers: a note cannot make one.
  return md.render(markdown).replace(/@@/g, '@\u200b@').trim();
}
