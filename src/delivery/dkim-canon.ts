/**
 * DKIM's relaxed canonicalisation (RFC 6376 3.4.2 for header fields, 3.4.4 for the body), byte
 * for byte as nodemailer's signer does it and mailauth's verifier checks it: whitespace (SP, HTAB)
 * at the end of a line is dropped, a run of it within a line becomes one SP, a line ends with
 * CRLF (a bare LF ends a line too, a bare CR is text), empty lines at the end of the body are
 * ignored, a body that does not end with a line break gets one, and an empty body hashes as
 * nothing at all.
 *
 * The body is fed in the pieces a message is made of (delivery/raw-message.ts). What lies
 * between a piece's first and last byte of text (neither whitespace nor a line break) has a
 * canonical form that does not depend on the pieces around it. For a piece the rendering shares
 * with all its readers (`constantParts`, 41 of the 44 KB of a digest) it is worked out once and
 * kept beside the piece; for a reader's own piece, one native scan shows that it is canonical as
 * it is (quoted-printable almost always is). Either way the byte loop sees only the few bytes at
 * the pieces' two ends, and native SHA-256 hashes the rest: about 10 µs of JavaScript a digest
 * here, on top of the 33 µs of hashing 44 KB. SHA-256 cannot start from the middle, and each
 * reader's own bytes begin a few hundred bytes into the body (the greeting), so there is no
 * shared prefix worth a `Hash.copy()`.
 */
import { createHash, type Hash } from 'node:crypto';
import { constantParts } from '../transport/transport.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const CRLF = Buffer.from('\r\n', 'latin1');
/** A run of empty lines that turns out not to be at the end is hashed from this, in slices. */
const EMPTY_LINES = Buffer.alloc(4096, CRLF);

/** Where canonical bytes go: a hash, or a collector (for a shared piece's middle). */
interface Sink {
  update(data: Buffer): unknown;
}

/** One scratch buffer for the byte loop: output is hashed before the loop returns, never kept. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * The state machine of relaxed body canonicalisation, fed any cut of the body: nodemailer's
 * (lib/dkim/relaxed-body), with its output written to a sink.
 */
class RelaxedBody {
  private lineHasContent = false;
  private pendingWsp = false;
  private pendingCr = false;
  private pendingEmptyLines = 0;

  constructor(private readonly sink: Sink) {}

  /** From just after a byte that is text: what the middle of a shared piece starts from. */
  static afterText(sink: Sink): RelaxedBody {
    const body = new RelaxedBody(sink);
    body.lineHasContent = true;
    return body;
  }

  update(chunk: Buffer, start = 0, end = chunk.length): void {
    // each byte gives at most itself and a space, plus a CR carried over from the last piece
    if (scratch.length < 2 * (end - start) + 2) scratch = Buffer.allocUnsafe(2 * (end - start) + 2);
    const out = scratch;
    let n = 0;
    // The state in locals, written back once (V8 keeps them in registers).
    let lineHasContent = this.lineHasContent;
    let pendingWsp = this.pendingWsp;
    let pendingCr = this.pendingCr;
    let emptyLines = this.pendingEmptyLines;
    for (let i = start; i < end; i++) {
      const c = chunk[i]!;
      // Most bytes: text in the middle of a line, nothing pending.
      if (c > SP && lineHasContent && !pendingWsp && !pendingCr) {
        out[n++] = c;
        continue;
      }
      if (c === LF) {
        if (lineHasContent) {
          out[n++] = CR;
          out[n++] = LF;
          lineHasContent = false;
        } else emptyLines++;
        pendingWsp = false;
        pendingCr = false;
        continue;
      }
      if (pendingCr) {
        // not followed by LF: the CR is text
        if (!lineHasContent && emptyLines > 0) {
          n = this.emptyLinesAfter(out, n, emptyLines);
          emptyLines = 0;
        }
        lineHasContent = true;
        if (pendingWsp) out[n++] = SP;
        pendingWsp = false;
        out[n++] = CR;
        pendingCr = false;
      }
      if (c === CR) pendingCr = true;
      else if (c === SP || c === TAB) pendingWsp = true;
      else {
        if (!lineHasContent && emptyLines > 0) {
          n = this.emptyLinesAfter(out, n, emptyLines);
          emptyLines = 0;
        }
        lineHasContent = true;
        if (pendingWsp) out[n++] = SP;
        pendingWsp = false;
        out[n++] = c;
      }
    }
    this.lineHasContent = lineHasContent;
    this.pendingWsp = pendingWsp;
    this.pendingCr = pendingCr;
    this.pendingEmptyLines = emptyLines;
    if (n > 0) this.sink.update(out.subarray(0, n));
  }

