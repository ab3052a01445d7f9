/**
 * MJML compiles in a thread of its own, not in the process that renders and sends.
 *
 * Loaded and run once, mjml holds about 25 MB of V8 heap for the rest of the process's life.
 * In a sender that live heap matters more than its size: V8 lets the old generation grow to
 * about 2.8 times what is live before it marks, so those 25 MB allowed about 70 MB more growth
 * and a 100,000-reader send went past 300 MB. The thread is started on the first compile, kept
 * while compiles keep coming (an issue's locales and time zones arrive in a burst), and ended
 * after IDLE_MS without one; its heap goes with it. While idle it does not keep the process
 * alive: a command exits when its own work is done. A thread that dies under a compile (a crash,
 * out of memory) is replaced and the compile tried once more.
 *
 * The thread's code is a short CommonJS string (`eval`), so it runs the same from `dist/` and
 * under vitest from the TypeScript sources. It loads mjml from the path resolved here.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** How long an idle thread is kept for the next compile. Starting again costs 0.5 to 1 s of its CPU (loading mjml, the first compile). */
export const IDLE_MS = 2000;

export interface MjmlOptions {
  validationLevel: 'strict' | 'soft' | 'skip';
  keepComments: boolean;
  filePath: string;
  minify: boolean;
  minifyOptions: Record<string, unknown>;
}

export interface MjmlValidationError {
  line: number;
  message: string;
  tagName: string;
}

/** What a failed compile carries back: the message and, for a validation failure, MJML's list. */
export class MjmlCompileError extends Error {
  constructor(
    message: string,
    readonly errors: MjmlValidationError[] | undefined,
  ) {
    super(message);
    this.name = 'MjmlCompileError';
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// Standard output carries only what a command prints for scripts: anything mjml prints goes to
// standard error with the logs. (Reading the thread's streams in the parent instead would keep
// the process alive while the thread idles.)
process.stdout.write = process.stderr.write.bind(process.stderr);
let load;
parentPort.on('message', async ({ id, mjml, options }) => {
  try {
    load ??= import(workerData.mjmlUrl);
    const { default: mjml2html } = await load;
    const r = await mjml2html(mjml, options);
    parentPort.postMessage({ id, html: r.html, warnings: r.errors.map((e) => e.formattedMessage) });
  } catch (e) {
    const errors = Array.isArray(e && e.errors)
      ? e.errors.map((x) => ({ line: x.line, message: x.message, tagName: x.tagName }))
      : undefined;
    parentPort.postMessage({ id, error: { message: String((e && e.message) || e), errors } });
  }
});
`;

type Reply = { id: number; html: string; warnings: string[] } | { id: number; error: { message: string; errors?: MjmlValidationError[] } };

interface Pending {
  resolve: (r: { html: string; warnings: string[] }) => void;
  reject: (e: Error) => void;
}

/** The thread ended before answering: `stopped` when it was ended on purpose (idle, stopMjmlThread). */
export class MjmlThreadGone extends Error {
  constructor(
    message: string,
    readonly stopped: boolean,
  ) {
    super(message);
    this.name = 'MjmlThreadGone';
  }
}

/** One thread and the compiles it owes; a stopped thread's compiles fail, not the next one's. */
class CompileThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(mjmlUrl: string) {
    // A young generation of 8 MB instead of V8's default: the thread's footprint is about
    // 75 MB instead of 95, for compiles about 5 % slower (bench/tmp measurements, 6 compiles).
    // No execArgv from this process: a flag such as --input-type=module would make the thread
    // read its CommonJS source as a module.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { mjmlUrl }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    this.worker.on('error', (e) => this.fail(`the MJML thread failed: ${e.message}`));
    this.worker.on('exit', (code) => this.fail(`the MJML thread stopped (exit code ${code})`));
  }

  compile(mjml: string, options: MjmlOptions): Promise<{ html: string; warnings: string[] }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.worker.postMessage({ id, mjml, options }); // a throw here rejects, and nothing is held
      clearTimeout(this.idleTimer);
      this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  get idle(): boolean {
    return this.pending.size === 0;
  }

  stop(): Promise<number> {
    this.stopping = true;
    clearTimeout(this.idleTimer);
    return this.worker.terminate();
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if ('error' in reply) p.reject(new MjmlCompileError(reply.error.message, reply.error.errors));
    else p.resolve({ html: reply.html, warnings: reply.warnings });
    if (this.pending.size > 0) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      if (current === this) current = undefined;
      void this.stop();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private fail(message: string): void {
    if (current === this) current = undefined;
    for (const p of this.pending.values()) p.reject(new MjmlThreadGone(message, this.stopping));
    this.pending.clear();
  }
}

let mjmlUrl: string | undefined;
let current: CompileThread | undefined;

function thread(): CompileThread {
  mjmlUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('mjml')).href;
  return (current ??= new CompileThread(mjmlUrl));
}

/**
 * MJML → HTML in the thread. Rejects with MjmlCompileError when MJML refuses the document, and
 * with MjmlThreadGone when the thread was stopped, or died twice under this compile.
 */
export async function compileInThread(mjml: string, options: MjmlOptions): Promise<{ html: string; warnings: string[] }> {
  try {
    return await thread().compile(mjml, options);
  } catch (e) {
    if (!(e instanceof MjmlThreadGone) || e.stopped) throw e;
    return thread().compile(mjml, options);
  }
}

/** Ends the thread now (tests, and commands that want their memory back at once). */
export async function stopMjmlThread(): Promise<void> {
  const w = current;
  current = undefined;
  if (w) await w.stop();
}

/**
 * Ends the thread now if it owes no compile, rather than after IDLE_MS: for a caller that knows
 * no compile will come for a while. A compile asked later starts a new thread.
 */
export async function releaseMjmlThread(): Promise<void> {
  if (current?.idle) await stopMjmlThread();
}

/** Whether a thread is running (for tests). */
export function mjmlThreadRunning(): boolean {
  return current !== undefined;
}
