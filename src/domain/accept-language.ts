import { negotiateLocale } from './locale.js';

/** How much of a header is read: browsers send a handful of entries; the rest is someone's junk. */
const MAX_CHARS = 1000;
const MAX_ENTRIES = 20;

/**
 * The languages a browser asks for (`Accept-Language: fr-CA,fr;q=0.9,en;q=0.5`), best first
 * (RFC 9110 §12.5.4). The header is whatever the client sends: at most the first 1,000
 * characters and 20 entries are read (an entry cut by that limit is dropped, not read as a
 * shorter tag), junk entries are dropped, `q=0` means "not this one", and equal weights keep
 * their order. `*` stands for "anything", which the caller's fallback answers.
 */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  const parts = header.slice(0, MAX_CHARS).split(',');
  if (header.length > MAX_CHARS) parts.pop();
  const entries: { tag: string; q: number; at: number }[] = [];
  for (const [at, part] of parts.slice(0, MAX_ENTRIES).entries()) {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = rawTag!.trim();
    if (tag !== '*' && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
      else if (/^\s*q\s*=/i.test(p)) {
        q = -1; // a malformed weight: drop the entry
        break;
      }
    }
    if (q > 0) entries.push({ tag, q, at });
  }
  return entries.sort((a, b) => b.q - a.q || a.at - b.at).map((e) => e.tag);
}

/**
 * The first asked-for language a newsletter has, each tag tried whole then by its prefixes
 * (`fr-CA` → `fr`, as `negotiateLocale`), in the order of `acceptedLanguages`; undefined when
 * none fits or `*` comes first (the caller's default then answers).
 */
export function languageFromHeader(header: string | undefined, supported: readonly string[]): string | undefined {
  for (const tag of acceptedLanguages(header)) {
    if (tag === '*') return undefined;
    const hit = negotiateLocale(tag, supported, '');
    if (hit) return hit;
  }
  return undefined;
}
