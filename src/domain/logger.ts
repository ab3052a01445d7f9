/** The narrow logging port the core uses; `app.ts` binds it to pino on standard error. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * A progress callback that logs `msg` with the count at most every `everyMs` (wall time: logs
 * only, never decisions), and once more when a known total is reached.
 */
export function progressLog(logger: Logger, msg: string, fields: Record<string, unknown>, everyMs = 2000): (done: number, total?: number) => void {
  let last = Date.now();
  return (done, total) => {
    const finished = total !== undefined && done >= total;
    if (!finished && Date.now() - last < everyMs) return;
    last = Date.now();
    logger.info(msg, { ...fields, done, ...(total !== undefined ? { total } : {}) });
  };
}
