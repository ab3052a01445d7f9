import { isIP } from 'node:net';

/**
 * A fixed-window counter per key (an IP, an address), in this process's memory: enough to stop a
 * form from being used to flood someone's inbox. Several instances each keep their own counts.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt; false when the key is over its limit for the current window. */
  take(key: string, nowMs: number): boolean {
    const h = this.hits.get(key);
    if (!h || nowMs - h.windowStart >= this.windowMs) {
      if (this.hits.size > 100_000) this.prune(nowMs);
      this.hits.set(key, { windowStart: nowMs, count: 1 });
      return true;
    }
    h.count++;
    return h.count <= this.limit;
  }

  private prune(nowMs: number): void {
    for (const [k, h] of this.hits) if (nowMs - h.windowStart >= this.windowMs) this.hits.delete(k);
  }
}

/**
 * The key a client is counted under: an IPv4 address as it is, an IPv6 address by its /64
 * network. One subscriber line is usually given a whole /64, so counting single IPv6 addresses
 * would give one client 2^64 fresh counters. Anything else (no socket: 'unknown') as it is.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0]!.toLowerCase();
  if (isIP(address) !== 6) return ip;
  const [head = '', tail] = address.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = groups(head);
  const right = groups(tail);
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
