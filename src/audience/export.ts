import type { ExportRow } from '../store/store.js';
import { FORMULA_START, LIST_COLUMNS } from './list-file.js';

/** The import's words for a consent state; suppressed addresses say why. */
function statusOf(r: ExportRow): string {
  if (r.state === 'bounced' || r.state === 'complained') return r.state;
  if (r.suppressed) return r.suppressed.startsWith('complain') ? 'complained' : 'bounced';
  return r.state === 'consent' ? 'subscribed' : r.state === 'withdrawn' ? 'unsubscribed' : 'pending';
}

/**
 * A cell as written. One that a spreadsheet would take for a formula (OWASP "CSV injection":
 * `=`, `+`, `-`, `@`, a tab or a carriage return first) gets a leading `'`, which spreadsheets
 * show as text and do not run; a name like `=HYPERLINK(…)` from a sign-up form stays inert.
 * So does one that already starts with `'` before such a character, so that the import, which
 * takes one `'` away (`unneutralised`, list-file.ts), reads back exactly what was exported.
 */
export function cell(v: string): string {
  const safe = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV in the list file's columns (plus attribute columns), so an export can be imported again. Pure. */
export function toListCsv(rows: ExportRow[]): string {
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.subscriber.attributes)))].sort();
  const lines = [[...LIST_COLUMNS, ...extra].join(',')];
  for (const r of rows) {
    const s = r.subscriber;
    const values = [s.email, s.name, s.locale, s.timezone, statusOf(r), r.consentedAt ?? '', r.source, s.topics.join(';'), ...extra.map((k) => s.attributes[k] ?? '')];
    lines.push(values.map(cell).join(','));
  }
  return lines.join('\n') + '\n';
}
