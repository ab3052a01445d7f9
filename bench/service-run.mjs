// One run of the service end to end, in a fresh process: (d) and the peak-RSS sizes.
//
//   node --expose-gc bench/service-run.mjs '{"readers":10000,"smtpUrl":"smtp://127.0.0.1:PORT"}'
//
// Options (JSON in argv[2]):
//   readers       size of the synthetic list
//   smtpUrl       the sink; absent → the null transport (nothing is sent, and the result says so)
//   phased        true: run the list sync on its own first (timed), then sendNewsletter (timed);
//                 false (d): time sendNewsletter alone on a fresh store, sync included, as the
//                 `send` command runs it
//   capSeconds    stop the delivery (AbortSignal, in-flight messages finish) after this long
//   keep          keep the temp project (for inspection)
//   profileFile   write a V8 CPU profile of exactly the timed sendNewsletter call there
//   profileSyncFile  the same for the list sync of a phased run
//   instrument    time each store method (calls, total ms) from outside; reported as storeStats
//   dkim          sign every message with DKIM (a fresh RSA-2048 key in the project); 'dual': and Ed25519
//   tmpRoot       folder for the temp project (the parent removes it even if this process is killed)
// The result goes to the parent over IPC when forked, else as one JSON line on stdout.
import { createApp } from '../dist/app.js';
import { sendNewsletter } from '../dist/service/send-issue.js';
import { syncList } from '../dist/service/sync-list.js';
import { silentLogger } from '../dist/domain/logger.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { BENCH_ENV, cpuMs, mainThreadCpuMs, makeProject, nullTransport, rssSampler, vmHwmMb } from './lib.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const readers = Number(opts.readers ?? 10_000);
const sampler = rssSampler();
/** Progress to the parent (when forked), so a run killed at its time limit still says how far it got. */
function progress(phase, extra = {}) {
  const p = { phase, at: Math.round(performance.now()), rssMb: Math.round(process.memoryUsage.rss() / 1048576), hwmMb: vmHwmMb(), ...extra };
  if (process.send) process.send({ progress: p });
  else if (opts.verbose) process.stderr.write(JSON.stringify(p) + '\n');
}

/**
 * Times every call to the store's methods on this instance (the harness's own wrapper; the
 * service's code is unchanged): better-sqlite3 runs synchronously, so this is how long each kind
 * of query held the event loop, fsync included. Also the time from each claim to the next
 * record: sending that batch.
 */
function instrumentStore(store) {
  const stats = {};
  const names = new Set();
  for (let o = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const n of Object.getOwnPropertyNames(o)) if (n !== 'constructor' && n !== 'transaction' && n !== 'close' && typeof store[n] === 'function') names.add(n);
  }
  let claimEnd;
  const add = (k, ms) => {
    const s = (stats[k] ??= { calls: 0, ms: 0 });
    s.calls++;
    s.ms += ms;
  };
  for (const n of names) {
    const f = store[n];
    store[n] = async function (...a) {
      const t = performance.now();
      if (n === 'record' && claimEnd !== undefined) add('(sending: from claim to record)', t - claimEnd);
      try {
        return await f.apply(this, a);
      } finally {
        const end = performance.now();
        add(n, end - t);
        if (n === 'claim') claimEnd = end;
      }
    };
  }
  return stats;
}

/** V8's CPU profiler (as --cpu-prof) around one span of this process, through node:inspector. */
async function startProfile() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function report(result) {
  if (process.send) process.send(result);
  else process.stdout.write(JSON.stringify(result) + '\n');
}

