import { InvalidArgumentError, Option, type Command } from 'commander';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { isValidTimeZone } from '../domain/locale.js';
import { createApp, type App } from '../app.js';
import { createLogger } from './logger.js';

export interface CommonOptions {
  config?: string;
}

/** `--config` on every command, so each command's --help shows it. */
export function withConfig(cmd: Command): Command {
  return cmd.addOption(new Option('-c, --config <file>', 'configuration file (relative paths in it resolve from its folder)').env('NEWSLETTER_CONFIG').default('newsletter.config.yaml'));
}

export function withAt(cmd: Command): Command {
  return cmd.option('--at <time>', 'act as if the clock read TIME (ISO 8601, e.g. 2026-11-23T08:00:00Z; without an offset it is UTC): the issue of the latest slot at or before it');
}

export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const s = value.trim();
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  const d = iso ? new Date(iso[4] || !iso[1] ? s : `${s}Z`) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    throw new NewsletterError(ErrorCodes.USAGE, `--at "${value}" is not an ISO 8601 time; example: 2026-11-23T08:00:00Z`);
  }
  return d;
}

/** A commander argument parser for an IANA time zone name (`--timezone`). */
/** An issue number (`--issue N`, `issue edit N`): digits only, from 1. */
export function parseIssueId(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError(`"${value}" is not an issue number such as 12 (see \`newsletter issues\` or \`newsletter report\`)`);
  return Number(value);
}

export function parseTimeZone(value: string): string {
  if (!isValidTimeZone(value)) throw new InvalidArgumentError(`"${value}" is not an IANA time zone (e.g. Europe/Paris, America/New_York, Asia/Tokyo)`);
  return value;
}

export async function openApp(opts: CommonOptions): Promise<App> {
  return createApp({ configFile: opts.config, env: process.env, logger: createLogger() });
}
