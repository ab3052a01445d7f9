// `npm run bench`: the benchmark suite of issue 10.
//
//   (a) naive per-reader MJML pipeline         (in this process, rendering only)
//   (b) nodemailer pool, pre-rendered messages (in this process → sink)
//   (c) minimal pipelined SMTP client          (in this process → sink)
//   (d) the service end to end                 (a fresh child process per run → sink)
//   peak RSS of the service at 10,000 / 100,000 / 1,000,000 readers (a fresh child process each)
//
// The SMTP sink runs in its own child process (sink.mjs) on 127.0.0.1. Results go to
// bench-results.json and BENCHMARKS.md at the project root; the table goes to stdout.
//
// Options:
//   --quick       small sizes, one run, to try the harness; writes no results file unless --write
//   --no-profile  skip the extra (d) run under the V8 CPU profiler (summarised in BENCHMARKS.md);
//                 --quick skips it unless --profile
//   --skip-rss    no RSS sizes
// Environment: BENCH_RUNS, BENCH_A, BENCH_B, BENCH_C, BENCH_D (sizes), BENCH_RSS (e.g.
// "10000:smtp,10000:null,100000:auto,1000000:auto,1000000:null"; auto = SMTP if (d) reached 1,000 msgs/s,
// else the null transport), BENCH_CAP_100K, BENCH_CAP_1M (seconds of sending before it is
// stopped), BENCH_CHILD_LIMIT (seconds before a child is killed), BENCH_PROFILE_DIR (keep the
// .cpuprofile there).
import { execFileSync, fork } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO, cpuMs, distFingerprint, fmt, machine, median, syntheticSubscribers, systemBusyMs } from './lib.mjs';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PROFILE = !args.has('--no-profile') && (!QUICK || args.has('--profile'));
const WRITE = !QUICK || args.has('--write');
const env = (k, d) => (process.env[k] !== undefined ? Number(process.env[k]) : d);

const RUNS = env('BENCH_RUNS', QUICK ? 1 : 3);
const A_READERS = env('BENCH_A', QUICK ? 30 : 300);
const A_WARMUP = 30;
const B_MSGS = env('BENCH_B', QUICK ? 500 : 5000);
const C_MSGS = env('BENCH_C', QUICK ? 2000 : 20000);
const D_READERS = env('BENCH_D', QUICK ? 1000 : 10000);
const RSS_PLAN = (process.env.BENCH_RSS ?? (QUICK ? '1000:smtp,10000:null' : '10000:smtp,10000:null,100000:auto,1000000:auto,1000000:null'))
  .split(',')
  .filter(Boolean)
  .map((x) => {
    const [n, t = 'auto'] = x.split(':');
    return { n: Number(n), transport: t };
  });
const CAP_100K = env('BENCH_CAP_100K', 240);
// The whole million takes 1 to 3 minutes through the null transport and 5 to 10 through the sink
// (3,500 to 1,700 msgs/s on the hosts this ran on): let it finish, so its peak is not a lower bound.
const CAP_1M = env('BENCH_CAP_1M', 900);
const CHILD_LIMIT_S = env('BENCH_CHILD_LIMIT', 1200);

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const children = new Set();
const tmpDirs = new Set();
const startedAt = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${a.join(' ')}\n`);

function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  children.clear();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

// --- the sink ------------------------------------------------------------------------------

async function startSink() {
  const child = fork(here('./sink.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the SMTP sink did not start within 10 s')), 10_000);
    child.once('message', (m) => {
      clearTimeout(t);
      if (m?.ready) resolve(m.port);
      else reject(new Error(`sink: unexpected ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}) before listening`)));
  });
  let seq = 0;
  const stats = () =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const t = setTimeout(() => reject(new Error('the sink did not answer within 10 s')), 10_000);
      const onMessage = (m) => {
        if (m?.id !== id) return;
        clearTimeout(t);
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send({ cmd: 'stats', id });
    });
  return { child, port, url: `smtp://127.0.0.1:${port}`, stats };
}

let distPrint;
const warnings = [];
/** Someone rebuilding dist/ mid-run would mix two versions of the code in one table: say so. */
function checkDist(where) {
  const now = distFingerprint();
  if (distPrint !== undefined && now !== distPrint) {
    const w = `dist/ changed on disk before ${where} (rebuilt by someone else?): figures before and after may come from different code`;
    warnings.push(w);
    log(`WARNING: ${w}`);
  }
  distPrint = now;
}

/**
 * Runs one measured case: the sink's counters (messages, bytes, its CPU) around it, and how much
 * CPU other processes on the machine used meanwhile (all busy CPU in /proc/stat minus this
 * process, the sink and the case's child), as a share of every core over the case's wall time.
 */
async function measured(sink, where, fn) {
  checkDist(where);
  const s0 = await sink.stats();
  const sys0 = systemBusyMs();
  const p0 = cpuMs();
  const t0 = performance.now();
  const r = await fn();
  const wall = performance.now() - t0;
  const p1 = cpuMs();
  const sys1 = systemBusyMs();
  const s1 = await sink.stats();
  const messages = s1.messages - s0.messages;
  const own = p1 - p0 + (s1.cpuMs - s0.cpuMs) + (r.totalCpuMs ?? 0);
  const otherPct = sys0 === undefined || r.ok === false ? undefined : Math.max(0, ((sys1 - sys0 - own) / (wall * results.machine.nproc)) * 100);
  return {
    ...r,
    otherPct,
    sink: { messages, bytesPerMsg: messages ? (s1.bytes - s0.bytes) / messages : 0, cpuMsPerMsg: messages ? (s1.cpuMs - s0.cpuMs) / messages : 0, rejected: s1.rejected - s0.rejected },
  };
}

// --- children for (d) and RSS ----------------------------------------------------------------

