/**
 * The languages a browser asks for (`Accept-Language: fr-CA,fr;q=0.9,en;q=0.5`), best first.
 * The header is whatever the client sends: at most the first 1,000 characters and 20 entries
 * are read, junk entries are dropped, `q=0` means "not this one", and equal weights keep their
 * order. `*` stands for "anything", which the caller's fallback answers.
 */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  const entries: { tag: string; q: number; at: number }[] = [];
  for (const [at, part] of header.slice(0, 1000).split(',').slice(0, 20).entries()) {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = rawTag!.trim();
    if (tag !== '*' && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
      else if (/^\s*q\s*=/.test(p)) q = -1; // a malformed weight: drop the entry
    }
    if (q > 0) entries.push({ tag, q, at });
  }
  return entries.sort((a, b) => b.q - a.q || a.at - b.at).map((e) => e.tag);
}

/**
 * The first asked-for language a newsletter has (exact, then its prefix: `fr-CA` → `fr`), with
 * `negotiate` choosing among the supported ones; undefined when none fits (the caller's default).
 */
export function languageFromHeader(header: string | undefined, supported: readonly string[]): string | undefined {
  const byLower = new Map(supported.map((s) => [s.toLowerCase(), s]));
  for (const tag of acceptedLanguages(header)) {
    if (tag === '*') return undefined;
    const parts = tag.toLowerCase().split('-');
    for (let n = parts.length; n > 0; n--) {
      const hit = byLower.get(parts.slice(0, n).join('-'));
      if (hit) return hit;
    }
  }
  return undefined;
}
