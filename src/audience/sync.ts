import { basename, join } from 'node:path';
import type { Problem } from '../domain/errors.js';
import type { ConsentEvent } from '../domain/types.js';
import type { Store, Subscription } from '../store/store.js';
import type { ListEntry } from './list-file.js';
import { fileFingerprint, readListFile } from './list-stream.js';
import { suppressionHash } from '../domain/erasure.js';

/** What one row of a list file asks of the consent log, given the reader's current state. */
export type ImportDecision = { action: 'append'; event: Omit<ConsentEvent, 'subscriberId' | 'newsletterId'> } | { action: 'none' } | { action: 'refuse'; reason: string };

/**
 * Pure. A list file can add consent but never override a later withdrawal, bounce or complaint;
 * a `subscribed` row without `consented_at` is refused (no proof of consent, no mail).
 */
export function decideImport(entry: ListEntry, current: Subscription | undefined, now: string): ImportDecision {
  const suppressed = current && (current.state === 'bounced' || current.state === 'complained');
  switch (entry.status) {
    case 'subscribed': {
      if (!entry.consentedAt) return { action: 'refuse', reason: 'status subscribed but no consented_at: no proof of consent, not mailed (fill in when and how they agreed)' };
      if (suppressed) return { action: 'refuse', reason: `address is suppressed (${current.state} at ${current.stateAt}); a list file cannot resubscribe it` };
      if (current && current.stateAt > entry.consentedAt && current.state !== 'consent') {
        return { action: 'refuse', reason: `${current.state} at ${current.stateAt}, after the consent of ${entry.consentedAt}: not resubscribed` };
      }
      if (current?.state === 'consent' && current.stateAt >= entry.consentedAt) return { action: 'none' };
      return { action: 'append', event: { kind: 'consent', at: entry.consentedAt, source: entry.source } };
    }
    case 'pending':
      return current ? { action: 'none' } : { action: 'append', event: { kind: 'pending', at: now, source: entry.source } };
    case 'unsubscribed':
      // Recorded also for an address never seen before, so reports and exports show it.
      if (!current || current.state === 'consent' || current.state === 'pending') {
        return { action: 'append', event: { kind: 'withdrawn', at: now, source: entry.source } };
      }
      return { action: 'none' };
  }
}

export interface SyncReport {
  file: string;
  /** False when the file had not changed since the last sync and was not read again. */
  changed: boolean;
  rows: number;
  recorded: number;
  problems: Problem[];
}

/**
 * Applies list entries to the consent log (idempotent): erased addresses are refused, each row
 * appends at most one event, and only forward in time.
 */
export async function applyListEntries(store: Store, newsletterId: string, file: string, entries: ListEntry[], now: string): Promise<{ recorded: number; problems: Problem[] }> {
  const problems: Problem[] = [];
  const hashes = new Map(entries.map((e) => [e.email, suppressionHash(e.email)]));
  const erased = await store.erasedAmong([...hashes.values()]);
  const kept = entries.filter((e) => {
    if (!erased.has(hashes.get(e.email)!)) return true;
    problems.push({ place: `${file}:${e.line}`, message: `${e.email} was erased at the person's request; not imported` });
    return false;
  });
  let recorded = 0;
  await store.transaction(async (tx) => {
    const ids = await tx.upsertSubscribers(
      kept.map((e) => ({ email: e.email, name: e.name, locale: e.locale, timezone: e.timezone, topics: e.topics, attributes: e.attributes })),
      now,
    );
    const current = await tx.subscriptionsFor([...ids.values()], newsletterId);
    const events: ConsentEvent[] = [];
    for (const entry of kept) {
      const subscriberId = ids.get(entry.email)!;
      const decision = decideImport(entry, current.get(subscriberId), now);
      // A row without proof of consent was already reported by the parser.
      if (decision.action === 'refuse' && entry.consentedAt) problems.push({ place: `${file}:${entry.line}`, message: `${entry.email}: ${decision.reason}` });
      if (decision.action === 'append') events.push({ ...decision.event, subscriberId, newsletterId });
    }
    recorded = await tx.appendConsentEvents(events, now);
  });
  return { recorded, problems };
}

/** At most this many problems of each kind are kept per file; the rest are counted in one more line. */
export const MAX_PROBLEMS = 1000;

/** Keeps the first MAX_PROBLEMS problems and counts the others. */
class ProblemList {
  readonly kept: Problem[] = [];
  private more = 0;

  constructor(private readonly place: string) {}

  add(problems: Problem[]): void {
    for (const p of problems) {
      if (this.kept.length < MAX_PROBLEMS) this.kept.push(p);
      else this.more++;
    }
  }

