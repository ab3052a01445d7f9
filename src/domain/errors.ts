/**
 * One error type, one code catalogue. The CLI maps codes to exit statuses; the HTTP edge maps
 * them to HTTP statuses. Nothing below the edges knows about either.
 */
export const ErrorCodes = {
  /** The configuration file or environment is wrong; the message names the key. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A template or locale file cannot be read, compiled or validated. */
  TEMPLATE_INVALID: 'TEMPLATE_INVALID',
  /** The store cannot be opened or migrated. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** The disk holding the data folder (store, captured mail) is full; the message names the file or folder. */
  DISK_FULL: 'DISK_FULL',
  /** Bad command-line input (an unknown newsletter id, an unparsable --at). */
  USAGE: 'USAGE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class NewsletterError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: a file, file:line, or a config key. */
  readonly place: string | undefined;

  constructor(code: ErrorCode, message: string, options: { place?: string; cause?: unknown } = {}) {
    super(options.place ? `${options.place}: ${message}` : message, { cause: options.cause });
    this.name = 'NewsletterError';
    this.code = code;
    this.place = options.place;
  }
}

/**
 * Bad input that is skipped rather than fatal (an article, a subscriber row): it is reported with
 * its place and the run goes on.
 */
export interface Problem {
  place: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.place}: ${p.message}`;
}
