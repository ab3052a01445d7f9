import type { NewsletterConfig } from '../config/schema.js';
import type { Problem } from '../domain/errors.js';
import { NewsletterError } from '../domain/errors.js';
import type { Issue, Subscriber } from '../domain/types.js';
import { readerLocale } from '../domain/locale.js';
import { nextSlotAfter } from '../compose/slots.js';
import type { LeftOutReason } from '../compose/compose.js';
import { composeIssue } from '../service/compose-issue.js';
import { renderIssueForReader } from '../service/render-for-reader.js';
import type { App } from '../app.js';
import type { OutgoingMessage } from '../transport/transport.js';
import { inertReaderValues } from './inert-links.js';

export interface PreviewReader {
  name: string;
  email: string;
  locale: string;
  timezone: string;
}

export interface Preview {
  newsletter: NewsletterConfig;
  slot: string;
  /** 'next': the next slot's issue as it would be composed now; 'draft': the stored draft under review (or an issue asked for); 'last': nothing new, so the last stored issue. */
  kind: 'next' | 'draft' | 'last' | 'none';
  issue: Issue | undefined;
  locale: string;
  reader: PreviewReader;
  subject: string;
  preheader: string;
  html: string;
  text: string;
  headers: [string, string][];
  message: OutgoingMessage | undefined;
  leftOut: { id: string; origin: string; reason: LeftOutReason }[];
  missingKeys: string[];
  warnings: string[];
  problems: Problem[];
  /** A template or locale error: shown in the page instead of the email. */
  error: string | undefined;
}

export const SAMPLE_READER: PreviewReader = { name: 'Sample Reader', email: 'reader@example.com', locale: '', timezone: '' };

function headersOf(eml: Buffer): [string, string][] {
  const head = eml.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  return head
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string])
    .filter(([k]) => k && !/^content-/i.test(k) && k !== 'MIME-Version');
}

/**
 * What the next issue would look like now (or at `at`) for one reader in one locale. Reads the
 * config's templates and articles afresh each time, so edits show at once; writes nothing.
 */
export async function previewIssue(app: App, newsletter: NewsletterConfig, options: { at?: Date; locale?: string; reader?: PreviewReader; subscriber?: Subscriber; issue?: Issue }): Promise<Preview> {
  const { store, config } = app;
  const now = options.at ?? app.clock.now();
  const slot = nextSlotAfter(newsletter.schedule, newsletter.timezone, now);
  const reader: PreviewReader = options.subscriber ?? options.reader ?? SAMPLE_READER;
  const locale = readerLocale(newsletter.locales, options.locale || reader.locale);
  const base: Preview = {
    newsletter,
    slot: slot.toISOString(),
    kind: 'none',
    issue: undefined,
    locale,
    reader,
    subject: '',
    preheader: '',
    html: '',
    text: '',
    headers: [],
    message: undefined,
    leftOut: [],
    missingKeys: [],
    warnings: [],
    problems: [],
    error: undefined,
  };
  // A draft under review for the next slot is what will go: show it, with its edits, not a fresh composition.
  const stored = options.issue ?? (await store.findIssue(newsletter.id, slot.toISOString()));
  let issue: Issue | undefined;
  if (options.issue || (stored?.review && stored.review.state !== 'released')) {
    issue = stored;
    base.kind = 'draft';
    base.slot = stored!.slot;
  } else {
    const composition = await composeIssue(store, newsletter, config, slot, now);
    base.leftOut = composition.selection.leftOut;
    base.problems = composition.problems;
    issue = { ...composition.draft, id: 0 };
    base.kind = 'next';
    if (composition.draft.articles.length === 0) {
      issue = await store.latestIssue(newsletter.id);
      base.kind = issue ? 'last' : 'none';
    }
  }
  base.issue = issue;
  if (!issue) return base;
  try {
    const subscriber: Subscriber = options.subscriber ?? { id: 0, ...reader, topics: [], attributes: {} };
    // Never the reader's live links: a preview is shown around and a test goes to any address.
    const values = inertReaderValues(config.publicUrl, subscriber, newsletter.id);
    const { rendering: r, rendered: out, message, eml } = await renderIssueForReader(app, issue, newsletter, locale, subscriber, values, app.clock.now());
    const preheader = /<div style="display:none;[^"]*">([\s\S]*?)<\/div>/.exec(out.html)?.[1]?.trim() ?? '';
    return {
      ...base,
      subject: out.subject,
      preheader,
      html: out.html,
      text: out.text,
      headers: headersOf(eml),
      message,
      missingKeys: r.missingKeys,
      warnings: r.warnings,
    };
  } catch (e) {
    if (e instanceof NewsletterError) return { ...base, error: e.message };
    throw e;
  }
}
