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
