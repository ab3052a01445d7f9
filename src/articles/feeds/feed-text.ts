/**
 * Bytes of a feed → text. The order of the sources of the charset is RFC 7303's for XML media
 * types (§ 8.1, "XML and MIME processors"):
 * 1. a byte order mark, because it is part of the bytes and cannot lie about them; a document
 *    that starts with "<?" in UTF-16 without a mark counts as marked too (XML 1.0 appendix F),
 *    since no document in an ASCII-compatible encoding can start with a NUL byte;
 * 2. the charset parameter of the HTTP Content-Type, because the server may have transcoded the
 *    document without rewriting its declaration;
 * 3. the encoding of the XML declaration;
 * 4. UTF-8, the default of XML and the only encoding of JSON Feed.
 * A "text/*" type without a charset does not mean US-ASCII here: RFC 7303 § 3 dropped that rule
 * of RFC 3023. A label TextDecoder does not know is passed over for the next source rather than
 * failing the feed. TextDecoder follows the WHATWG Encoding Standard, so "ISO-8859-1" and
 * "US-ASCII" decode as windows-1252, as browsers do and as real "Latin-1" feeds need (their
 * curly quotes are windows-1252 bytes).
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType?: string | null): string {
  const encoding = feedEncoding(bytes, contentType);
  if (encoding === 'windows-1252') return decodeWindows1252(bytes);
  return new TextDecoder(encoding).decode(bytes);
}

/**
 * What windows-1252 puts at 0x80–0x9F (WHATWG index-windows-1252); the five bytes it leaves
 * undefined keep their C1 code point, as the Encoding Standard says.
 */
const WINDOWS_1252_C1 = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252 by hand: Node 20 since 20.18.3 decodes it (and so "ISO-8859-1" and "US-ASCII",
 * its labels) as ISO-8859-1, turning the curly quotes, dashes and euro signs of every "Latin-1"
 * feed into invisible C1 controls (nodejs/node#60888). Outside 0x80–0x9F the two are the same.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** The encoding the bytes are decoded with, by its Encoding Standard name ("windows-1252", "utf-16le"). */
export function feedEncoding(bytes: Uint8Array, contentType?: string | null): string {
  for (const label of [byteOrderMark(bytes) ?? utf16WithoutMark(bytes), headerCharset(contentType), declaredEncoding(bytes)]) {
    const decoder = label ? decoderFor(label) : undefined;
    if (decoder) return decoder.encoding;
  }
  return 'utf-8';
}

function decoderFor(label: string): TextDecoder | undefined {
  try {
    const decoder = new TextDecoder(label);
    // The Encoding Standard maps unsafe labels (ISO-2022-KR, HZ…) to a decoder that yields one U+FFFD.
    return decoder.encoding === 'replacement' ? undefined : decoder;
  } catch {
    return undefined;
  }
}

function byteOrderMark(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/** The charset parameter of a Content-Type header (`text/xml; charset="ISO-8859-1"`). */
export function headerCharset(contentType: string | null | undefined): string | undefined {
  return /;\s*charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
}

/** The encoding of an XML declaration written in an ASCII-compatible encoding. */
function declaredEncoding(b: Uint8Array): string | undefined {
  const head = Buffer.from(b.subarray(0, 300)).toString('latin1');
  const label = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  // A UTF-16 document cannot state its own encoding in ASCII: "utf-16" here means the bytes lie.
  return label && /^utf-?16/i.test(label) ? undefined : label;
}

/** "<?" as UTF-16 without a byte order mark. */
function utf16WithoutMark(b: Uint8Array): string | undefined {
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return 'utf-16le';
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return 'utf-16be';
  return undefined;
}
