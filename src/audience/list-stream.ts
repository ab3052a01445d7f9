import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Problem } from '../domain/errors.js';
import { AddressIndex } from './address-index.js';
import { CsvRowReader, type CsvRow } from './csv-rows.js';
import { badRowProblem, duplicateProblem, listRowStart, ListRows, type ListEntry } from './list-file.js';

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

/** Every row of a CSV file in order (csv-rows.ts), and the file's fingerprint once the last was read. */
async function* records(path: string, fingerprint: { value?: string }): AsyncGenerator<CsvRow> {
  const hash = createHash('sha256');
  const input = createReadStream(path);
  input.on('data', (chunk) => hash.update(chunk as Buffer));
  // Line by line (LF, CR LF or CR); bytes that are not UTF-8 become U+FFFD, which the reader reports.
  const lines = createInterface({ input, crlfDelay: Infinity });
  const reader = new CsvRowReader(listRowStart);
  try {
    for await (const line of lines) yield* reader.push(line);
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
  /** Set when the header lacks a required column (or uses another separator): nothing was yielded. */
  refused?: Problem;
}

/**
 * Reads a subscriber list in chunks without holding it: the same entries and problems as
 * `parseListFile`, in file order. Memory stays flat in the list's size except for an index of
 * 11–21 bytes per address (address-index.ts).
 *
 * Two passes. The first reads the header (a file without the required columns is refused whole,
 * before anything is applied) and notes the last row of each address; a row that is not valid
 * CSV is reported (in the second pass) and skipped. The second
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
  let header: ListRows | undefined;
  let n = 0;
  for await (const r of records(path, first)) {
    if (!header) {
      if ('error' in r) return { rows: 0, refused: badRowProblem(file, r) };
      header = new ListRows(r.fields, file, defaultSource);
      const refused = header.headerProblem();
      if (refused) return { rows: 0, refused };
    } else if (!('error' in r)) {
      const key = header.key(r.fields);
      if (key !== undefined) last.set(key, n);
    }
    n++;
  }
  if (!header) return { rows: 0, refused: new ListRows([], file, defaultSource).headerProblem() };

  const second: { value?: string } = {};
  // Addresses seen on a row that is not their last, with that row's entry (duplicates only).
  const earlier = new Map<string, ListEntry>();
  let chunk: ListChunk = { entries: [], problems: [] };
  let rows = 0;
  let i = 0;
  const add = async (entry: ListEntry) => {
    chunk.entries.push(entry);
    rows++;
    if (chunk.entries.length >= chunkSize) {
      await onChunk(chunk);
      chunk = { entries: [], problems: [] };
    }
  };
  for await (const r of records(path, second)) {
    if (i++ === 0) continue;
    if ('error' in r) {
      chunk.problems.push(badRowProblem(file, r));
      continue;
    }
    const entry = header.entry(r.fields, r.line, chunk.problems);
    if (!entry) continue;
    const before = earlier.get(entry.email);
    if (before !== undefined) chunk.problems.push(duplicateProblem(file, r.line, entry.email, before.line));
    if (last.get(entry.email) !== i - 1) {
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