function runService(opts, { limitS = CHILD_LIMIT_S } = {}) {
  return new Promise((resolve) => {
    const execArgv = ['--expose-gc'];
    const tmpRoot = mkdtempSync(join(tmpdir(), 'nl-bench-'));
    tmpDirs.add(tmpRoot);
    const child = fork(here('./service-run.mjs'), [JSON.stringify({ ...opts, tmpRoot })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    children.add(child);
    let result;
    let last;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.on('message', (m) => {
      if (m?.progress) last = m.progress;
      else result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      rmSync(tmpRoot, { recursive: true, force: true });
      tmpDirs.delete(tmpRoot);
      if (result) resolve(result);
      else
        resolve({
          ok: false,
          readers: opts.readers,
          transport: opts.smtpUrl ? 'smtp' : 'null',
          killed,
          error: killed ? `killed after the ${limitS} s limit` : `exited with ${code ?? signal} without a result (out of memory?)`,
          last,
        });
    });
  });
}

// --- the RSA-2048 signing floor ---------------------------------------------------------------

/**
 * RSA-2048 signatures a second on this machine, what DKIM cannot go below (every message has
 * its own): `openssl speed -seconds 3 rsa2048` (one core), and node's `crypto.sign` over 800
 * bytes (about a digest's signed header fields), on one core and with one signature in flight per
 * core on libuv's thread pool (every core signing, nothing else). Taken just before (d+DKIM), so
 * under the same conditions.
 */
async function rsaFloor() {
  const floor = { cores: results.machine.nproc };
  try {
    const text = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /^rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/m.exec(text);
    if (m) floor.openssl = Number(m[1]);
  } catch {
    // no openssl command here: node's figures alone
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(800, 'h');
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    cryptoSign('sha256', data, privateKey);
    n++;
  }
  floor.node = n / ((performance.now() - t0) / 1000);
  n = 0;
  const t1 = performance.now();
  await new Promise((resolve) => {
    let running = 0;
    const more = () => {
      while (running < floor.cores && performance.now() - t1 < 3000) {
        running++;
        cryptoSign('sha256', data, privateKey, () => {
          running--;
          n++;
          if (running === 0 && performance.now() - t1 >= 3000) resolve();
          else more();
        });
      }
    };
    more();
  });
  floor.nodeAllCores = n / ((performance.now() - t1) / 1000);
  return floor;
}

// --- the run ---------------------------------------------------------------------------------

const results = { machine: machine(), config: { RUNS, A_READERS, B_MSGS, C_MSGS, D_READERS, RSS_PLAN, CAP_100K, CAP_1M, CHILD_LIMIT_S }, started: new Date().toISOString(), rss: [] };

function summarise(runs) {
  return {
    msgs_per_s: median(runs.map((r) => r.msgsPerS)),
    cpu_ms_per_msg: median(runs.map((r) => r.cpuMsPerMsg)),
    other_load_pct: median(runs.map((r) => r.otherPct ?? 0)),
    runs: runs.map((r) => ({
      n: r.n,
      ms: Math.round(r.ms),
      msgs_per_s: r.msgsPerS,
      cpu_ms_per_msg: r.cpuMsPerMsg,
      other_load_pct: r.otherPct,
      ...(r.sink?.messages ? { sink: r.sink } : {}),
      ...(r.extra ?? {}),
    })),
  };
}

async function main() {
  const { prepareIssue, runNaive, runPool, runRaw, createPool, representativeMessage } = await import('./cases.mjs');
  checkDist('the start');
  const sink = await startSink();
  log(`SMTP sink on ${sink.url} (pid ${sink.child.pid})`);
  const ctx = await prepareIssue();
  results.issue = { articles: ctx.issue.articles.length, locales: ctx.newsletter.locales.supported };
  const readers = syntheticSubscribers(Math.max(B_MSGS, A_WARMUP + A_READERS * RUNS, 1000));
  const message = await representativeMessage(ctx, readers[0]);
  results.issue.messageBytes = message.eml.length;
  log(`issue: ${ctx.issue.articles.length} articles, a message of ${message.eml.length} bytes`);

  // (c) first: it needs nothing but the sink.
  const c = [];
  await runRaw(sink.port, message, 50, 5); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const r = await measured(sink, `(c) run ${i + 1}`, () => runRaw(sink.port, message, C_MSGS, 5));
    if (r.sink.messages !== r.n) throw new Error(`(c) the sink counted ${r.sink.messages} messages for ${r.n} sent`);
    c.push(r);
    log(`(c) run ${i + 1}: ${fmt(r.msgsPerS, 0)} msgs/s`);
  }

  // (b) the pool: one pool for all runs (warmed up), bounded window of 20 (4 × 5 connections).
  const b = [];
  const pool = createPool(sink.port);
  try {
    await runPool(ctx, pool, readers, 50);
    for (let i = 0; i < RUNS; i++) {
      const r = await measured(sink, `(b) run ${i + 1}`, () => runPool(ctx, pool, readers, B_MSGS, 20));
      if (r.sink.messages !== r.n) throw new Error(`(b) the sink counted ${r.sink.messages} messages for ${r.n} sent`);
      b.push(r);
      log(`(b) run ${i + 1}: ${fmt(r.msgsPerS, 0)} msgs/s`);
    }
  } finally {
    pool.close();
  }

  // (a) naive: the same untimed warm-up readers, then a different slice of readers each run.
  const a = [];
  for (let i = 0; i < RUNS; i++) {
    const from = A_WARMUP + i * A_READERS;
    const r = await measured(sink, `(a) run ${i + 1}`, () => runNaive(ctx, readers.slice(from, from + A_READERS), readers.slice(0, A_WARMUP)));
    a.push(r);
    log(`(a) run ${i + 1}: ${fmt(r.msgsPerS, 1)} readers/s`);
  }
  await ctx.close();

  // One run of the service (d, d+DKIM) as the tables read it.
  const serviceRun = (r, more = {}) => ({
    otherPct: r.otherPct,
    n: D_READERS,
    ms: r.sendMs,
    msgsPerS: D_READERS / (r.sendMs / 1000),
    cpuMsPerMsg: r.sendCpuMs / D_READERS,
    sink: r.sink,
    extra: {
      ...more,
      event_loop_utilisation: r.sendElu,
      main_thread_cpu_ms_per_msg: r.sendMainCpuMs === undefined ? undefined : r.sendMainCpuMs / D_READERS,
      peak_rss_mb: r.rss.peakMb,
    },
  });

  // (d) the service end to end, a fresh process and store per run.
  const d = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await measured(sink, `(d) run ${i + 1}`, () => runService({ readers: D_READERS, smtpUrl: sink.url }));
    if (!r.ok) throw new Error(`(d) run failed: ${r.error}`);
    if (r.counts.sent !== D_READERS || r.sink.messages !== D_READERS) throw new Error(`(d) ${r.counts.sent} rows sent, sink counted ${r.sink.messages}, for ${D_READERS} readers`);
    d.push(serviceRun(r, { first_batch_ms: Math.round(r.firstBatchMs), cpu_share: r.sendCpuMs / r.sendMs }));
    log(
      `(d) run ${i + 1}: ${fmt(D_READERS / (r.sendMs / 1000), 0)} msgs/s, ${fmt(r.sendCpuMs / D_READERS, 2)} CPU ms/msg, main thread busy ${fmt(r.sendElu * 100, 0)} %, first batch after ${fmt(r.firstBatchMs, 0)} ms, peak RSS ${fmt(r.rss.peakMb, 0)} MB`,
    );
  }

  // The floor DKIM cannot go below, measured now, beside the runs it bounds.
  log('RSA-2048 signing floor (openssl speed -seconds 3 rsa2048; node crypto.sign, 3 s each)…');
  results.rsa_floor = await rsaFloor();
  {
    const f = results.rsa_floor;
    log(`  openssl ${fmt(f.openssl, 0)} signs/s; node ${fmt(f.node, 0)} signs/s on one core, ${fmt(f.nodeAllCores, 0)} on ${f.cores} cores`);
  }

  // (d) again with a DKIM key configured: what signing adds per message, reported on its own.
  const dk = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await measured(sink, `(d+DKIM) run ${i + 1}`, () => runService({ readers: D_READERS, smtpUrl: sink.url, dkim: true }));
    if (!r.ok) throw new Error(`(d+DKIM) run failed: ${r.error}`);
    if (r.counts.sent !== D_READERS || r.sink.messages !== D_READERS) throw new Error(`(d+DKIM) ${r.counts.sent} rows sent, sink counted ${r.sink.messages}, for ${D_READERS} readers`);
    dk.push(serviceRun(r));
    log(`(d+DKIM) run ${i + 1}: ${fmt(D_READERS / (r.sendMs / 1000), 0)} msgs/s, ${fmt(r.sendCpuMs / D_READERS, 2)} CPU ms/msg (main thread ${fmt((r.sendMainCpuMs ?? NaN) / D_READERS, 2)})`);
  }
  // Once with an Ed25519 key beside the RSA one (two signatures a message): not a goal, for scale.
  {
    const r = await measured(sink, '(d+DKIM dual)', () => runService({ readers: D_READERS, smtpUrl: sink.url, dkim: 'dual' }));
    if (!r.ok) throw new Error(`(d+DKIM dual) run failed: ${r.error}`);
    if (r.counts.sent !== D_READERS || r.sink.messages !== D_READERS) throw new Error(`(d+DKIM dual) ${r.counts.sent} rows sent, sink counted ${r.sink.messages}, for ${D_READERS} readers`);
    results.d_dkim_dual = summarise([serviceRun(r)]);
    log(`(d+DKIM dual, RSA + Ed25519): ${fmt(D_READERS / (r.sendMs / 1000), 0)} msgs/s, ${fmt(r.sendCpuMs / D_READERS, 2)} CPU ms/msg`);
  }

  results.a = summarise(a);
  results.b = summarise(b);
  results.c = summarise(c);
  results.d = summarise(d);
  results.d_dkim = summarise(dk);

  if (PROFILE) {
    const keep = process.env.BENCH_PROFILE_DIR;
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'nl-cpuprof-'));
    const { summariseProfile } = await import('./profile.mjs');
    const profiled = async (label, opts) => {
      const file = `${label}-${D_READERS}-${Date.now()}.cpuprofile`;
      log(`(${label}) once more under the V8 CPU profiler (not counted in the figures)`);
      const r = await runService({ readers: D_READERS, smtpUrl: sink.url, profileFile: join(dir, file), instrument: true, ...opts });
      if (!r.ok || !existsSync(join(dir, file))) return undefined;
      const p = {
        msgs_per_s: D_READERS / (r.sendMs / 1000),
        sendMs: r.sendMs,
        firstBatchMs: r.firstBatchMs,
        elu: r.sendElu,
        cpuMs: r.sendCpuMs,
        mainCpuMs: r.sendMainCpuMs,
        storeStats: r.storeStats,
        ...summariseProfile(join(dir, file), 25),
      };
      log(`profile: ${fmt(p.totalMs, 0)} ms sampled; by nearest project function:`);
      for (const x of p.byProject.slice(0, 12)) log(`  ${String(x.ms).padStart(7)} ms ${String(x.pct).padStart(5)} %  ${x.fn}`);
      log('by nearest package function:');
      for (const x of p.byPackage.slice(0, 12)) log(`  ${String(x.ms).padStart(7)} ms ${String(x.pct).padStart(5)} %  ${x.fn}`);
      if (keep) log(`profile kept in ${join(dir, file)}`);
      return p;
    };
    results.profile = await profiled('d', {});
    results.profileDkim = await profiled('d+DKIM', { dkim: true });
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }

  // Peak RSS per size, each in a fresh process: the list sync timed on its own, then
  // sendNewsletter. Sizes above 10,000 go through the null transport unless (d) reached
  // 1,000 msgs/s ("auto"); sending is capped in time at 100,000 and 1,000,000.
  if (!args.has('--skip-rss')) {
    for (const { n, transport } of RSS_PLAN) {
      const smtp = transport === 'smtp' || (transport === 'auto' && (n <= 10_000 || results.d.msgs_per_s >= 1000));
      const capSeconds = n >= 1_000_000 ? CAP_1M : n >= 100_000 ? CAP_100K : undefined;
      log(`RSS at ${n.toLocaleString('en-US')} readers (${smtp ? 'SMTP to the sink' : 'null transport'}${capSeconds ? `, sending capped at ${capSeconds} s` : ''})…`);
      const r = await measured(sink, `RSS ${n}`, () => runService({ readers: n, phased: true, instrument: true, ...(smtp ? { smtpUrl: sink.url } : {}), ...(capSeconds ? { capSeconds } : {}) }));
      results.rss.push({ ...r, capSeconds });
      if (r.ok) {
        log(
          `  peak ${fmt(r.rss.peakMb, 0)} MB; sync ${fmt(r.syncMs / 1000, 1)} s; sendNewsletter ${fmt(r.sendMs / 1000, 1)} s, ${r.counts.sent.toLocaleString('en-US')} sent${r.capped ? ' (capped)' : ''}`,
        );
        log(
          `  timeline (s/sent/RSS/heap/ArrayBuffer MB): ${thin(r.timeline ?? [])
            .map((t) => `${t.s}/${t.attempted}/${t.rssMb}/${t.heapMb}/${t.bufferMb}`)
            .join(' ')}`,
        );
      } else {
        log(`  did not finish: ${r.error.split('\n')[0]}`);
      }
    }
  }
  checkDist('the end');
  results.finished = new Date().toISOString();
  results.durationS = (Date.now() - startedAt) / 1000;
}

