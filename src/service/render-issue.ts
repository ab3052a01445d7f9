import type { NewsletterConfig } from '../config/schema.js';
import type { Problem } from '../domain/errors.js';
import type { Issue, Subscriber } from '../domain/types.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { normaliseEmail } from '../audience/email.js';
import { readerLocale } from '../domain/locale.js';
import { latestSlotAtOrBefore } from '../compose/slots.js';
import { syncList } from './sync-list.js';
import { readTemplateFiles } from '../render/template-files.js';
import { renderIssueForReader } from './render-for-reader.js';
import { readerValues } from '../audience/reader-links.js';
import { composeIssue } from './compose-issue.js';
import type { App } from '../app.js';

export interface RenderedLocale {
  locale: string;
  subject: string;
  html: string;
  text: string;
  eml: Buffer;
  missingKeys: string[];
}

export interface RenderResult {
  newsletter: string;
  slot: string;
  /** The stored issue for the slot, or a draft (id 0) when it has not been made yet. */
  issue: Issue;
  draft: boolean;
  locales: RenderedLocale[];
  problems: Problem[];
}

/**
 * Renders the issue of a slot for each locale as a sample reader would get it, writing nothing
 * to the store but the list sync: the issue already made for the slot, else a draft of it.
 */
export async function renderIssue(app: App, newsletter: NewsletterConfig, options: { at?: Date; locale?: string; subscriber?: string; timezone?: string }): Promise<RenderResult> {
  const { store, clock, config } = app;
  const now = clock.now();
  const slot = latestSlotAtOrBefore(newsletter.schedule, newsletter.timezone, options.at ?? now);
  const problems: Problem[] = [...(await syncList(app, newsletter.id, now)).problems];
  const files = readTemplateFiles(config.paths.templates, newsletter.template);
  let issue = await store.findIssue(newsletter.id, slot.toISOString());
  const draft = !issue;
  if (!issue) {
    const c = await composeIssue(store, newsletter, config, slot, now);
    problems.push(...c.problems);
    issue = { ...c.draft, id: 0 };
  }
  // A real reader from the store (their name, language, time zone, attributes, links), or a sample one.
  const real = options.subscriber ? await store.findSubscriberByEmail(normaliseEmail(options.subscriber)) : undefined;
  if (options.subscriber && !real) throw new NewsletterError(ErrorCodes.USAGE, `no subscriber ${options.subscriber} in this store`);
  const chosen: Subscriber = real ?? { id: 0, email: 'reader@example.com', name: 'Sample Reader', locale: '', timezone: '', topics: [], attributes: {} };
  const reader: Subscriber = options.timezone ? { ...chosen, timezone: options.timezone } : chosen;
  const tag = options.locale ?? (real ? real.locale : undefined);
  const locales = tag ? [readerLocale(newsletter.locales, tag)] : newsletter.locales.supported;
  const out: RenderedLocale[] = [];
  for (const locale of locales) {
    const values = readerValues(config.publicUrl, config.secrets[0]!, reader, newsletter.id);
    const { rendering, rendered, eml } = await renderIssueForReader(app, issue, newsletter, locale, reader, values, now);
    out.push({ locale, subject: rendered.subject, html: rendered.html, text: rendered.text, eml, missingKeys: rendering.missingKeys });
    if (rendering.missingKeys.length > 0) {
      problems.push({ place: files.localeFile(locale), message: `missing keys ${rendering.missingKeys.join(', ')}; the ${newsletter.locales.default} text was used` });
    }
  }
  return { newsletter: newsletter.id, slot: slot.toISOString(), issue, draft, locales: out, problems };
}