  /** The end of the body: a CR still pending is text, and a last line without a break gets one. */
  end(): void {
    if (this.pendingCr) {
      let n = this.lineHasContent ? 0 : this.emptyLinesAfter(scratch, 0, this.pendingEmptyLines);
      if (this.pendingWsp) scratch[n++] = SP;
      scratch[n++] = CR;
      this.sink.update(scratch.subarray(0, n));
      this.lineHasContent = true;
      this.pendingCr = this.pendingWsp = false;
      this.pendingEmptyLines = 0;
    }
    if (this.lineHasContent) this.sink.update(CRLF);
  }

  /**
   * Text starts a line after `count` empty lines: they were not at the end of the body after all,
   * so they are hashed, after the `n` bytes `out` holds so far. Returns what `out` then holds.
   */
  private emptyLinesAfter(out: Buffer, n: number, count: number): number {
    if (n > 0) this.sink.update(out.subarray(0, n));
    for (let left = count; left > 0; left -= EMPTY_LINES.length / 2) {
      this.sink.update(EMPTY_LINES.subarray(0, 2 * Math.min(left, EMPTY_LINES.length / 2)));
    }
    return 0;
  }
}

/**
 * Every branch of the loop run once on a few bytes, for both kinds of sink, before any long body:
 * V8 compiles a long first loop on the stack (OSR) before the code after it has run, and that code
 * then fell back to the interpreter at the end of every later call (measured: 540 against 45 µs
 * for 36 KB, node 20). With the feedback there first, it is compiled whole.
 */
const sample = Buffer.from(' a  b\t\r\n\r\n\rc \r\nd\n\ne\r', 'latin1');
for (let i = 0; i < 64; i++) {
  // V8 records feedback only once a function has run a few times
  const body = new RelaxedBody(i % 2 ? createHash('sha256') : { update: (b: Buffer) => b.length });
  body.update(sample);
  body.end();
}

/**
 * A shared piece, canonicalised once: `first` and `last` are its first and last bytes that are
 * neither whitespace nor CR nor LF (-1: it has none), and `middle` is the canonical form of what
 * lies after `first` up to `last` included, which only those bytes decide.
 */
interface PieceSummary {
  first: number;
  last: number;
  middle: Buffer;
}
const summaries = new WeakMap<Buffer, PieceSummary>();

const isBlank = (c: number): boolean => c === SP || c === TAB || c === CR || c === LF;

/** The first byte of text at or after `from`, or -1. */
function firstText(piece: Buffer, from: number): number {
  while (from < piece.length && isBlank(piece[from]!)) from++;
  return from < piece.length ? from : -1;
}

/** The last byte of text (there is one: see firstText). */
function lastText(piece: Buffer): number {
  let last = piece.length - 1;
  while (isBlank(piece[last]!)) last--;
  return last;
}