// --- reporting -------------------------------------------------------------------------------

const n0 = (x) => x.toLocaleString('en-US');

function rssRun(n, transport) {
  return results.rss.find((r) => r.readers === n && (!transport || r.transport === transport));
}

/** The peak of a run, or for a run that did not finish the highest VmHWM it reported. */
function peakOf(r) {
  if (!r) return null;
  if (r.ok) return r.rss.peakMb;
  return r.last?.hwmMb ?? null;
}
const complete = (r) => !!r && r.ok && !r.capped;

/** The (10,000, 1,000,000) runs the growth goal compares: SMTP when the million went through the sink, else null; `other` gives the remaining pair. */
function growthPair(other = false) {
  const smtp = [rssRun(10000, 'smtp'), rssRun(1000000, 'smtp')];
  const nul = [rssRun(10000, 'null'), rssRun(1000000, 'null')];
  const smtpFirst = complete(smtp[1]) && smtp[0];
  const [chosen, rest] = smtpFirst ? [smtp, nul] : [nul[1] ? nul : smtp, nul[1] ? smtp : nul];
  return other ? rest : [chosen[0] ?? nul[0] ?? smtp[0], chosen[1]];
}

function goals() {
  const { b, c, d } = results;
  const r10smtp = rssRun(10000, 'smtp');
  const r10null = rssRun(10000, 'null');
  const r100 = rssRun(100000);
  const p100 = peakOf(r100);
  // A capped or unfinished run gives a lower bound of its peak: enough to say "no", not "yes".
  const rss100 = p100 === null ? null : p100 >= 300 ? false : complete(r100) ? true : null;
  // Like with like: the million through the sink against 10,000 through the sink when that run
  // finished, else both through the null transport. The other pair is reported beside it.
  const [base, r1m] = growthPair();
  const other = growthPair(true);
  const pBase = peakOf(base);
  const p1m = peakOf(r1m);
  const growth = pBase !== null && p1m !== null ? (p1m - pBase) / pBase : null;
  const growthMet = growth === null ? null : growth > 0.3 ? false : complete(r1m) ? true : null;
  const pairText = (b, m) => {
    const g = (peakOf(m) - peakOf(b)) / peakOf(b);
    return `${fmt(peakOf(b), 0)} MB (10,000, ${b.transport} transport) → ${fmt(peakOf(m), 0)} MB (1,000,000, ${m.transport} transport): ${g >= 0 ? '+' : ''}${fmt(g * 100, 0)} %`;
  };
  const growthText =
    growth === null
      ? 'not measured'
      : pairText(base, r1m) +
        (other[0] && other[1] && peakOf(other[1]) !== null ? `; through the ${other[1].transport} transport: ${pairText(...other)}` : '') +
        (complete(r1m) ? '' : `; the 1,000,000 run did not send everyone (${r1m.ok ? `capped after ${fmt(r1m.sendMs / 1000, 0)} s of sending` : r1m.error}), so its peak is a lower bound`);
  return [
    { goal: 'd ≥ 1,000 msgs/s end to end', met: d.msgs_per_s >= 1000, value: `${fmt(d.msgs_per_s, 0)} msgs/s` },
    { goal: 'd ≥ 0.25 × c', met: d.msgs_per_s >= 0.25 * c.msgs_per_s, value: `d/c = ${fmt(d.msgs_per_s / c.msgs_per_s, 3)} (0.25 × c = ${fmt(0.25 * c.msgs_per_s, 0)} msgs/s)` },
    { goal: 'd ≥ 2 × b', met: d.msgs_per_s >= 2 * b.msgs_per_s, value: `d/b = ${fmt(d.msgs_per_s / b.msgs_per_s, 2)} (2 × b = ${fmt(2 * b.msgs_per_s, 0)} msgs/s)` },
    { goal: '(aim) d ≥ 0.5 × c', met: d.msgs_per_s >= 0.5 * c.msgs_per_s, value: `d/c = ${fmt(d.msgs_per_s / c.msgs_per_s, 3)}` },
    {
      goal: 'peak RSS < 300 MB at 100,000 readers',
      met: rss100,
      value: p100 === null ? 'not measured' : `${fmt(p100, 0)} MB (${r100.transport} transport${complete(r100) ? '' : ', run incomplete: a lower bound'})`,
    },
    { goal: 'peak RSS grows ≤ 30 % from 10,000 to 1,000,000 readers', met: growthMet, value: growthText },
    ...dkimGoals(),
  ];
}

