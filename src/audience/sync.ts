import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Problem } from '../domain/errors.js';
import type { ConsentEvent } from '../domain/types.js';
import type { Store, Subscription } from '../store/store.js';
import { parseListFile, type ListEntry } from './list-file.js';
import { suppressionHash } from '../domain/erasure.js';

/** What one row of a list file asks of the consent log, given the reader's current state. */
export type ImportDecision =
  | { action: 'append'; event: Omit<ConsentEvent, 'subscriberId' | 'newsletterId'> }
  | { action: 'none' }
  | { action: 'refuse'; reason: string };

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

/**
 * Brings the store in line with `subscribers/<newsletter>.csv`, idempotently: a file that has not
 * changed since its last sync is parsed (its problems are reported every time) but not applied again.
 */
export async function syncListFile(store: Store, newsletterId: string, dir: string, now: string): Promise<SyncReport> {
  const file = join(dir, `${newsletterId}.csv`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
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
  const { entries, problems } = parseListFile(text, file, basename(file));
  const fingerprint = createHash('sha256').update(text).digest('hex');
  if ((await store.getListFingerprint(file)) === fingerprint) return { file, changed: false, rows: entries.length, recorded: 0, problems };
  const applied = await applyListEntries(store, newsletterId, file, entries, now);
  await store.setListFingerprint(file, fingerprint, now);
  return { file, changed: true, rows: entries.length, recorded: applied.recorded, problems: [...problems, ...applied.problems] };
}
