import { BlockList, isIP } from 'node:net';
import { DnsFailure, type DnsPort } from './dns.js';

/**
 * SPF's check_host() (RFC 7208 §4): would a receiver that gets mail from `ip`, with `sender` as
 * the envelope sender, find that `domain` authorises it? The whole algorithm a receiver runs:
 * record selection, the mechanisms in order (all, include, a, mx, ptr, ip4, ip6, exists), the
 * redirect modifier, macros, the limit of 10 DNS-querying terms and of 2 void lookups.
 * `ptr` is deprecated and never matches here (receivers may skip it too): it is reported.
 */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfAnswer {
  result: SpfResult;
  /** The domain's own SPF record, when it has exactly one. */
  record?: string;
  /** The term that decided (e.g. "ip4:192.0.2.0/24", "include:_spf.example.net", "-all"). */
  decidedBy?: string;
  /** What made it an error, or a note worth reading (ptr used). */
  problem?: string;
  /** Terms that queried DNS (RFC 7208 §4.6.4: at most 10). */
  lookups: number;
}

const MAX_LOOKUPS = 10;
const MAX_VOID_LOOKUPS = 2;
const MAX_MX = 10;
const QUALIFIERS: Record<string, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

class SpfStop extends Error {
  constructor(
    readonly result: 'permerror' | 'temperror',
    message: string,
  ) {
    super(message);
  }
}

interface State {
  ip: string;
  family: 4 | 6;
  sender: string;
  helo: string;
  dns: DnsPort;
  lookups: number;
  voids: number;
  notes: string[];
}

/** Each SPF record of a domain's TXT records ("v=spf1" then a space or the end). */
export function spfRecords(txt: readonly string[]): string[] {
  return txt.filter((t) => /^v=spf1(?: |$)/i.test(t));
}

export async function checkHost(ip: string, domain: string, sender: string, dns: DnsPort, helo = domain): Promise<SpfAnswer> {
  const family = isIP(ip);
  if (family === 0) return { result: 'permerror', problem: `"${ip}" is not an IP address`, lookups: 0 };
  const state: State = { ip, family: family as 4 | 6, sender: sender.includes('@') ? sender : `postmaster@${sender}`, helo, dns, lookups: 0, voids: 0, notes: [] };
  try {
    const top = await evaluate(domain, state, true);
    return { ...top, lookups: state.lookups, ...(state.notes.length && !top.problem ? { problem: state.notes.join('; ') } : {}) };
  } catch (e) {
    if (e instanceof SpfStop) return { result: e.result, problem: e.message, lookups: state.lookups };
    throw e;
  }
}

async function query<T>(state: State, name: string, ask: (name: string) => Promise<T[]>, counts: boolean): Promise<T[]> {
  let answer: T[];
  try {
    answer = await ask(name);
  } catch (e) {
    if (e instanceof DnsFailure) throw new SpfStop('temperror', e.message);
    throw e;
  }
  if (counts && answer.length === 0 && ++state.voids > MAX_VOID_LOOKUPS) {
    throw new SpfStop('permerror', `more than ${MAX_VOID_LOOKUPS} lookups found nothing (the last: ${name}); remove terms that name domains without records`);
  }
  return answer;
}

function countLookup(state: State, term: string): void {
  if (++state.lookups > MAX_LOOKUPS) {
    throw new SpfStop('permerror', `more than ${MAX_LOOKUPS} terms that query DNS (include, a, mx, ptr, exists, redirect), at "${term}": receivers give up; flatten some includes into ip4/ip6`);
  }
}

function validDomain(d: string): boolean {
  return d.length <= 253 && /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?$/.test(d);
}

async function evaluate(domain: string, state: State, top: boolean): Promise<{ result: SpfResult; record?: string; decidedBy?: string; problem?: string }> {
  if (!validDomain(domain)) return { result: 'none', problem: `"${domain}" is not a domain name` };
  const records = spfRecords(await query(state, domain, (n) => state.dns.txt(n), false));
  if (records.length === 0) return { result: 'none', problem: `${domain} has no SPF record (a TXT record starting "v=spf1")` };
  if (records.length > 1) throw new SpfStop('permerror', `${domain} has ${records.length} SPF records; receivers then reject them all: merge them into one`);
  const record = records[0]!;
  const terms = record.split(' ').slice(1).filter(Boolean);
  let redirect: string | undefined;
  let seenExp = false;
  const mechanisms: string[] = [];
  for (const term of terms) {
    const modifier = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(term);
    if (!modifier) {
      mechanisms.push(term);
      continue;
    }
    const name = modifier[1]!.toLowerCase();
    if (name === 'redirect' || name === 'exp') {
      if ((name === 'redirect' && redirect !== undefined) || (name === 'exp' && seenExp)) throw new SpfStop('permerror', `${domain}: "${name}=" appears twice`);
      if (name === 'redirect') redirect = modifier[2]!;
      else seenExp = true;
    }
  }
  for (const term of mechanisms) {
    const matched = await mechanismMatches(term, domain, state);
    if (matched) {
      const qualifier = /^[+\-~?]/.test(term) ? term[0]! : '+';
      return { result: QUALIFIERS[qualifier]!, record, decidedBy: top ? term : `${term} (in ${domain})` };
    }
  }
  if (redirect !== undefined) {
    countLookup(state, `redirect=${redirect}`);
    const target = expand(redirect, domain, state);
    const inner = await evaluate(target, state, false);
    if (inner.result === 'none') throw new SpfStop('permerror', `redirect=${target}: ${inner.problem ?? 'no SPF record there'}`);
    return { ...inner, record, decidedBy: `redirect=${target} → ${inner.decidedBy ?? 'its default'}` };
  }
  return { result: 'neutral', record, decidedBy: '(no term matched: neutral)' };
}

