/**
 * HTML from feeds is untrusted: it is first reduced by sanitize-html to a safe subset (no
 * script, style, iframe, event handlers or javascript: links), and only then turned into plain
 * text with html-to-text. Readers only ever see the plain text; the sanitised HTML is never shown.
 */
import sanitizeHtml from 'sanitize-html';
import { convert, type SelectorDefinition } from 'html-to-text';

const BLOCKS = ['p', 'div', 'section', 'article', 'header', 'footer', 'aside', 'main', 'blockquote', 'pre',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'figure', 'figcaption',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'hr'];
const INLINES = ['a', 'b', 'strong', 'i', 'em', 'u', 's', 'small', 'sub', 'sup', 'mark', 'q', 'cite', 'abbr',
  'code', 'kbd', 'span', 'time', 'br', 'img'];

const SAFE_SUBSET: sanitizeHtml.IOptions = {
  allowedTags: [...BLOCKS, ...INLINES],
  allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Their text must not leak into an article: code, styles, embedded documents, form widgets.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'select', 'button', 'noscript', 'iframe', 'frame',
    'frameset', 'object', 'embed', 'applet', 'template', 'svg', 'math', 'canvas', 'audio', 'video', 'head', 'title'],
};

/** The safe subset of a feed's HTML: structure, links and images only, no attributes that run code. */
export function sanitizeFeedHtml(html: string): string {
  return sanitizeHtml(escapeStrayLessThan(html), SAFE_SUBSET);
}

/**
 * Feeds often carry text such as "x<y" inside HTML; an HTML parser would read "<y …" as a tag and
 * drop the rest of the sentence. A "<" that does not open a tag, comment or declaration is escaped.
 */
function escapeStrayLessThan(html: string): string {
  return html.replace(/<(?!\/?[a-z][a-z0-9:-]*(?:\s[^<>]*)?\/?>|!--[\s\S]*?-->|![a-z[][^<>]*>|\?[^<>]*\?>)/gi, '&lt;');
}

const PARAGRAPH = { leadingLineBreaks: 2, trailingLineBreaks: 2 };
const LINE = { leadingLineBreaks: 1, trailingLineBreaks: 1 };

const TO_TEXT: SelectorDefinition[] = [
  { selector: 'a', options: { ignoreHref: true } },
  { selector: 'img', format: 'skip' },
  { selector: 'hr', format: 'skip' },
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', 'section', 'article', 'header', 'footer', 'aside', 'main',
    'blockquote', 'pre', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'figure', 'figcaption', 'table', 'caption']
    .map((selector) => ({ selector, format: 'block', options: PARAGRAPH })),
  ...['tr', 'td', 'th'].map((selector) => ({ selector, format: 'block', options: LINE })),
];

function toText(safeHtml: string): string {
  return convert(safeHtml, { wordwrap: false, preserveNewlines: false, selectors: TO_TEXT });
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Plain-text paragraphs of a piece of feed HTML (sanitised first). */
export function htmlParagraphs(html: string): string[] {
  return splitParagraphs(toText(sanitizeFeedHtml(html)));
}

/** Plain-text paragraphs of plain text: blank lines separate them. */
export function textParagraphs(text: string): string[] {
  return splitParagraphs(text);
}

function splitParagraphs(text: string): string[] {
  return text.split(/\n[^\S\n]*\n/).map(collapse).filter((p) => /[\p{L}\p{N}]/u.test(p));
}

/**
 * One line of plain text (a title, an author) from a feed value: entities are decoded, and when
 * the value may carry markup its tags are stripped. In plain text a "<" stays a "<".
 */
export function plainLine(value: string, mayBeHtml: boolean): string {
  const html = mayBeHtml
    ? sanitizeHtml(escapeStrayLessThan(value), { ...SAFE_SUBSET, allowedTags: [], allowedAttributes: {} })
    : value.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return collapse(toText(html));
}
