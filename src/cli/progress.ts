import cliProgress from 'cli-progress';
import { progressLog, type Logger } from '../domain/logger.js';

/** A progress bar on a terminal; elsewhere a log line at most every two seconds. */
export function progressReporter(label: string, logger: Logger): { update: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {value}/{total} readers · {eta_formatted} left`, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  return { update: progressLog(logger, 'delivering', { newsletter: label }), stop() {} };
}
