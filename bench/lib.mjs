// Shared helpers of the benchmark: a throw-away copy of the sample project with a synthetic
// subscriber list, the null transport, a peak-RSS sampler, medians and machine facts.
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const NEWSLETTER_ID = 'weekly-brief';

/** Environment of every app the benchmark opens (DATABASE_URL and SMTP_URL are added per run). */
export const BENCH_ENV = {
  PUBLIC_URL: 'https://news.example.test',
  NEWSLETTER_SECRET: 'bench-secret-0123456789abcdef',
};

/** The transport that sends nothing (for the largest RSS case, which says so). */
export function nullTransport() {
  return { name: 'null', send: async () => ({ messageId: '', response: '250' }), close: async () => {} };
}

// --- synthetic readers -------------------------------------------------------------------

const LOCALES = [
  // [tag, weight, time zones, first names, last names]
  [
    'en',
    30,
    ['Europe/London', 'America/New_York'],
    ['Ada', 'Grace', 'Zoë', 'Chloé', 'Seán', 'Björn', 'Anaïs', 'Renée', 'Jürgen', 'Łukasz', '山田', 'Noël'],
    ['Lovelace', 'Hopper', 'Brontë', "O'Connor", 'Ångström', 'Müller', 'Żółkiewski', 'Nguyễn', 'Dvořák', 'Smith-Jones', '太郎', 'García Márquez'],
  ],
  ['en-GB', 15, ['Europe/London'], ['Oliver', 'Siân', 'Eóin', 'Aoife', 'Rhys'], ['Wright', 'Ó Súilleabháin', 'Llewellyn', 'Fitzgerald', 'Ødegård']],
  ['fr', 20, ['Europe/Paris'], ['Camille', 'François', 'Hélène', 'Jérôme', 'Maëlle', 'Loïc', 'Cécile'], ['Dupré-Lévêque', 'Lefèvre', 'Benoît', 'Château', 'Gaël', "d'Aubigné", 'Nöel']],
  ['fr-CA', 10, ['America/Montreal'], ['Jean', 'Émilie', 'Léa', 'Frédéric'], ['Dupont', 'Tremblay', 'Gagné', 'Bélanger']],
  ['ar', 25, ['Asia/Dubai', 'Africa/Cairo'], ['ليلى', 'محمد', 'فاطمة', 'عمر', 'نور', 'يوسف', 'مريم'], ['حداد', 'الأحمد', 'الهاشمي', 'بن سعيد', 'العلي', 'المصري', 'الخطيب']],
];
const TOTAL_WEIGHT = LOCALES.reduce((n, l) => n + l[1], 0);

/** A deterministic pseudo-random stream (mulberry32), so every run mails the same list. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reader i of the synthetic list: en/fr/ar locales (with regional variants), non-ASCII and
 * right-to-left names, 3 % without a name, 10 % long addresses (64-character local part, long
 * domain), a few mixed-case addresses, 10 % with topics (which still match this issue).
 */
export function* syntheticReaders(n, seed = 42) {
  const r = rng(seed);
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  for (let i = 1; i <= n; i++) {
    let w = r() * TOTAL_WEIGHT;
    let loc = LOCALES[0];
    for (const l of LOCALES) {
      if ((w -= l[1]) < 0) {
        loc = l;
        break;
      }
    }
    const [locale, , zones, firsts, lasts] = loc;
    const first = pick(firsts);
    const last = pick(lasts);
    const name = r() < 0.03 ? '' : `${first} ${last}`;
    const kind = r();
    let email;
    if (kind < 0.1) {
      const local = `reader.with.a.deliberately.long.local.part.${i}`.padEnd(64, 'x').slice(0, 64);
      email = `${local}@mail.newsletters.subscribers.example-organisation-with-a-long-name.co.uk`;
    } else if (kind < 0.15) {
      email = `Reader.${i}@Example.COM`;
    } else {
      email = `reader${i}@${pick(['example.com', 'example.org', 'example.net', 'exemple.fr', 'example.ae'])}`;
    }
    const topics = r() < 0.1 ? 'climate;technology' : '';
    yield { id: i, email, name, locale, timezone: pick(zones), topics };
  }
}

