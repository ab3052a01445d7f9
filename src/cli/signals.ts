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
