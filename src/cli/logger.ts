import { pino } from 'pino';
import type { Logger } from '../domain/logger.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One readable line per record, for a person at a terminal. */
function prettyLine(json: string): string {
  const { level, time, msg, pid: _p, hostname: _h, ...rest } = JSON.parse(json) as Record<string, unknown>;
  const t = new Date(time as number).toISOString().slice(11, 19);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${String(msg)}${fields ? `  ${fields}` : ''}\n`;
}

/**
 * Logs go to standard error: JSON lines (pino) for machines, one readable line each on a TTY.
 * Standard output stays for what commands print for scripts.
 */
export function createLogger(options: { pretty?: boolean; level?: string } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const destination = pretty ? { write: (line: string) => void process.stderr.write(prettyLine(line)) } : pino.destination({ fd: 2, sync: true });
  const log = pino({ level: options.level ?? process.env.LOG_LEVEL ?? 'info', base: undefined }, destination);
  return {
    info: (msg, fields) => log.info(fields ?? {}, msg),
    warn: (msg, fields) => log.warn(fields ?? {}, msg),
    error: (msg, fields) => log.error(fields ?? {}, msg),
  };
}
