/**
 * The list-sync thread (list-sync-thread.ts starts it): opens its own store connection, applies
 * one list file, reports progress and the outcome to the parent, closes the store and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/open.js';
import { applyListFile } from './sync.js';
import type { ListSyncJob, ListSyncMessage } from './list-sync-thread.js';

const job = workerData as ListSyncJob;
const send = (m: ListSyncMessage): void => parentPort!.postMessage(m);

async function run(): Promise<void> {
  const store = await openStore(job.database);
  try {
    const result = await applyListFile(store, job.newsletterId, job.file, job.now, {
      onProgress: (rows) => send({ kind: 'progress', rows }),
      ...(job.chunkSize ? { chunkSize: job.chunkSize } : {}),
    });
    send({ kind: 'done', result });
  } finally {
    await store.close();
  }
}

run().catch((e: unknown) => {
  const err = e as { message?: unknown; name?: unknown; stack?: unknown; code?: unknown; place?: unknown };
  send({
    kind: 'error',
    message: String(err?.message ?? e),
    ...(typeof err?.name === 'string' ? { name: err.name } : {}),
    ...(typeof err?.stack === 'string' ? { stack: err.stack } : {}),
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    ...(typeof err?.place === 'string' ? { place: err.place } : {}),
  });
});
