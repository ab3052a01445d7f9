/**
 * A changed list file is applied in a worker thread with its own store connection, so the
 * garbage of a big sync never becomes the sending process's heap.
 *
 * Parsing a list twice and upserting it in chunks of 500 makes a lot of short-lived objects. In
 * the process that then sends, V8 kept the old-space pages they had filled: after a sync of
 * 1,000,000 readers and a full GC, 26 MB was live but the heap still held 102 MB, and the MJML
 * worker came on top of that at the start of delivery (279 to 303 MB). A thread's heap is given
 * back when it ends. Its young generation is capped at 8 MB, as the MJML worker's is: without
 * the cap the sync's own peak rose by about 15 MB at 100,000 readers (bench/tmp measurements).
 *
 * The thread runs the built code (`dist/`). Under vitest, from the TypeScript sources, the file
 * is applied in this thread instead: `listSyncThread` returns undefined and `syncListFile` does
 * it. So is a small file (THREAD_FROM_BYTES).
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/load.js';
import { ErrorCodes, NewsletterError, type ErrorCode } from '../domain/errors.js';
import type { AppliedList, ListApplier } from './sync.js';

/** What the thread is asked to do (its `workerData`). */
export interface ListSyncJob {
  database: Config['database'];
  newsletterId: string;
  file: string;
  now: string;
  chunkSize?: number;
}

/** What the thread says, in order: progress, then one `done` or `error`. */
export type ListSyncMessage =
  { kind: 'progress'; rows: number } | { kind: 'done'; result: AppliedList } | { kind: 'error'; message: string; name?: string; stack?: string; code?: string; place?: string };

const ENTRY = new URL('./list-sync-worker.js', import.meta.url);

/**
 * Files smaller than this are applied in the caller's thread. Their garbage is small, and a
 * thread would overlap the MJML worker's start: at 10,000 readers (1.2 MB) a `send` peaked at
 * 248 to 259 MB with the thread against 234 without, and its first batch came 0.1 to 0.4 s
 * later. At 100,000 readers (12 MB) the peaks of a `send` were within the noise either way
 * (276 to 286 MB against 267 to 311); at 1,000,000 (117 MB) the thread is what keeps the
 * sending process small.
 */
export const THREAD_FROM_BYTES = 4 * 1024 * 1024;

/** The thread as `syncListFile`'s `elsewhere`, or undefined where it cannot run (see the file's comment). */
export function listSyncThread(database: Config['database']): { apply: ListApplier; fromBytes: number } | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  return {
    fromBytes: THREAD_FROM_BYTES,
    apply: (newsletterId, file, now, options) => applyInThread({ database, newsletterId, file, now, ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}) }, options.onProgress),
  };
}

/** The thread's error as an error of this thread: a NewsletterError again, else its name, code and stack kept. */
function rebuild(m: Extract<ListSyncMessage, { kind: 'error' }>): Error {
  if (m.code && Object.hasOwn(ErrorCodes, m.code)) {
    // NewsletterError puts its place in front of the message; the thread's message already has it.
    const bare = m.place && m.message.startsWith(`${m.place}: `) ? m.message.slice(m.place.length + 2) : m.message;
    return new NewsletterError(m.code as ErrorCode, bare, { place: m.place });
  }
  const e = Object.assign(new Error(m.message), m.code ? { code: m.code } : {});
  if (m.name) e.name = m.name;
  if (m.stack) e.stack = `${m.stack}\n    (in the list-sync thread)`;
  return e;
}

/** How long a thread that said `done` may take to close its store and end before it is ended. */
const END_GRACE_MS = 5000;

let running = 0;

/** Threads applying a list file right now, in this process. */
export function listSyncThreadsRunning(): number {
  return running;
}

/**
 * Runs one job in a fresh thread and settles when the thread has ended, so its memory is
 * released before the caller goes on (to deliver, for one).
 */
export function applyInThread(job: ListSyncJob, onProgress?: (rows: number) => void): Promise<AppliedList> {
  return new Promise((resolve, reject) => {
    let outcome: { result: AppliedList } | { error: Error } | undefined;
    // No execArgv from this process: flags meant for it (an inspector port, --input-type) are not the thread's.
    const worker = new Worker(ENTRY, { workerData: job, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    running++;
    let grace: NodeJS.Timeout | undefined;
    worker.on('message', (m: ListSyncMessage) => {
      if (m.kind === 'progress') onProgress?.(m.rows);
      else if (m.kind === 'done') {
        outcome = { result: m.result };
        // The file is applied; a store that does not close (a pooled connection stuck) must not hold the caller.
        grace = setTimeout(() => void worker.terminate(), END_GRACE_MS);
      } else outcome ??= { error: rebuild(m) }; // the file was applied if `done` came first
    });
    worker.on('error', (e) => {
      outcome ??= { error: new Error(`the list sync thread failed: ${e.message}`, { cause: e }) };
    });
    worker.on('exit', (code) => {
      running--;
      clearTimeout(grace);
      if (outcome && 'result' in outcome) resolve(outcome.result);
      else reject(outcome?.error ?? new Error(`the list sync thread stopped (exit code ${code}) before it finished; the next sync reads the file again`));
    });
  });
}
