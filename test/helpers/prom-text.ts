/**
 * A strict parser of Prometheus's text exposition format (version 0.0.4), written for the tests
 * from the format's documentation: every line is a `# HELP`, a `# TYPE` or a sample; names and
 * labels must be well formed; a sample must belong to a family whose TYPE came before it; no
 * series twice; a histogram's buckets are cumulative and its `+Inf` bucket equals its `_count`.
 * Anything else throws, naming the line.
 */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Values as Prometheus reads them (Go's strconv.ParseFloat): special values in any case ("Nan" is what prom-client writes). */
function parseValue(s: string, line: number): number {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: "${s}" is not a number`);
  return Number(s);
}

function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label "${name}" twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const ch = text[j];
      if (ch === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape \\${next}`);
        j += 2;
        continue;
      }
      value += ch;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after a label`);
  }
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const familyOf = (sample: string): Family | undefined => {
    const exact = families.get(sample);
    if (exact) return exact;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (!sample.endsWith(suffix)) continue;
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
    }
    return undefined;
  };
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
      const f = families.get(name) ?? { name, type: 'untyped' as Family['type'], help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        f.type = rest as Family['type'];
      } else f.help = rest;
      families.set(name, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?(.*)$/.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = m[1]!;
    let labels: Record<string, string> = {};
    let rest = m[3]!;
    if (m[2]) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: expected " value [timestamp]"`);
    const value = parseValue(parts[0]!, line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const f = familyOf(name);
    if (!f) throw new Error(`line ${line}: sample ${name} has no TYPE before it`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    seen.add(key);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: a counter must be >= 0`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const groups = new Map<string, { le: number; v: number }[]>();
    for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
      if (s.labels.le === undefined) throw new Error(`${f.name}: a bucket without le`);
      const { le, ...others } = s.labels;
      const k = JSON.stringify(Object.entries(others).sort());
      groups.set(k, [...(groups.get(k) ?? []), { le: parseValue(le, 0), v: s.value }]);
    }
    for (const [k, buckets] of groups) {
      buckets.sort((a, b) => a.le - b.le);
      for (let i = 1; i < buckets.length; i++) if (buckets[i]!.v < buckets[i - 1]!.v) throw new Error(`${f.name}: buckets not cumulative`);
      const inf = buckets[buckets.length - 1]!;
      const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === k);
      if (inf.le !== Infinity || !count || count.value !== inf.v) throw new Error(`${f.name}: +Inf bucket must equal _count`);
    }
  }
  return families;
}

/** The value of one series, or undefined. */
export function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    if (s) return s.value;
  }
  return undefined;
}
