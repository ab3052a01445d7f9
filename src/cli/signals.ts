/**
 * Calls `onFirst` on the first SIGINT or SIGTERM; a second signal exits at once (status 130)
 * for an operator who cannot wait. Returns a function that removes the handlers.
 */
export function onShutdownSignal(onFirst: (signal: NodeJS.Signals) => void): () => void {
  let seen = false;
  const handler = (signal: NodeJS.Signals) => {
    if (seen) {
      process.stderr.write(`second ${signal}: exiting now; messages in flight will be reported as in doubt\n`);
      process.exit(130);
    }
    seen = true;
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** How long a clean stop may take, from the signal to the exit. */
export const SHUTDOWN_DEADLINE_MS = 30_000;
/**
 * Of that, what is kept for closing (QUIT to the relay, HTTP servers, the store) after the
 * deliveries have stopped. Deliveries give up on messages in flight well before (delivery's
 * STOP_GRACE_MS); the rest of the deadline is a backstop.
 */
export const CLOSE_BUDGET_MS = 5_000;

/**
 * Waits for `work`, or at most `ms`: a relay that hangs must not keep an operator's stop waiting.
 * Rows still in flight then are reported as in doubt (`unknown`) by the next run, as after a crash.
 */
export async function withDeadline(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const result = await Promise.race([work.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (result === 'late') onTimeout();
}
