import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Problem } from '../domain/errors.js';
import { AddressIndex } from './address-index.js';
import { duplicateProblem, LIST_CSV_OPTIONS, ListRows, notCsvProblem, RecordLines, type CsvRecord, type ListEntry } from './list-file.js';

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

/** Every record of a CSV file in order, and the file's fingerprint once the last was read. */
async function* records(path: string, fingerprint: { value?: string }): AsyncGenerator<CsvRecord> {
  const hash = createHash('sha256');
  const input = createReadStream(path);
  const parser = parse(LIST_CSV_OPTIONS);
  input.on('data', (chunk) => hash.update(chunk as Buffer));
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  try {
    yield* parser as AsyncIterable<CsvRecord>;
    fingerprint.value = hash.digest('hex');
  } finally {
    input.destroy();
  }
}

/** csv-parse's own errors say the text is not CSV; anything else (unreadable file) is thrown on. */
function csvError(e: unknown): boolean {
  return String((e as { code?: unknown }).code ?? '').startsWith('CSV_');
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
  /** Set when the file is not valid CSV or lacks a required column: nothing was yielded. */
  refused?: Problem;
}

/**
 * Reads a subscriber list in chunks without holding it: the same entries and problems as
 * `parseListFile`, in file order. Memory stays flat in the list's size except for an index of
 * 11–21 bytes per address (address-index.ts).
 *
 * Two passes. The first checks that the whole file is valid CSV (an invalid file is refused
 * whole, before anything is applied) and notes the last record of each address. The second
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
  try {
    for await (const r of records(path, first)) {
      if (!header) {
        header = new ListRows(r.record, file, defaultSource);
        const refused = header.headerProblem();
        if (refused) return { rows: 0, refused };
      } else {
        const key = header.key(r.record);
        if (key !== undefined) last.set(key, n);
      }
      n++;
    }
  } catch (e) {
    if (!csvError(e)) throw e;
    return { rows: 0, refused: notCsvProblem(file, e) };
  }
  if (!header) return { rows: 0, refused: new ListRows([], file, defaultSource).headerProblem() };

  const second: { value?: string } = {};
  const lines = new RecordLines();
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
  try {
    for await (const r of records(path, second)) {
      const line = lines.start(r);
      if (i++ === 0) continue;
      const entry = header.entry(r.record, line, chunk.problems);
      if (!entry) continue;
      const before = earlier.get(entry.email);
      if (before !== undefined) chunk.problems.push(duplicateProblem(file, line, entry.email, before.line));
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
  } catch (e) {
    if (!csvError(e)) throw e;
    // Valid in the first pass, so the file was replaced meanwhile.
    second.value = undefined;
  }
  const changed = first.value !== second.value;
  if (changed) chunk.problems.push({ place: file, message: 'the file changed while it was read; what was read is applied, and the file is read again at the next sync' });
  await onChunk(chunk);
  return { rows, ...(changed ? {} : { fingerprint: second.value }) };
}