async function mechanismMatches(term: string, domain: string, state: State): Promise<boolean> {
  const m = /^[+\-~?]?([A-Za-z0-9]+)(.*)$/.exec(term);
  if (!m) throw new SpfStop('permerror', `${domain}: "${term}" is not an SPF term`);
  const name = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (name) {
    case 'all':
      if (rest !== '') throw new SpfStop('permerror', `${domain}: "${term}" is not an SPF term`);
      return true;
    case 'include': {
      if (!rest.startsWith(':')) throw new SpfStop('permerror', `${domain}: "${term}" needs a domain`);
      countLookup(state, term);
      const target = expand(rest.slice(1), domain, state);
      const inner = await evaluate(target, state, false);
      if (inner.result === 'pass') return true;
      if (inner.result === 'none') throw new SpfStop('permerror', `${term}: ${inner.problem ?? 'no SPF record there'}`);
      return false;
    }
    case 'a':
    case 'mx': {
      const parts = /^(?::([^/]+))?(?:\/(\d{1,2}))?(?:\/\/(\d{1,3}))?$/.exec(rest);
      if (!parts) throw new SpfStop('permerror', `${domain}: "${term}" is not an SPF term`);
      countLookup(state, term);
      const target = parts[1] ? expand(parts[1], domain, state) : domain;
      const prefix = Number(state.family === 4 ? (parts[2] ?? 32) : (parts[3] ?? 128));
      if ((state.family === 4 && prefix > 32) || prefix > 128) throw new SpfStop('permerror', `${domain}: "${term}" has a prefix too long`);
      const hosts = name === 'a' ? [target] : (await query(state, target, (n) => state.dns.mx(n), true)).map((r) => r.exchange);
      if (hosts.length > MAX_MX) throw new SpfStop('permerror', `${term}: ${target} has more than ${MAX_MX} MX records`);
      for (const host of hosts) {
        const addresses = await query(state, host, (n) => (state.family === 4 ? state.dns.a(n) : state.dns.aaaa(n)), name === 'a');
        if (addresses.some((address) => inSubnet(state, address, prefix))) return true;
      }
      return false;
    }
    case 'ip4':
    case 'ip6': {
      const cut = rest.lastIndexOf('/');
      const address = rest.slice(1, cut > 0 ? cut : undefined);
      const prefix = cut > 0 ? Number(rest.slice(cut + 1)) : name === 'ip4' ? 32 : 128;
      const family = name === 'ip4' ? 4 : 6;
      if (!rest.startsWith(':') || isIP(address) !== family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new SpfStop('permerror', `${domain}: "${term}" is not a valid ${name} term`);
      }
      return family === state.family && inSubnet(state, address, prefix);
    }
    case 'exists': {
      if (!rest.startsWith(':')) throw new SpfStop('permerror', `${domain}: "${term}" needs a domain`);
      countLookup(state, term);
      return (await query(state, expand(rest.slice(1), domain, state), (n) => state.dns.a(n), true)).length > 0;
    }
    case 'ptr':
      countLookup(state, term);
      state.notes.push(`"${term}" is deprecated (RFC 7208 §5.5) and was not evaluated; many receivers skip it: name the addresses with ip4/ip6 or include`);
      return false;
    default:
      throw new SpfStop('permerror', `${domain}: unknown mechanism "${term}"`);
  }
}

function inSubnet(state: State, address: string, prefix: number): boolean {
  const family = isIP(address);
  if (family !== state.family) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(address, prefix, type);
  return list.check(state.ip, type);
}

/** The IP as the `i` macro writes it: dotted quads, or 32 dot-separated nibbles for IPv6. */
function ipForMacro(state: State): string {
  if (state.family === 4) return state.ip;
  // Expand "::" to the full 8 groups, then nibbles.
  const [head, tail] = state.ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups
    .map((g) => g.padStart(4, '0'))
    .join('')
    .split('')
    .join('.');
}

/** Macro expansion of a domain-spec (RFC 7208 §7): %{s l o d i p v h} with digits, r and delimiters; %% %_ %-. */
function expand(spec: string, domain: string, state: State): string {
  if (!spec.includes('%')) return spec;
  const [local, senderDomain] = [state.sender.slice(0, state.sender.lastIndexOf('@')), state.sender.slice(state.sender.lastIndexOf('@') + 1)];
  const values: Record<string, string> = {
    s: state.sender,
    l: local || 'postmaster',
    o: senderDomain,
    d: domain,
    i: ipForMacro(state),
    p: 'unknown',
    v: state.family === 4 ? 'in-addr' : 'ip6',
    h: state.helo,
  };
  return spec.replace(/%(?:\{([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)\}|(.))/g, (whole, letter?: string, digits?: string, reverse?: string, delimiters?: string, escape?: string) => {
    if (escape !== undefined) {
      if (escape === '%') return '%';
      if (escape === '_') return ' ';
      if (escape === '-') return '%20';
      throw new SpfStop('permerror', `"${spec}": "${whole}" is not a macro`);
    }
    const value = values[letter!.toLowerCase()];
    if (value === undefined) throw new SpfStop('permerror', `"${spec}": unknown macro letter "${letter}"`);
    let parts = value.split(new RegExp(`[${(delimiters || '.').replace(/[-\]\\/]/g, '\\$&')}]`));
    if (reverse) parts = parts.reverse();
    if (digits) parts = parts.slice(-Number(digits));
    return parts.join('.');
  });
}