/** Issue 23: DKIM at line rate, in the same run as (d). */
function dkimGoals() {
  const { d, d_dkim: dk } = results;
  return [
    { goal: '(d+DKIM) ≥ 0.6 × d (issue 23)', met: dk.msgs_per_s >= 0.6 * d.msgs_per_s, value: `(d+DKIM)/d = ${fmt(dk.msgs_per_s / d.msgs_per_s, 3)} (0.6 × d = ${fmt(0.6 * d.msgs_per_s, 0)} msgs/s)` },
    { goal: '(d+DKIM) ≥ 1,000 msgs/s (issue 23)', met: dk.msgs_per_s >= 1000, value: `${fmt(dk.msgs_per_s, 0)} msgs/s` },
  ];
}

/** Median main-thread CPU ms/msg of a case's runs, when /proc gave it. */
function mainCpu(x) {
  const v = x.runs.map((r) => r.main_thread_cpu_ms_per_msg).filter((m) => m !== undefined);
  return v.length ? median(v) : undefined;
}

function floorText() {
  const f = results.rsa_floor;
  if (!f) return 'not measured';
  return `one RSA-2048 signature costs ${f.openssl ? `${fmt(1000 / f.openssl, 3)} ms with openssl (${fmt(f.openssl, 0)}/s)` : 'n/a with openssl'} and ${fmt(1000 / f.node, 3)} ms with node's crypto.sign (${fmt(f.node, 0)}/s) on one core; ${fmt(f.nodeAllCores, 0)}/s on all ${f.cores} cores`;
}