  list(): Problem[] {
    return this.more > 0 ? [...this.kept, { place: this.place, message: `${this.more} more problem(s) in this file, not listed` }] : this.kept;
  }
}

export interface ImportOptions {
  /** Called after each applied chunk with the readers applied so far. */
  onProgress?: (rows: number) => void;
  chunkSize?: number;
}

export interface ImportReport {
  rows: number;
  recorded: number;
  /** The file's problems, then those of applying it (erased addresses, refused resubscriptions). */
  problems: Problem[];
  /** The file's own problems alone: the same whenever the same bytes are read. */
  fileProblems: Problem[];
  /** Set when the file was read whole and did not change while it was read. */
  fingerprint?: string;
}

/**
 * Applies a list file to the store in chunks, each in its own transaction, without holding the
 * file (list-stream.ts). A row that is not valid CSV is reported and skipped, the others applied;
 * only a file whose header cannot be read (another separator, UTF-16, a missing column) is refused
 * whole. Idempotent, so a run cut short is completed by the next one.
 */
export async function importListFile(store: Store, newsletterId: string, path: string, place: string, now: string, options: ImportOptions = {}): Promise<ImportReport> {
  const fileProblems = new ProblemList(place);
  const applyProblems = new ProblemList(place);
  let recorded = 0;
  let rows = 0;
  const read = await readListFile(
    path,
    place,
    basename(path),
    async (chunk) => {
      fileProblems.add(chunk.problems);
      const applied = await applyListEntries(store, newsletterId, place, chunk.entries, now);
      applyProblems.add(applied.problems);
      recorded += applied.recorded;
      rows += chunk.entries.length;
      options.onProgress?.(rows);
    },
    options.chunkSize,
  );
  if (read.refused) fileProblems.add([read.refused]);
  const own = fileProblems.list();
  return { rows: read.rows, recorded, problems: [...own, ...applyProblems.list()], fileProblems: own, ...(read.fingerprint ? { fingerprint: read.fingerprint } : {}) };
}

/** What applying a changed list file did: `SyncReport` without the fields `syncListFile` knows. */
export type AppliedList = Pick<SyncReport, 'rows' | 'recorded' | 'problems'>;

/**
 * Imports a list file and, when it was read whole and did not change meanwhile, records it as
 * synced. Only a file marked done is skipped by the next sync; any other is read again.
 */
export async function applyListFile(store: Store, newsletterId: string, file: string, now: string, options: ImportOptions = {}): Promise<AppliedList> {
  const applied = await importListFile(store, newsletterId, file, file, now, options);
  if (applied.fingerprint) await store.setListSync(file, { fingerprint: applied.fingerprint, rows: applied.rows, problems: applied.fileProblems }, now);
  return { rows: applied.rows, recorded: applied.recorded, problems: applied.problems };
}

/** Applies a changed list file as `applyListFile` does, somewhere else (list-sync-thread.ts). */
export type ListApplier = (newsletterId: string, file: string, now: string, options: ImportOptions) => Promise<AppliedList>;

export interface SyncOptions extends ImportOptions {
  /** A changed file of `fromBytes` or more is applied by `apply`; a smaller one, and any without this, by `applyListFile` on the caller's store. */
  elsewhere?: { apply: ListApplier; fromBytes: number };
}

/** A newsletter's list file in the subscribers folder. */
export function listFilePath(dir: string, newsletterId: string): string {
  return join(dir, `${newsletterId}.csv`);
}

/**
 * Brings the store in line with `subscribers/<newsletter>.csv`, idempotently. A file whose bytes
 * have not changed since its last complete sync is only hashed: its readers are already applied,
 * and the problems that sync found in it are reported again, so a scheduled send's log always
 * shows them.
 */
export async function syncListFile(store: Store, newsletterId: string, dir: string, now: string, options: SyncOptions = {}): Promise<SyncReport> {
  const file = listFilePath(dir, newsletterId);
  let fingerprint: { sha256: string; bytes: number };
  try {
    fingerprint = await fileFingerprint(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      file,
      changed: false,
      rows: 0,
      recorded: 0,
      problems: missing ? [] : [{ place: file, message: `cannot read the subscriber list: ${(e as Error).message}` }],
    };
  }
  const last = await store.getListSync(file);
  if (last?.fingerprint === fingerprint.sha256) return { file, changed: false, rows: last.rows, recorded: 0, problems: last.problems };
  const { elsewhere, ...importOptions } = options;
  const applied =
    elsewhere && fingerprint.bytes >= elsewhere.fromBytes ? await elsewhere.apply(newsletterId, file, now, importOptions) : await applyListFile(store, newsletterId, file, now, importOptions);
  return { file, changed: true, ...applied };
}
