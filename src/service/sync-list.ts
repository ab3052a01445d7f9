import type { App } from '../app.js';
import { syncListFile, type SyncReport } from '../audience/sync.js';
import { listSyncThread } from '../audience/list-sync-thread.js';

/**
 * Brings the store in line with a newsletter's list file, as every command that needs the
 * audience does first. A big changed file is applied in a thread of its own (list-sync-thread.ts).
 */
export function syncList(app: Pick<App, 'store' | 'config'>, newsletterId: string, now: Date, onProgress?: (rows: number) => void): Promise<SyncReport> {
  const elsewhere = listSyncThread(app.config.database);
  return syncListFile(app.store, newsletterId, app.config.paths.subscribers, now.toISOString(), { ...(onProgress ? { onProgress } : {}), ...(elsewhere ? { elsewhere } : {}) });
}