function table() {
  const { a, b, c, d } = results;
  const rows = [
    ['(a) naive per-reader MJML (rendering only)', a, A_READERS],
    ['(b) nodemailer pool, pre-rendered html + text', b, B_MSGS],
    ['(c) raw pipelined SMTP client, pre-built bytes', c, C_MSGS],
    ['(d) service end to end (sendNewsletter)', d, D_READERS],
    ['(d+DKIM) the same, every message DKIM-signed (RSA-2048)', results.d_dkim, D_READERS],
  ];
  const lines = ["| case | msgs/s (median) | CPU ms/msg (median) | runs × messages | msgs/s of each run | other processes' CPU |", '|---|---:|---:|---|---|---:|'];
  for (const [name, x, size] of rows)
    lines.push(`| ${name} | ${fmt(x.msgs_per_s, 1)} | ${fmt(x.cpu_ms_per_msg, 3)} | ${RUNS} × ${n0(size)} | ${x.runs.map((r) => fmt(r.msgs_per_s, 0)).join(', ')} | ${fmt(x.other_load_pct, 0)} % |`);
  lines.push('', '| ratio | value |', '|---|---:|');
  lines.push(`| d / a | ${fmt(d.msgs_per_s / a.msgs_per_s, 2)} |`, `| d / b | ${fmt(d.msgs_per_s / b.msgs_per_s, 3)} |`, `| d / c | ${fmt(d.msgs_per_s / c.msgs_per_s, 3)} |`);
  const dk = results.d_dkim;
  const mainAdded = mainCpu(dk) !== undefined && mainCpu(d) !== undefined ? `, ${fmt(mainCpu(dk) - mainCpu(d), 3)} of them on the main thread` : '';
  lines.push(`| (d+DKIM) / d | ${fmt(dk.msgs_per_s / d.msgs_per_s, 3)} (DKIM adds ${fmt(dk.cpu_ms_per_msg - d.cpu_ms_per_msg, 3)} CPU ms/msg${mainAdded}; ${floorText()}) |`);
  if (results.rss.length) {
    lines.push('', '| readers | transport | peak RSS MB | peak in list sync MB | list sync s | sendNewsletter s | sent | note |', '|---:|---|---:|---:|---:|---:|---:|---|');
    for (const r of results.rss) {
      if (r.ok) {
        const note = [r.transport === 'null' ? 'null transport: no SMTP' : '', r.capped ? `sending stopped by the ${r.capSeconds} s cap` : ''].filter(Boolean).join('; ');
        lines.push(
          `| ${n0(r.readers)} | ${r.transport} | ${fmt(r.rss.peakMb, 0)} | ${fmt(r.rss.phases.sync, 0)} | ${fmt(r.syncMs / 1000, 1)} | ${fmt(r.sendMs / 1000, 1)} | ${n0(r.counts.sent)} | ${note} |`,
        );
      } else {
        lines.push(
          `| ${n0(r.readers)} | ${r.transport} | ${r.last?.hwmMb ? `≥ ${fmt(r.last.hwmMb, 0)}` : 'n/a'} | | ${r.last?.syncMs ? fmt(r.last.syncMs / 1000, 1) : 'n/a'} | | | did not finish: ${r.error.split('\n')[0]}; last phase "${r.last?.phase ?? '?'}" |`,
        );
      }
    }
  }
  return lines.join('\n');
}

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function resultsJson() {
  const pick = (x) => ({ msgs_per_s: round(x.msgs_per_s, 1), cpu_ms_per_msg: round(x.cpu_ms_per_msg, 3) });
  const { a, b, c, d } = results;
  return {
    a: pick(a),
    b: pick(b),
    c: pick(c),
    d: pick(d),
    d_dkim: pick(results.d_dkim),
    d_dkim_over_d: round(results.d_dkim.msgs_per_s / d.msgs_per_s, 3),
    d_dkim_dual: results.d_dkim_dual ? pick(results.d_dkim_dual) : null,
    rsa2048_signs_per_s: results.rsa_floor
      ? { openssl: round(results.rsa_floor.openssl, 0), node_one_core: round(results.rsa_floor.node, 0), node_all_cores: round(results.rsa_floor.nodeAllCores, 0) }
      : null,
    d_over_a: round(d.msgs_per_s / a.msgs_per_s, 3),
    d_over_b: round(d.msgs_per_s / b.msgs_per_s, 3),
    d_over_c: round(d.msgs_per_s / c.msgs_per_s, 3),
    rss_mb: {
      10000: round(peakOf(growthPair()[0]), 1),
      100000: round(peakOf(rssRun(100000)), 1),
      1000000: round(peakOf(growthPair()[1]), 1),
    },
    // Which transport those two sizes went through, and the other pair.
    rss_transport: growthPair()[1]?.transport ?? null,
    rss_mb_other_transport: { 10000: round(peakOf(growthPair(true)[0]), 1), 1000000: round(peakOf(growthPair(true)[1]), 1) },
  };
}

function thin(tl) {
  if (tl.length <= 12) return tl;
  const step = Math.ceil(tl.length / 11);
  return tl.filter((_, i) => i % step === 0 || i === tl.length - 1);
}

