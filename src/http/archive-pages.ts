import type { NewsletterConfig } from '../config/schema.js';
import type { Issue } from '../domain/types.js';
import { readTemplateFiles } from '../render/template-files.js';
import { renderForReader, renderLocale } from '../render/pipeline.js';

/** Renders an issue's web version in one language. */
export type RenderPage = (issue: Issue, newsletter: NewsletterConfig, locale: string) => Promise<string>;

/** The web version as the service renders it: the same for everyone (no name, address or personal link). */
export function webVersionRenderer(templatesDir: string, publicUrl: string): RenderPage {
  return async (issue, newsletter, locale) => {
    const files = readTemplateFiles(templatesDir, newsletter.template);
    const r = await renderLocale({ issue, newsletter, locale, files, publicUrl });
    return renderForReader(r, { name: '', email: '…', unsubscribeUrl: `${publicUrl}/`, preferencesUrl: `${publicUrl}/` }).html;
  };
}

/**
 * Rendered archive pages, per (issue, language). An issue is a frozen record, so its page never
 * changes while the templates do not: it is rendered once and kept (the `max` most recently
 * asked, about 40 KB each), and requests that come while it renders share that one render.
 * Rendering per request compiled MJML each time: about 22 requests/s and +270 MB under 100 at
 * once. A failed render is not kept. Template edits show in the archive after a restart (the
 * editor preview shows them at once).
 */
export class ArchivePages {
  private readonly pages = new Map<string, Promise<string>>();
  /** Renders done (for tests and metrics). */
  renders = 0;

  constructor(
    private readonly render: RenderPage,
    private readonly max = 64,
  ) {}

  get(issue: Issue, newsletter: NewsletterConfig, locale: string): Promise<string> {
    const key = `${issue.id}\u0000${locale}`;
    let page = this.pages.get(key);
    if (page) {
      // Most recently used last: the map's order is the eviction order.
      this.pages.delete(key);
      this.pages.set(key, page);
      return page;
    }
    this.renders++;
    page = this.render(issue, newsletter, locale);
    this.pages.set(key, page);
    page.catch(() => this.pages.get(key) === page && this.pages.delete(key));
    while (this.pages.size > this.max) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }
}
