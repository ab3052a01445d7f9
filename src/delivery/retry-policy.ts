const MINUTE = 60_000;
/** Postfix-like backoff: 5, 10, 20, 40 minutes, then hourly. */
const STEPS = [5, 10, 20, 40].map((m) => m * MINUTE);

/**
 * When to try a deferred message again, given how many attempts it has had; `undefined` when the
 * next attempt would fall after the retry lifetime (counted from when the row was queued).
 */
export function nextAttempt(attempts: number, queuedAt: Date, now: Date, lifetimeMs: number): Date | undefined {
  const delay = STEPS[Math.max(0, attempts - 1)] ?? 60 * MINUTE;
  const next = new Date(now.getTime() + delay);
  return next.getTime() - queuedAt.getTime() > lifetimeMs ? undefined : next;
}