function rssDetail(r) {
  const head = `- **${n0(r.readers)} readers**, ${r.transport === 'null' ? '**null transport, no SMTP**' : 'SMTP to the sink'}`;
  if (!r.ok) return `${head}: did not finish (${r.error.split('\n')[0]}). Last progress: ${JSON.stringify(r.last ?? {})}.`;
  const rate = r.counts.sent / (r.sendMs / 1000);
  const send = r.capped
    ? `\`sendNewsletter\` was stopped by its ${r.capSeconds} s cap after ${fmt(r.sendMs / 1000, 1)} s with ${n0(r.counts.sent)} of ${n0(r.readers)} readers sent (${fmt(rate, 0)} msgs/s over the whole call; ${n0(r.counts.queued)} still queued): at that rate the whole list would take about ${fmt(r.readers / rate / 60, 0)} minutes`
    : `\`sendNewsletter\`: ${fmt(r.sendMs / 1000, 1)} s for ${n0(r.counts.sent)} sent (${fmt(rate, 0)} msgs/s, ${fmt(r.sendCpuMs / Math.max(1, r.counts.sent), 2)} CPU ms/msg)`;
  const st = r.storeStats
    ? Object.entries(r.storeStats)
        .filter(([, v]) => v.ms >= 50)
        .sort((x, y) => y[1].ms - x[1].ms)
    : [];
  const stText = st.length
    ? ` Store calls made by \`sendNewsletter\`, timed from outside (calls, total, per call): ${st.map(([k, v]) => `${k} ${n0(v.calls)} × = ${fmt(v.ms / 1000, 1)} s (${fmt(v.ms / v.calls, 1)} ms)`).join('; ')}.`
    : '';
  const tl = r.timeline?.length
    ? ` Send timeline (seconds / sent / RSS MB / V8 heap MB / ArrayBuffer MB): ${thin(r.timeline)
        .map((t) => `${t.s}/${n0(t.attempted)}/${t.rssMb}/${t.heapMb}/${t.bufferMb}`)
        .join(', ')}.`
    : '';
  return `${head}: peak RSS ${fmt(r.rss.peakMb, 0)} MB (VmHWM ${fmt(r.rss.vmHwmMb, 0)} MB; highest 50 ms poll per phase: ${Object.entries(r.rss.phases)
    .map(([ph, v]) => `${ph} ${fmt(v, 0)}`)
    .join(
      ', ',
    )} MB). List sync of the ${n0(r.readers)}-row CSV: ${fmt(r.syncMs / 1000, 1)} s wall, ${fmt(r.syncCpuMs / 1000, 1)} s CPU. Then ${send}. Other processes used ${fmt(r.otherPct, 0)} % of the machine meanwhile. The first batch was committed ${fmt(r.firstBatchMs / 1000, 1)} s into \`sendNewsletter\` (it hashes the list file, unchanged since the sync, then composes, renders and creates the outbox).${stText}${tl}`;
}

function dkimSection() {
  const { d, d_dkim: dk, d_dkim_dual: dual, profileDkim: p } = results;
  const f = results.rsa_floor;
  const md = mainCpu(d);
  const mk = mainCpu(dk);
  const rows = (xs, k) =>
    xs
      .slice(0, k)
      .map((r) => `| ${n0(r.ms)} | ${r.pct} | \`${r.fn}\` |`)
      .join('\n');
  return `
## DKIM (issue 23)

Each message is signed once, just before it is handed to the transport (src/delivery/dkim.ts): the body hash with
native SHA-256 over the message's pieces, the rendering's shared pieces canonicalised once for all their readers
(src/delivery/dkim-canon.ts), the relaxed form of the signed header fields only, and the RSA signature with
\`crypto.sign\` in ${f ? Math.max(1, f.cores - 1) : 'cores − 1'} worker thread(s) fed in batches (src/delivery/dkim-signer.ts: one core is left to the event loop).

- **The floor on this machine**, measured in this run just before (d+DKIM): ${floorText()}.
  ${f ? `Signing alone at one signature per core would cap any sender here at about ${fmt(f.nodeAllCores, 0)} msgs/s.` : ''}
- **(d)** ${fmt(d.msgs_per_s, 0)} msgs/s at ${fmt(d.cpu_ms_per_msg, 3)} CPU ms/msg${md !== undefined ? ` (main thread ${fmt(md, 3)})` : ''}; **(d+DKIM)** ${fmt(dk.msgs_per_s, 0)} msgs/s at
  ${fmt(dk.cpu_ms_per_msg, 3)} CPU ms/msg${mk !== undefined ? ` (main thread ${fmt(mk, 3)})` : ''}: signing adds ${fmt(dk.cpu_ms_per_msg - d.cpu_ms_per_msg, 3)} CPU ms/msg${mk !== undefined && md !== undefined ? `, of which ${fmt(mk - md, 3)} on the event loop (canonicalisation, hashing, header assembly, handing the data to the signing thread) and the rest in that thread (the signature)` : ''}.
  The main-thread figures come from /proc/self/task (10 ms steps). The SMTP sink, on the same ${results.machine.nproc} cores, used ${fmt(median(dk.runs.map((r) => r.sink?.cpuMsPerMsg ?? 0)), 3)} CPU ms/msg.
${dual ? `- **RSA and Ed25519** (\`delivery.dkim.keys\`, two signatures a message), one run, not a goal: ${fmt(dual.msgs_per_s, 0)} msgs/s at ${fmt(dual.cpu_ms_per_msg, 3)} CPU ms/msg.\n` : ''}${
    p
      ? `
One more (d+DKIM) run under V8's CPU profiler (main thread only; the signatures run in the signing thread, outside it) at
${fmt(p.msgs_per_s, 0)} msgs/s: ${fmt(p.sendMs / 1000, 1)} s, CPU ${fmt(p.cpuMs / 1000, 1)} s of which ${p.mainCpuMs !== undefined ? `${fmt(p.mainCpuMs / 1000, 1)} s` : 'n/a'} on the main thread, busy ${fmt(p.elu * 100, 0)} % of the time.

| ms | % | by nearest project function |
|---:|---:|---|
${rows(p.byProject, 15)}
`
      : ''
  }`;
}

function profileSection() {
  const p = results.profile;
  if (!p) return '';
  const rows = (xs, k) =>
    xs
      .slice(0, k)
      .map((r) => `| ${n0(r.ms)} | ${r.pct} | \`${r.fn}\` |`)
      .join('\n');
  return `
## Where (d)'s time goes

One more (d) run of ${n0(D_READERS)} readers with V8's CPU profiler (the same sampler as \`node --cpu-prof\`, started and
stopped around the \`sendNewsletter\` call through \`node:inspector\`) at ${fmt(p.msgs_per_s, 0)} msgs/s, not counted in the figures:
${n0(p.totalMs)} ms sampled, summarised by bench/profile.mjs. Each sample is charged to the nearest function of the
project (dist/), then separately to the nearest function in any file (packages included): what asked for the time
spent in Node's internals (streams, sockets, Buffer conversion).

That run: ${fmt(p.sendMs / 1000, 1)} s, of which ${fmt(p.firstBatchMs / 1000, 1)} s before the first batch was committed (list sync, compose, render,
outbox rows); CPU ${fmt(p.cpuMs / 1000, 1)} s (${fmt(p.cpuMs / p.sendMs, 2)} cores); main thread busy ${fmt(p.elu * 100, 0)} % of the time.
${
  p.storeStats
    ? `Store calls timed from outside (the harness wraps the store's methods; synchronous SQLite, so this is how long
each held the event loop, fsync included), and the time from each claim to the next record, i.e. delivering that batch:

| store method | calls | total ms | ms per call |
|---|---:|---:|---:|
${Object.entries(p.storeStats)
  .filter(([, v]) => v.ms >= 1)
  .sort((x, y) => y[1].ms - x[1].ms)
  .slice(0, 10)
  .map(([k, v]) => `| ${k} | ${n0(v.calls)} | ${n0(Math.round(v.ms))} | ${fmt(v.ms / v.calls, 2)} |`)
  .join('\n')}
`
    : ''
}
By nearest project function:

| ms | % | function |
|---:|---:|---|
${rows(p.byProject, 15)}

By nearest package or project function:

| ms | % | function |
|---:|---:|---|
${rows(p.byPackage, 15)}

Self time:

| ms | % | function |
|---:|---:|---|
${rows(p.self, 12)}
`;
}

function markdown() {
  const m = results.machine;
  const { b, c, d } = results;
  const g = goals();
  const sinkLine = (x) =>
    x.runs[0]?.sink
      ? `The sink accepted ${x.runs.map((r) => n0(r.sink.messages)).join(' / ')} messages, ${fmt(median(x.runs.map((r) => r.sink.bytesPerMsg)) / 1024, 1)} KB each, using ${fmt(median(x.runs.map((r) => r.sink.cpuMsPerMsg)), 3)} CPU ms/msg itself`
      : '';
  return `# Benchmarks

Produced by \`npm run bench\` (bench/run.mjs), finished ${results.finished}; the whole run took ${fmt(results.durationS / 60, 1)} minutes.
What is measured and why: issue 10. The figures of this run: \`bench-results.json\`.

## Machine

- ${m.nproc} CPUs (\`nproc\`), ${m.cpu} (model name in /proc/cpuinfo), ${m.memGb} GB RAM, ${m.platform}
- Node ${m.node}. The SMTP sink (smtp-server, its own process) shares the same ${m.nproc} cores.

## Results

${table()}

Each throughput figure is the median of ${RUNS} runs. CPU ms/msg is \`process.cpuUsage()\` (user + system, all threads)
of the sending process over the timed span, divided by the messages; the sink's own CPU is given per case below.
"Other processes' CPU" is the machine's busy time in /proc/stat during the case minus the benchmark's own processes
(harness, sink, child), as a share of all ${m.nproc} cores (median over the runs): anything well above 0 % means something
else ran on this machine meanwhile and the throughput figures of that case are lower than on a quiet machine.
${warnings.length ? `\n**Warnings of this run:**\n\n${warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}

## Goals (issues 10 and 23)

| goal | met | measured |
|---|---|---|
${g.map((x) => `| ${x.goal} | ${x.met === null ? 'not shown' : x.met ? 'yes' : '**no**'} | ${x.value} |`).join('\n')}

## Method

- **The issue**: the sample project (templates, articles, \`newsletter.config.yaml\`) copied to a temp folder as
  \`test/helpers/project.ts\` does, plus two synthetic stories (one with a long tracking URL, one French), so the issue
  of the latest slot carries ${results.issue.articles} articles (two with French translations), in ${results.issue.locales.join(', ')}. Each message has html and
  text, every header the service sets (List-Unsubscribe with List-Unsubscribe-Post, List-Id, Feedback-ID,
  Auto-Submitted, Message-ID) and per-reader signed unsubscribe and preference links: ${fmt(results.issue.messageBytes / 1024, 1)} KB on the wire for
  a French reader (the service minifies MJML's HTML, whitespace only; (b), (c) and (d) all send that HTML).
- **Readers**: a synthetic list (bench/lib.mjs, deterministic): locales en, en-GB, fr, fr-CA and ar in 6 time zones;
  names with accents, CJK, apostrophes and Arabic (right to left), 3 % without a name; 10 % 64-character local parts on
  a long domain, 5 % mixed-case addresses; 10 % chose topics. All subscribed with a consent date.
- **Sink**: \`smtp-server\` in a separate process on 127.0.0.1 (port 0, reported over IPC) with \`authOptional\`,
  \`disabledCommands: ['AUTH', 'STARTTLS']\`, \`disableReverseLookup\`; it counts messages and bytes and discards them.
  Every case checks that the sink counted exactly the messages it was sent. It is killed at the end, also on error.
- **(a) naive per-reader MJML**: per reader, the Handlebars layout (compiled once per locale, which favours the naive
  way) filled with the reader's own values (name, address, greeting, signed links), then \`mjml2html\` (mjml 5, strict, not
  minified, as the examples call it) and \`htmlToText\` from dist/render/pipeline.js. **Rendering only: no MIME building, no SMTP, no store**, so it is an
  upper bound for a naive sender. ${n0(A_READERS)} different readers per run after ${A_WARMUP} untimed warm-up readers.
- **(b) nodemailer pool**: nodemailer's pool with the service's settings (5 connections, 500 messages per connection),
  each message made as the service's html/text path makes it: \`IssueRenderer\` renders once per (locale, time zone,
  topics), \`renderForReader\` fills the reader in, nodemailer's Mailer adds the headers and builds the MIME from fields (bench/nodemailer-message.mjs);
  at most 20 messages in flight (4 × 5 connections); ${n0(B_MSGS)} messages per run after a 50-message warm-up. ${sinkLine(b)}.
- **(c) raw pipelined limit**: \`runRaw\` in bench/cases.mjs: 5 plain TCP connections; EHLO, then MAIL FROM + RCPT TO +
  DATA in one write, and on each 354 the pre-built, dot-stuffed bytes of one real message of this issue, the final dot
  and the next MAIL/RCPT/DATA in one write (PIPELINING, RFC 2920). ${n0(C_MSGS)} identical messages per run. ${sinkLine(c)}.
- **(d) service end to end**: a fresh child process per run (\`node --expose-gc bench/service-run.mjs\`) with a fresh
  project and SQLite store: \`createApp\` (dist/app.js) with \`SMTP_URL\` = the sink, then \`sendNewsletter\`
  (dist/service/send-issue.js) timed on its own: list sync of the ${n0(D_READERS)}-row CSV, compose, render (MJML in a worker thread
  of the same process, while the list syncs), issue and outbox
  rows in SQLite, claim / send / record in batches, SMTP through the service's transport. msgs/s = readers / wall time of
  \`sendNewsletter\`; CPU ms/msg = that process's CPU over the same span / readers. ${sinkLine(d)}. Per run: first batch
  committed after ${d.runs.map((r) => `${n0(r.first_batch_ms)} ms`).join(' / ')} (sync, compose, render, outbox); main thread busy
  (event-loop utilisation) ${d.runs.map((r) => `${fmt(r.event_loop_utilisation * 100, 0)} %`).join(' / ')} of the wall time; peak RSS ${d.runs.map((r) => fmt(r.peak_rss_mb, 0)).join(' / ')} MB.
- **(d+DKIM)**: (d) again, ${RUNS} runs, with \`delivery.dkim\` set to a fresh RSA-2048 key, so every message is signed
  (src/delivery/dkim-signer.ts: relaxed/relaxed, a body hash and a signature per message, as each reader's body and
  headers differ). Its CPU ms/msg minus (d)'s is what signing costs; the ratio table gives it, and § DKIM below splits it.
- **Peak RSS**: each size in a fresh child process that polls \`process.memoryUsage.rss()\` every 50 ms and reads
  \`VmHWM\` from /proc/self/status at the end (the figure is the larger: better-sqlite3's statements hold the event loop,
  creating a million outbox rows for about a second, so a poll can miss a short peak; VmHWM, the kernel's high-water
  mark, catches what polling misses). MJML compiles in a worker thread of the same process that ends 2 s after its last
  compile: its memory is in these figures while it lives. The per-phase figures are the highest polls seen in that phase. The list sync
  (\`syncList\`, as \`send\` runs it: a list file of 4 MiB or more, 100,000 readers and up here, in a thread of its own
  that ends with the sync) runs first on its own and is timed, then \`sendNewsletter\`. 10,000 readers run both through the sink
  and with the null transport, and 1,000,000 readers too, through the sink when (d) reaches 1,000 msgs/s: the growth
  goal compares like with like (through the sink when the million through the sink finished; the other pair is given
  beside it). The null transport is
  \`{ name: 'null', send: async () => ({ messageId: '', response: '250' }), close: async () => {} }\`, passed as
  \`transport\` to \`createApp\`; **those runs send nothing over SMTP**. Sending is capped
  at ${CAP_100K} s for 100,000 and ${CAP_1M} s for 1,000,000 readers (an AbortSignal checked after each batch; the batch in flight
  finishes), and any child is killed after ${CHILD_LIMIT_S} s.

${results.rss.map(rssDetail).join('\n')}
${dkimSection()}${profileSection()}
## Reproduce

\`\`\`sh
npm run bench                                     # builds dist, runs everything (about ${fmt(results.durationS / 60, 0)} minutes here), writes BENCHMARKS.md and bench-results.json
node --expose-gc bench/run.mjs --quick            # small sizes, one run: tries the harness, writes nothing
node --expose-gc bench/run.mjs --no-profile       # without the extra profiled (d) run
node --expose-gc bench/service-run.mjs '{"readers":100000,"phased":true,"verbose":true}'   # one size alone, null transport
node bench/profile.mjs FILE.cpuprofile            # summarise any --cpu-prof output by function
\`\`\`

Environment: \`BENCH_RUNS\`, \`BENCH_A\`, \`BENCH_B\`, \`BENCH_C\`, \`BENCH_D\` (sizes), \`BENCH_RSS\` (e.g.
\`10000:smtp,10000:null,100000:auto,1000000:auto,1000000:null\`), \`BENCH_CAP_100K\`, \`BENCH_CAP_1M\` (seconds of sending),
\`BENCH_CHILD_LIMIT\` (seconds per child), \`BENCH_PROFILE_DIR\` (keep the .cpuprofile).
`;
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  log(`FAILED: ${e?.stack ?? e}`);
}
killAll();
if (!failed) {
  process.stdout.write(`\n${table()}\n\n`);
  for (const x of goals()) process.stdout.write(`${x.met === null ? '?  ' : x.met ? 'met' : 'NOT'}  ${x.goal}: ${x.value}\n`);
  for (const w of warnings) process.stdout.write(`WARNING: ${w}\n`);
  if (WRITE) {
    writeFileSync(join(REPO, 'bench-results.json'), JSON.stringify(resultsJson(), null, 2) + '\n');
    writeFileSync(join(REPO, 'BENCHMARKS.md'), markdown());
    process.stdout.write(`\nwrote ${join(REPO, 'bench-results.json')} and ${join(REPO, 'BENCHMARKS.md')}\n`);
  } else {
    process.stdout.write('\n(--quick: results files not written)\n');
  }
}
process.exit(failed ? 1 : 0);