/** What relaxed canonicalisation would change between two bytes of text: HTAB, a run of spaces, a space before a line break, a CR or LF not in CRLF. */
const NOT_CANONICAL = /\t| [ \r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * Whether the bytes from `from` to `to`, which lie between two bytes of text, are canonical as
 * they are: then each space is followed by text, each line break is a CRLF, and an empty line is
 * followed by more text (it is not at the end), so relaxed canonicalisation leaves every byte. A
 * quoted-printable body almost always is. One native regular-expression scan: 3 ns a byte here,
 * where the byte loop takes about 10.
 */
function canonicalBetweenText(piece: Buffer, from: number, to: number): boolean {
  return !NOT_CANONICAL.test(piece.toString('latin1', from, to));
}

function summarise(piece: Buffer): PieceSummary {
  const first = firstText(piece, 0);
  if (first < 0) return { first: -1, last: -1, middle: Buffer.alloc(0) };
  const last = lastText(piece);
  // Most of a quoted-printable body is canonical already: then the piece itself is hashed.
  if (canonicalBetweenText(piece, first + 1, last + 1)) return { first, last, middle: piece.subarray(first + 1, last + 1) };
  const chunks: Buffer[] = [];
  // the loop's output lives in the shared scratch buffer: keep copies
  RelaxedBody.afterText({ update: (b: Buffer) => chunks.push(Buffer.from(b)) }).update(piece, first + 1, last + 1);
  return { first, last, middle: Buffer.concat(chunks) };
}

/** The relaxed body hash (base64) of a body given in pieces. */
export class RelaxedBodyHash {
  private readonly hash: Hash;
  private readonly body: RelaxedBody;

  constructor(algorithm = 'sha256') {
    this.hash = createHash(algorithm);
    this.body = new RelaxedBody(this.hash);
  }

  /** The next bytes of the body; a piece in `constantParts` is canonicalised once, for every message that has it. */
  update(piece: Buffer, start = 0): this {
    let first: number;
    let last: number;
    let middle: Buffer | undefined;
    if (start === 0 && constantParts.has(piece)) {
      let s = summaries.get(piece);
      if (!s) summaries.set(piece, (s = summarise(piece)));
      ({ first, last, middle } = s);
    } else {
      // A reader's own bytes: the same split, not kept, and the loop only where it must.
      first = firstText(piece, start);
      last = first < 0 ? -1 : lastText(piece);
      if (last - first > 16 && canonicalBetweenText(piece, first + 1, last + 1)) middle = piece.subarray(first + 1, last + 1);
    }
    if (first < 0 || middle === undefined) {
      this.body.update(piece, start);
      return this;
    }
    // Through its first byte of text the loop decides (it depends on what came before); after
    // that byte, and again after the last, the state is the same whatever came before.
    this.body.update(piece, start, first + 1);
    if (middle.length > 0) this.hash.update(middle);
    this.body.update(piece, last + 1);
    return this;
  }

  digest(): string {
    this.body.end();
    return this.hash.digest('base64');
  }
}

/**
 * Where the header of a message ends: the index just after the empty line that closes it (CRLF
 * CRLF, or LF LF), or -1 when there is none (then it is all header, as nodemailer reads it).
 */
export function headerEnd(bytes: Buffer): number {
  for (let i = bytes.indexOf(LF); i > 0; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i - 1] === LF || (bytes[i - 1] === CR && i > 1 && bytes[i - 2] === LF)) return i + 1;
  }
  return -1;
}

/** The relaxed form of a field's value (RFC 6376 3.4.2): unfolded, each run of SP/HTAB one SP, none at either end. */
export function relaxedValue(field: string): string {
  let v = field.slice(field.indexOf(':') + 1);
  if (v.includes('\n')) v = v.replace(/\r?\n/g, '');
  if (v.includes('\t') || v.includes('  ')) v = v.replace(/[ \t]+/g, ' ');
  if (v.startsWith(' ')) v = v.slice(1);
  return v.endsWith(' ') ? v.slice(0, -1) : v;
}

/** Field names as written → lower case without the SP/HTAB around them (not `trim()`: other spaces are not DKIM's whitespace). */
const fieldNames = new Map<string, string>();

function fieldName(written: string): string {
  let name = fieldNames.get(written);
  if (name === undefined) {
    name = written
      .replace(/^[ \t]+/, '')
      .replace(/[ \t]+$/, '')
      .toLowerCase();
    // a bound, against a stream of made-up names
    if (fieldNames.size < 1000) fieldNames.set(written, name);
  }
  return name;
}

const wantedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The signed header fields in relaxed form, each ending in CRLF, and their names for `h=`: of
 * `names` (lower case, in the order given), those the header has, each its last occurrence (the
 * one a verifier takes first, RFC 6376 5.4.2). `header` is the header's bytes as latin1, so each
 * character is one byte and the signature covers exactly the bytes sent. A line that starts with
 * SP or HTAB continues the field above it; a line of nothing but whitespace is no field.
 */
export function relaxedHeaders(header: string, names: readonly string[]): { canonical: string; signed: string[] } {
  let wanted = wantedSets.get(names);
  if (!wanted) wantedSets.set(names, (wanted = new Set(names)));
  const found = new Map<string, string>();
  const length = header.length;
  let from = 0;
  while (from < length) {
    // the field's end: a line break not followed by SP or HTAB
    let eol = header.indexOf('\n', from);
    while (eol >= 0 && eol + 1 < length && (header.charCodeAt(eol + 1) === SP || header.charCodeAt(eol + 1) === TAB)) eol = header.indexOf('\n', eol + 1);
    if (eol < 0) eol = length;
    const field = header.slice(from, eol > from && header.charCodeAt(eol - 1) === CR ? eol - 1 : eol);
    from = eol + 1;
    const colon = field.indexOf(':');
    const name = fieldName(colon < 0 ? field : field.slice(0, colon));
    // (a field of nothing but whitespace has no name, so it is never one of these)
    if (wanted.has(name)) found.set(name, field);
  }
  let canonical = '';
  const signed: string[] = [];
  for (const name of names) {
    const f = found.get(name);
    if (f === undefined) continue;
    signed.push(name);
    canonical += `${name}:${relaxedValue(f)}\r\n`;
  }
  return { canonical, signed };
}
