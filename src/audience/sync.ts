import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Problem } from '../domain/errors.js';
import type { ConsentEvent } from '../domain/types.js';
import type { Store, Subscription } from '../store/store.js';
import { parseListFile, type ListEntry } from './list-file.js';

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
 * Brings the store in line with `subscribers/<newsletter>.csv`, idempotently: a file that has not
 * changed since its last sync is not read again; a row already applied appends nothing.
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
  // Parsing is cheap and its problems are reported on every run; applying to the store is
  // skipped when the file has not changed since the last sync.
  const { entries, problems } = parseListFile(text, file, basename(file));
  const fingerprint = createHash('sha256').update(text).digest('hex');
  if ((await store.getListFingerprint(file)) === fingerprint) return { file, changed: false, rows: entries.length, recorded: 0, problems };

  let recorded = 0;
  await store.transaction(async (tx) => {
    const ids = await tx.upsertSubscribers(
      entries.map((e) => ({ email: e.email, name: e.name, locale: e.locale, timezone: e.timezone, topics: e.topics })),
      now,
    );
    const current = await tx.subscriptionsFor([...ids.values()], newsletterId);
    const events: ConsentEvent[] = [];
    for (const entry of entries) {
      const subscriberId = ids.get(entry.email)!;
      const decision = decideImport(entry, current.get(subscriberId), now);
      // A row without proof of consent was already reported by the parser, on every run.
      if (decision.action === 'refuse' && entry.consentedAt) problems.push({ place: `${file}:${entry.line}`, message: `${entry.email}: ${decision.reason}` });
      if (decision.action === 'append') events.push({ ...decision.event, subscriberId, newsletterId });
    }
    recorded = await tx.appendConsentEvents(events, now);
    await tx.setListFingerprint(file, fingerprint, now);
  });
  return { file, changed: true, rows: entries.length, recorded, problems };
}
