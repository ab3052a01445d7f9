/**
 * The direction of a text whose language is not known (a scraped page, a feed without
 * `xml:lang`): that of its first strongly directional character, as HTML's `dir="auto"` decides
 * (Unicode bidi rule P2). Knowing it when the mail is built, and not only in the reader's
 * client, lets its card be aligned to its own start side, which `dir="auto"` cannot do in
 * clients that ignore it (Outlook on Windows).
 */
const STRONG_RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]|\uD802[\uDC00-\uDFFF]|\uD803[\uDC00-\uDFFF]|\uD83A[\uDC00-\uDFFF]|\uD83B[\uDC00-\uDFFF]/;
const STRONG_ANY = /[A-Za-z\u00C0-\u02AF\u0370-\u058F\u0590-\u08FF\u0900-\u1FFF\u2C00-\uD7FF\uF900-\uFB4F\uFB50-\uFDFF\uFE70-\uFEFF]|[\uD800-\uDBFF][\uDC00-\uDFFF]/;

export function textDirection(text: string): 'ltr' | 'rtl' | undefined {
  const first = STRONG_ANY.exec(text);
  if (!first) return undefined;
  return STRONG_RTL.test(first[0]) ? 'rtl' : 'ltr';
}
