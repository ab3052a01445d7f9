/** The narrow logging port the core uses; `app.ts` binds it to pino on standard error. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * A progress callback that logs `msg` with the count at most every `everyMs` (wall time: logs
 * only, never decisions), and once when a known total is first reached (a send can go past its
 * starting total, when deferred readers come due again: that is not logged every time).
 */
export function progressLog(logger: Logger, msg: string, fields: Record<string, unknown>, everyMs = 2000): (done: number, total?: number) => void {
  let last = Date.now();
  let ended = false;
  return (done, total) => {
    const ending = !ended && total !== undefined && done >= total;
    if (!ending && Date.now() - last < everyMs) return;
    ended ||= ending;
    last = Date.now();
    logger.info(msg, { ...fields, done, ...(total !== undefined ? { total } : {}) });
  };
}
