// Summarises a V8 .cpuprofile (node --cpu-prof, or the inspector's Profiler) by function: self time,
// time charged to the nearest project / package frame, and inclusive time.
//
//   node bench/profile.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO } from './lib.mjs';

function where(cf) {
  if (!cf.url) return '';
  let u = cf.url.replace(/^file:\/\//, '');
  if (u.startsWith(REPO)) u = relative(REPO, u);
  u = u.replace(/^node_modules\//, '');
  return `${u}:${cf.lineNumber + 1}`;
}

export function summariseProfile(file, top = 20) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame)}`.trim();
  const self = new Map();
  const incl = new Map();
  // Each sample charged to the nearest frame in a file (a package or the project), and to the
  // nearest frame of the project itself (dist/): who asked for the time spent in node internals.
  const byPackage = new Map();
  const byProject = new Map();
  const isFile = (n) => n.callFrame.url.startsWith('file://');
  const isProject = (n) => isFile(n) && !n.callFrame.url.includes('/node_modules/') && n.callFrame.url.includes('/dist/');
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    let id = prof.samples[i];
    const leaf = byId.get(id);
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt);
    const seen = new Set();
    let pkg;
    let own;
    for (let j = id; j !== undefined && !own; j = parent.get(j)) {
      const n = byId.get(j);
      if (!pkg && isFile(n)) pkg = key(n);
      if (isProject(n)) own = key(n);
    }
    const special = /^\((program|idle|garbage collector)\)/.test(key(leaf)) ? key(leaf) : undefined;
    byPackage.set(special ?? pkg ?? '(node internals, no file frame)', (byPackage.get(special ?? pkg ?? '(node internals, no file frame)') ?? 0) + dt);
    byProject.set(
      special ?? own ?? '(no project frame on the stack: socket and stream callbacks, nodemailer pool)',
      (byProject.get(special ?? own ?? '(no project frame on the stack: socket and stream callbacks, nodemailer pool)') ?? 0) + dt,
    );
    while (id !== undefined) {
      const k = key(byId.get(id));
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const sorted = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), pct: Math.round((ms / total) * 1000) / 10 }));
  return {
    totalMs: Math.round(total),
    self: sorted(self),
    byPackage: sorted(byPackage),
    byProject: sorted(byProject),
    inclusive: sorted(new Map([...incl].filter(([k]) => !/^\((root|program|idle|garbage collector)\)/.test(k)))),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summariseProfile(process.argv[2], Number(process.argv[3] ?? 25));
  console.log(`total ${s.totalMs} ms sampled\n\nself time:`);
  for (const r of s.self) console.log(`${String(r.ms).padStart(8)} ms ${String(r.pct).padStart(5)} %  ${r.fn}`);
  console.log('\nby nearest package or project frame:');
  for (const r of s.byPackage) console.log(`${String(r.ms).padStart(8)} ms ${String(r.pct).padStart(5)} %  ${r.fn}`);
  console.log('\nby nearest project frame (dist/):');
  for (const r of s.byProject) console.log(`${String(r.ms).padStart(8)} ms ${String(r.pct).padStart(5)} %  ${r.fn}`);
  console.log('\ninclusive time:');
  for (const r of s.inclusive) console.log(`${String(r.ms).padStart(8)} ms ${String(r.pct).padStart(5)} %  ${r.fn}`);
}