const csvField = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes the list file of n readers, streaming (1,000,000 rows never sit in memory). */
export function writeSubscribersCsv(file, n) {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, 'email,name,locale,timezone,status,consented_at,source,topics\n');
    let buf = [];
    for (const s of syntheticReaders(n)) {
      buf.push(`${s.email},${csvField(s.name)},${s.locale},${s.timezone},subscribed,2026-01-15T09:12:00Z,bench-signup,${s.topics}`);
      if (buf.length === 10_000) {
        writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) writeSync(fd, buf.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

/** Readers as the store would return them (normalised address, parsed topics), for (a) and (b). */
export function syntheticSubscribers(n) {
  return [...syntheticReaders(n)].map((s) => ({
    id: s.id,
    email: s.email.trim().toLowerCase(),
    name: s.name,
    locale: s.locale,
    timezone: s.timezone,
    topics: s.topics ? s.topics.split(';') : [],
    attributes: {},
  }));
}

/**
 * Two more stories next to the sample's six (two of its eight files are translations), so the
 * issue carries eight articles: one with a long tracking URL, one French with accents.
 */
const EXTRA_ARTICLES = {
  'grid-storage.md': `---
id: grid-storage-alps
title: "Pumped storage in the Alps: the 'water battery' that balances Europe's grid"
date: 2026-11-10
lang: en
topics: [climate, technology]
url: https://news.example.org/2026/11/10/energy/pumped-hydro-storage-in-the-alps-the-water-battery-that-balances-europes-grid?utm_source=newsletter&utm_medium=email&utm_campaign=weekly-brief
summary: Swiss and Austrian reservoirs now shift solar power from noon to evening at a scale no battery park matches yet, and operators plan twice as much by 2030.
author: Zoë Ångström
---

At noon on a sunny Sunday, Europe's grid has more solar power than it can use. Pumped-storage plants in the Alps buy it cheaply, pump water uphill, and sell it back at 7 p.m.

The round trip loses about a fifth of the energy, but it is still the cheapest storage measured per megawatt-hour, and the plants last eighty years.

Critics point at the valleys that were flooded and at the fish that disappear with each cycle; the operators answer with new rules for flow and temperature.
`,
  'velo-cargo.md': `---
id: velo-cargo-lyon
title: "À Lyon, le vélo-cargo livre déjà un colis sur cinq en centre-ville"
date: 2026-11-18
lang: fr
topics: [travel, economy]
summary: "Les livraisons du « dernier kilomètre » passent au vélo-cargo électrique : moins de bruit, moins de camions, et des délais tenus malgré la pluie."
---

Depuis l'ouverture de trois micro-dépôts près de la Presqu'île, les coursiers à vélo-cargo assurent près de 20 % des livraisons de colis du centre-ville.

Les commerçants apprécient la ponctualité ; les riverains, le silence. Reste la question des salaires et de la sécurité des coursiers, que la métropole veut encadrer dès janvier.
`,
};

/**
 * A throw-away copy of the sample project (templates, articles, config) as
 * test/helpers/project.ts makes it, with a synthetic list of `readers` rows.
 */
/**
 * A temp project with `readers` synthetic subscribers. `dkim`: also a fresh RSA-2048 key and
 * `delivery.dkim` in the configuration, so every message is DKIM-signed; `'dual'`: an Ed25519 key
 * beside it (delivery.dkim.keys), so every message carries both signatures.
 */
export function makeProject(readers, label = 'bench', base = tmpdir(), { dkim = false } = {}) {
  const dir = mkdtempSync(join(base, `nl-${label}-`));
  cpSync(join(REPO, 'templates'), join(dir, 'templates'), { recursive: true });
  cpSync(join(REPO, 'articles'), join(dir, 'articles'), { recursive: true });
  for (const [name, text] of Object.entries(EXTRA_ARTICLES)) writeFileSync(join(dir, 'articles', name), text);
  mkdirSync(join(dir, 'subscribers'), { recursive: true });
  writeSubscribersCsv(join(dir, 'subscribers', `${NEWSLETTER_ID}.csv`), readers);
  const configFile = join(dir, 'newsletter.config.yaml');
  let config = readFileSync(join(REPO, 'newsletter.config.yaml'), 'utf8');
  if (dkim) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    let setting = '{ domain: news.example.test, selector: bench, privateKeyFile: dkim.pem }';
    if (dkim === 'dual') {
      writeFileSync(join(dir, 'dkim-ed25519.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      setting = '{ domain: news.example.test, keys: [{ selector: bench, privateKeyFile: dkim.pem }, { selector: bench-ed, privateKeyFile: dkim-ed25519.pem }] }';
    }
    config = config.replace(/^delivery:\n/m, `delivery:\n  dkim: ${setting}\n`);
    if (!config.includes('privateKeyFile: dkim.pem')) throw new Error('newsletter.config.yaml has no delivery: section to add dkim to');
  }
  writeFileSync(configFile, config);
  return { dir, configFile, dbFile: join(dir, 'data', 'newsletter.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// --- measuring ---------------------------------------------------------------------------

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function cpuMs() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/**
 * CPU of this process's main thread alone (the event loop), in ms, from /proc (10 ms steps), or
 * undefined off Linux: with `cpuMs()` it tells the event loop's share from what threads did (the
 * MJML and list-sync threads, and DKIM signatures on libuv's thread pool).
 */
export function mainThreadCpuMs() {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // fields 14 and 15 of stat(5) (utime, stime), counted from the state field (3): USER_HZ is 100
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/** VmHWM of this process (peak resident set), in MB, or undefined off Linux. */
export function vmHwmMb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Polls RSS every 50 ms; `mark(phase)` starts a new phase whose own peak is kept too. */
export function rssSampler() {
  let peak = 0;
  let phase = 'start';
  const phases = {};
  const sample = () => {
    const rss = process.memoryUsage.rss() / 1048576;
    if (rss > peak) peak = rss;
    if (rss > (phases[phase] ?? 0)) phases[phase] = rss;
  };
  sample();
  const timer = setInterval(sample, 50);
  timer.unref();
  return {
    mark(p) {
      sample();
      phase = p;
      sample();
    },
    stop() {
      sample();
      clearInterval(timer);
      const hwm = vmHwmMb();
      return { peakMb: Math.max(peak, hwm ?? 0), polledPeakMb: peak, vmHwmMb: hwm, phases };
    },
  };
}

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {}
  return { nproc: availableParallelism(), cpu: model, node: process.version, memGb: Math.round(totalmem() / 1073741824), platform: `${process.platform} ${process.arch}` };
}

export function fmt(n, digits = 1) {
  if (n === undefined || n === null || Number.isNaN(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** CPU time the whole machine spent busy (all processes, all cores), from /proc/stat, in ms. */
export function systemBusyMs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    // USER_HZ is 100 on Linux: one jiffy is 10 ms.
    return (user + nice + system + irq + softirq + (steal ?? 0)) * 10;
  } catch {
    return undefined;
  }
}

/** Size and modification time of every file under dist/: changes when someone rebuilds. */
export function distFingerprint(dir = join(REPO, 'dist')) {
  const h = createHash('sha1');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        h.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return 'missing';
  }
  return h.digest('hex');
}
