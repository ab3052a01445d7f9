/** The narrow logging port the core uses; `app.ts` binds it to pino on standard error. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A progress callback that logs `msg` with the count at most every `everyMs` (wall time: logs only, never decisions). */
export function progressLog(logger: Logger, msg: string, fields: Record<string, unknown>, everyMs = 2000): (done: number) => void {
  let last = Date.now();
  return (done) => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    logger.info(msg, { ...fields, done });
  };
}
