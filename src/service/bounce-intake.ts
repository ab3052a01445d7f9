import { readFile, stat } from 'node:fs/promises';
import type { App } from '../app.js';
import type { Events } from '../domain/events.js';
import type { Metrics } from '../domain/metrics.js';
import { fitsAddressTemplate, takeReport, type IntakeDeps, type IntakeResult } from '../bounces/intake.js';
import { parseReportMail } from '../bounces/parse-mail.js';
import { rawExcerpt, type DeliveryReport, type ReportChannel } from '../bounces/report.js';

function unsubscribeReport(raw: Buffer, channel: ReportChannel, envelopeTo: string, now: Date): DeliveryReport {
  const text = raw.subarray(0, 64 * 1024).toString('utf8');
  const headers = text.split(/\r?\n\r?\n/, 1)[0]!;
  return { kind: 'unsubscribe', channel, envelopeTo, at: now.toISOString(), raw: rawExcerpt(headers, 4096) };
}

/** A mail larger than this is not a report (DSNs return headers or a short message): read no further. */
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;

/** The intake's dependencies from the composition root. */
export function intakeDeps(app: Pick<App, 'store' | 'logger' | 'config'> & { events?: Events; metrics?: Metrics }): IntakeDeps {
  const { config } = app;
  return {
    events: app.events,
    metrics: app.metrics,
    store: app.store,
    logger: app.logger,
    secrets: config.secrets,
    bounceAddress: config.delivery.bounceAddress,
    unsubscribeAddress: config.bounces.unsubscribeAddress,
    softBounces: { limit: config.bounces.softBounces.limit, withinMs: config.bounces.softBounces.within },
  };
}

export interface MailIntake {
  results: IntakeResult[];
}

/**
 * One mail that came back to us (from the receiver, a mailbox or a file): parsed into reports,
 * each taken. `envelopeTo` is the address it was delivered to, when the way in knows it.
 */
export async function takeReportMail(
  app: Pick<App, 'store' | 'logger' | 'config' | 'clock'> & { events?: Events; metrics?: Metrics },
  raw: Buffer,
  ctx: { channel: Extract<ReportChannel, 'smtp' | 'imap' | 'import'>; envelopeTo?: string },
): Promise<IntakeResult[]> {
  const now = app.clock.now();
  const deps = intakeDeps(app);
  // A mail to the mailto List-Unsubscribe address is an unsubscribe whatever it says (RFC 2369):
  // the address alone names the reader, through its signed tag.
  const reports = fitsAddressTemplate(deps.unsubscribeAddress, ctx.envelopeTo)
    ? [unsubscribeReport(raw, ctx.channel, ctx.envelopeTo!, now)]
    : await parseReportMail(raw, { channel: ctx.channel, envelopeTo: ctx.envelopeTo, receivedAt: now.toISOString() });
  const results: IntakeResult[] = [];
  for (const r of reports) results.push(await takeReport(deps, r, now));
  return results;
}

export interface ImportSummary {
  files: number;
  reports: number;
  duplicates: number;
  unmatched: number;
  /** Effects by what they changed ("bounced, suppressed": 3). */
  effects: Record<string, number>;
  problems: { file: string; message: string }[];
}

/** `bounces import FILE...`: .eml files (a maildir's, or tests'), each taken as if it had arrived. */
export async function importReportFiles(
  app: Pick<App, 'store' | 'logger' | 'config' | 'clock'> & { events?: Events; metrics?: Metrics },
  files: string[],
  onFile?: (done: number, total: number) => void,
): Promise<ImportSummary> {
  const summary: ImportSummary = { files: 0, reports: 0, duplicates: 0, unmatched: 0, effects: {}, problems: [] };
  for (const [i, file] of files.entries()) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      if (info.size > MAX_REPORT_BYTES) throw new Error(`${info.size} bytes: larger than a report can be (${MAX_REPORT_BYTES} bytes); not read`);
      const results = await takeReportMail(app, await readFile(file), { channel: 'import' });
      summary.files++;
      for (const r of results) {
        summary.reports++;
        if (!r.recorded) summary.duplicates++;
        else if (!r.verified) summary.unmatched++;
        if (r.effect) summary.effects[r.effect] = (summary.effects[r.effect] ?? 0) + 1;
      }
    } catch (e) {
      summary.problems.push({ file, message: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message });
    }
    onFile?.(i + 1, files.length);
  }
  return summary;
}
