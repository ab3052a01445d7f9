import type { App } from '../app.js';
import { listFilePath, syncListFile, type SyncReport } from '../audience/sync.js';
import { listSyncThread } from '../audience/list-sync-thread.js';

/** Syncs in progress in this process, by store and list file: a second caller waits for the same one. */
const inFlight = new Map<string, Promise<SyncReport>>();

/**
 * Brings the store in line with a newsletter's list file, as every command that needs the
 * audience does first. A big changed file is applied in a thread of its own (list-sync-thread.ts).
 * Callers at the same time share one sync (the preview's page and its frames ask together), so a
 * big file is never applied twice at once; only the first caller's `onProgress` is called.
 */
export function syncList(app: Pick<App, 'store' | 'database' | 'config' | 'logger'>, newsletterId: string, now: Date, onProgress?: (rows: number) => void): Promise<SyncReport> {
  const dir = app.config.paths.subscribers;
  const file = listFilePath(dir, newsletterId);
  const key = `${JSON.stringify(app.database)} ${file}`;
  const running = inFlight.get(key);
  if (running) return running;
  const thread = listSyncThread(app.database);
  const sync = syncListFile(app.store, newsletterId, dir, now.toISOString(), {
    ...(onProgress ? { onProgress } : {}),
    ...(thread && {
      elsewhere: {
        fromBytes: thread.fromBytes,
        apply: (...args) => {
          app.logger.info('applying the subscriber list in a thread of its own', { newsletter: newsletterId, file });
          return thread.apply(...args);
        },
      },
    }),
  })
    .then(async (report) => {
      if (report.changed && report.recorded > 0) await welcomeImports(app, newsletterId, now);
      return report;
    })
    .finally(() => inFlight.delete(key));
  inFlight.set(key, sync);
  return sync;
}

/** welcome.forImports: readers a list file or an import just added get the welcome too (store.queueImportWelcomes). */
export async function welcomeImports(app: Pick<App, 'store' | 'config' | 'logger'>, newsletterId: string, now: Date): Promise<void> {
  const n = app.config.newsletters.find((x) => x.id === newsletterId);
  if (!n?.welcome.enabled || !n.welcome.forImports) return;
  const queued = await app.store.queueImportWelcomes(newsletterId, now.toISOString());
  if (queued > 0) app.logger.info('welcome mails queued for imported readers', { newsletter: newsletterId, readers: queued });
}