async function main() {
  const tGen = performance.now();
  const project = makeProject(readers, `svc${readers}`, opts.tmpRoot, { dkim: opts.dkim === 'dual' ? 'dual' : !!opts.dkim });
  const csvMs = performance.now() - tGen;
  const timeline = [];
  let app;
  try {
    sampler.mark('open');
    app = await createApp({
      configFile: project.configFile,
      env: { ...BENCH_ENV, DATABASE_URL: project.dbFile, ...(opts.smtpUrl ? { SMTP_URL: opts.smtpUrl } : {}) },
      logger: silentLogger,
      ...(opts.smtpUrl ? {} : { transport: nullTransport() }),
    });
    const newsletter = app.config.newsletters[0];
    const storeStats = opts.instrument ? instrumentStore(app.store) : undefined;
    globalThis.gc?.();

    let syncMs;
    let syncCpuMs;
    let syncReport;
    if (opts.phased) {
      sampler.mark('sync');
      progress('sync');
      const prof = opts.profileSyncFile ? await startProfile() : undefined;
      const t = performance.now();
      const c = cpuMs();
      syncReport = await syncList(app, newsletter.id, new Date());
      syncMs = performance.now() - t;
      syncCpuMs = cpuMs() - c;
      if (prof) await prof.stop(opts.profileSyncFile);
      progress('sync done', { syncMs });
      globalThis.gc?.();
    }

    sampler.mark('send');
    progress('send', { syncMs });
    const ac = new AbortController();
    // The cap is checked at each progress report (each refill of the delivery window), which
    // needs no timer.
    const capMs = opts.capSeconds ? opts.capSeconds * 1000 : Infinity;
    let attempted = 0;
    let firstBatchMs;
    const session = opts.profileFile ? await startProfile() : undefined;
    const t0 = performance.now();
    const c0 = cpuMs();
    const m0 = mainThreadCpuMs();
    const elu0 = performance.eventLoopUtilization();
    // Sampled from the progress callback, so the timeline's points follow the sending itself.
    let lastTick = 0;
    const snap = () => {
      const m = process.memoryUsage();
      return {
        s: Math.round((performance.now() - t0) / 100) / 10,
        attempted,
        rssMb: Math.round(m.rss / 1048576),
        heapMb: Math.round(m.heapTotal / 1048576),
        bufferMb: Math.round(m.arrayBuffers / 1048576),
      };
    };
    const summary = await sendNewsletter(app, newsletter, {
      signal: ac.signal,
      onProgress: (done) => {
        attempted = done;
        const now = performance.now();
        firstBatchMs ??= now - t0;
        if (now - t0 > capMs && !ac.signal.aborted) ac.abort();
        if (now - lastTick >= 2000) {
          lastTick = now;
          timeline.push(snap());
          progress('send', { syncMs, sendMs: now - t0, attempted });
        }
      },
    });
    const sendMs = performance.now() - t0;
    const sendCpuMs = cpuMs() - c0;
    const m1 = mainThreadCpuMs();
    const sendMainCpuMs = m0 === undefined || m1 === undefined ? undefined : m1 - m0;
    // Share of the wall time the main thread was busy: below 1, the run waits (on SMTP replies,
    // between batches) rather than computes.
    const sendElu = performance.eventLoopUtilization(elu0).utilization;
    if (session) await session.stop(opts.profileFile);
    timeline.push(snap());
    await app.close();
    app = undefined;
    const rss = sampler.stop();
    report({
      ok: true,
      readers,
      transport: opts.smtpUrl ? 'smtp' : 'null',
      phased: !!opts.phased,
      capped: ac.signal.aborted,
      csvMs,
      syncMs,
      syncCpuMs,
      syncRows: syncReport?.rows,
      sendMs,
      sendCpuMs,
      sendMainCpuMs,
      sendElu,
      // CPU of this whole process, for the parent's account of what else ran on the machine.
      totalCpuMs: cpuMs(),
      // Time from the start of sendNewsletter to the first committed batch: list sync (unless
      // phased), compose, render of every locale, issue and outbox rows created.
      firstBatchMs,
      storeStats,
      status: summary.status,
      counts: summary.counts,
      attempted: summary.attempted,
      problems: summary.problems.length,
      rss,
      timeline,
    });
  } finally {
    await app?.close().catch(() => {});
    if (!opts.keep) project.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    report({ ok: false, readers, error: String(e?.stack ?? e), rss: sampler.stop() });
    process.exit(1);
  },
);
