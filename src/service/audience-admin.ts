import type { App } from '../app.js';
import { normaliseEmail } from '../audience/email.js';
import { importListFile, type ImportReport } from '../audience/sync.js';
import { welcomeImports } from './sync-list.js';
import { toListCsv } from '../audience/export.js';
import { suppressionHash } from '../domain/erasure.js';
import { ErrorCodes, NewsletterError, type Problem } from '../domain/errors.js';
import { progressLog } from '../domain/logger.js';
import { syncList } from './sync-list.js';

/**
 * The audience use cases of `newsletter subscribers …` (and whatever else asks: an HTTP admin, a
 * dashboard): import a list, export the audience, show or erase what is held about a person.
 * The CLI only parses arguments and prints.
 */

/** The newsletter meant: the one given, or the only one configured. */
export function pickNewsletter(app: Pick<App, 'config'>, id: string | undefined): string {
  if (id) {
    if (!app.config.newsletters.some((n) => n.id === id)) throw new NewsletterError(ErrorCodes.USAGE, `no newsletter "${id}" in ${app.config.file}`);
    return id;
  }
  if (app.config.newsletters.length === 1) return app.config.newsletters[0]!.id;
  throw new NewsletterError(ErrorCodes.USAGE, `several newsletters are configured; choose one with --newsletter (${app.config.newsletters.map((n) => n.id).join(', ')})`);
}

/** Applies a list file (`subscribers import`): consent it proves is added, nothing undone. */
export async function importAudience(app: App, newsletterId: string, path: string): Promise<ImportReport> {
  const report = await importListFile(app.store, newsletterId, path, path, app.clock.now().toISOString(), {
    onProgress: progressLog(app.logger, 'importing the list', { newsletter: newsletterId, file: path }),
  });
  if (report.recorded > 0) await welcomeImports(app, newsletterId, app.clock.now());
  return report;
}

/**
 * The audience as a list file (`subscribers export`), after syncing the newsletter's list file
 * like every other command: an export right after a change to the file, or on a new store, shows it.
 */
export async function exportAudience(app: App, newsletterId: string): Promise<{ csv: string; problems: Problem[] }> {
  const { problems } = await syncList(app, newsletterId, app.clock.now());
  return { csv: toListCsv(await app.store.exportRows(newsletterId)), problems };
}

/** Erases a person (GDPR); true when they were in the store. Their address's hash stays, so nothing adds them back. */
export async function forgetPerson(app: App, email: string): Promise<{ address: string; found: boolean }> {
  const address = normaliseEmail(email);
  const sub = await app.store.findSubscriberByEmail(address);
  const now = app.clock.now().toISOString();
  // The erasure and its subscriber.forgotten event (an id, never the address) are one transaction.
  await app.store.transaction(async (tx) => {
    await tx.erase(sub?.id, suppressionHash(address), now);
    if (sub && app.events.wants('subscriber.forgotten')) await app.events.emit(tx, [{ type: 'subscriber.forgotten', at: now, data: { subscriber: sub.id } }]);
  });
  return { address, found: sub !== undefined };
}

/** Everything held about one address. */
export async function showPerson(app: App, email: string) {
  const address = normaliseEmail(email);
  const sub = await app.store.findSubscriberByEmail(address);
  if (!sub) throw new NewsletterError(ErrorCodes.USAGE, `no subscriber ${address} in this store`);
  return {
    subscriber: sub,
    suppressed: (await app.store.suppression(sub.id)) ?? null,
    subscriptions: await app.store.subscriptionsOf(sub.id),
    consentEvents: await app.store.consentEvents(sub.id),
    deliveries: await app.store.deliveriesOf(sub.id),
    /** Bounces, complaints and mailto unsubscribes that came back after the 250. */
    reports: await app.store.deliveryEvents({ subscriberId: sub.id, limit: 1000 }),
  };
}
