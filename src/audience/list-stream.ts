import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Problem } from '../domain/errors.js';
import { AddressIndex } from './address-index.js';
import { CsvRowReader, type CsvRow } from './csv-rows.js';
import { badRowProblem, duplicateProblem, ListRows, readHeader, type ListEntry } from './list-file.js';

/** SHA-256 of a file's bytes, read as a stream, and how many bytes there were. */
export async function fileFingerprint(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** How many of a file's first lines are kept as they stand, for reading its header (`readHeader`). */
const HEAD_LINES = 64;

/**
 * Every row of a CSV file in order (csv-rows.ts), and the file's fingerprint once the last was
 * read; `head`, when given, gets the file's first lines as they stand.
 */
async function* records(path: string, rowStart: (line: string) => boolean, fingerprint: { value?: string }, head?: string[]): AsyncGenerator<CsvRow> {
  const hash = createHash('sha256');
  const input = createReadStream(path);
  input.on('data', (chunk) => hash.update(chunk as Buffer));
  // Line by line (LF, CR LF or CR); bytes that are not UTF-8 become U+FFFD, which the reader reports.
  const lines = createInterface({ input, crlfDelay: Infinity });
  const reader = new CsvRowReader(rowStart);
  try {
    for await (const line of lines) {
      if (head && head.length < HEAD_LINES) head.push(line);
      yield* reader.push(line);
    }
    yield* reader.end();
    fingerprint.value = hash.digest('hex');
  } finally {
    lines.close();
    input.destroy();
  }
}

export interface ListChunk {
  entries: ListEntry[];
  problems: Problem[];
}

export interface ListReadResult {
  /** Readers (distinct valid addresses) in the file. */
  rows: number;
  /** SHA-256 of the bytes read; undefined when the file changed between the two passes (its entries may be incomplete). */
  fingerprint?: string;
  /** Set when the header cannot be read (`readHeader`: another separator, UTF-16, a missing column): nothing was yielded. */
  refused?: Problem;
}

/**
 * Reads a subscriber list in chunks without holding it: the same entries and problems as
 * `parseListFile`, in file order. Memory stays flat in the list's size except for an index of
 * 11–21 bytes per address (address-index.ts).
 *
 * Two passes. The first reads the header (a file whose header cannot be read is refused whole,
 * before anything is applied: `readHeader`) and notes the last row of each address; a row that is
 * not valid CSV is reported (in the second pass) and skipped. The second
 * yields each address at its last record only, so "the later row wins" holds across chunks as it
 * does in memory; an earlier row is reported as a duplicate, as `parseListFile` does.
 */
export async function readListFile(
  path: string,
  file: string,
  defaultSource: string,
  onChunk: (chunk: ListChunk) => Promise<void>,
  // 500 readers a transaction: at 2,000 the list sync of a million readers peaked about 30 MB higher, no faster.
  chunkSize = 500,
): Promise<ListReadResult> {
  const last = new AddressIndex();
  const first: { value?: string } = {};
  const head: string[] = [];
  let header: ListRows | undefined;
  let headerLine = 0;
  let n = 0;
  for await (const r of records(path, (line) => header?.rowStart(line) ?? false, first, head)) {
    const index = n++;
    if (!header) {
      const read = readHeader(r, head[r.line - 1] ?? '', file, defaultSource, index === 0);
      if (read === 'next') continue;
      if ('refused' in read) return { rows: 0, refused: read.refused };
      header = read.list;
      headerLine = r.line;
    } else if (!('error' in r)) {
      const key = header.key(r.fields);
      if (key !== undefined) last.set(key, index);
    }
  }
  if (!header) return { rows: 0, refused: new ListRows([], file, defaultSource).headerProblem()! };
  const list = header;

  const second: { value?: string } = {};
  // Addresses seen on a row that is not their last, with that row's entry (duplicates only).
  const earlier = new Map<string, ListEntry>();
  let chunk: ListChunk = { entries: [], problems: [] };
  let rows = 0;
  n = 0;
  const add = async (entry: ListEntry) => {
    chunk.entries.push(entry);
    rows++;
    if (chunk.entries.length >= chunkSize) {
      await onChunk(chunk);
      chunk = { entries: [], problems: [] };
    }
  };
  for await (const r of records(path, (line) => list.rowStart(line), second)) {
    const index = n++;
    if (r.line <= headerLine) continue;
    if ('error' in r) {
      chunk.problems.push(badRowProblem(file, r));
      continue;
    }
    const entry = list.entry(r.fields, r.line, chunk.problems);
    if (!entry) continue;
    const before = earlier.get(entry.email);
    if (before !== undefined) chunk.problems.push(duplicateProblem(file, r.line, entry.email, before.line));
    if (last.get(entry.email) !== index) {
      // A later row of the file stands for this address (or, rarely, for one whose hash collides with it).
      earlier.set(entry.email, entry);
      continue;
    }
    earlier.delete(entry.email);
    await add(entry);
  }
  // Left here only after a hash collision, or when the file changed between the passes: their last row.
  for (const entry of earlier.values()) await add(entry);
  const changed = first.value !== second.value;
  if (changed) chunk.problems.push({ place: file, message: 'the file changed while it was read; what was read is applied, and the file is read again at the next sync' });
  await onChunk(chunk);
  return { rows, ...(changed ? {} : { fingerprint: second.value }) };
}
