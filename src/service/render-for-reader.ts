import type { App } from '../app.js';
import type { NewsletterConfig } from '../config/schema.js';
import type { Issue, Subscriber } from '../domain/types.js';
import { readTemplateFiles } from '../render/template-files.js';
import { renderForReader, renderLocale, type LocaleRendering, type RenderedForReader } from '../render/pipeline.js';
import type { ReaderValues } from '../render/reader-fill.js';
import { RawMessageTemplate } from '../delivery/raw-message.js';
import { signedEml } from '../delivery/dkim.js';
import type { OutgoingMessage } from '../transport/transport.js';

export interface ReaderRendering {
  rendering: LocaleRendering;
  /** Subject, HTML and text as this reader gets them. */
  rendered: RenderedForReader;
  /** The message delivery would send them (outbox id 0), and its bytes (DKIM-signed when configured). */
  message: OutgoingMessage;
  eml: Buffer;
}

/**
 * An issue as one reader gets it, in one language, made the way delivery makes it: for
 * `render --out` and the editor preview, which show a message without sending it. Reads the
 * templates afresh, so an edit shows at once. `values` are the reader's fill (their live links
 * for `render`, inert ones for the preview).
 */
export async function renderIssueForReader(
  app: Pick<App, 'config' | 'messageOptions'>,
  issue: Issue,
  newsletter: NewsletterConfig,
  locale: string,
  reader: Subscriber,
  values: Omit<ReaderValues, 'greeting'>,
  date: Date,
): Promise<ReaderRendering> {
  const files = readTemplateFiles(app.config.paths.templates, newsletter.template);
  const rendering = await renderLocale({ issue, newsletter, locale, timezone: reader.timezone || undefined, files, publicUrl: app.config.publicUrl });
  const rendered = renderForReader(rendering, values);
  const message = new RawMessageTemplate(rendering, newsletter, issue, app.messageOptions).build(0, reader, values, date);
  return { rendering, rendered, message, eml: await signedEml(message) };
}
