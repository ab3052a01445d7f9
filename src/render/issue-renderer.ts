import type { Issue } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import { renderLocale, type LocaleRendering } from './pipeline.js';
import type { TemplateFiles } from './template-files.js';

/**
 * Renders an issue once per (locale, time zone) on first need and keeps the result for every
 * later reader: dates show in the reader's zone, and a list has few distinct pairs.
 */
export class IssueRenderer {
  private readonly byLocale = new Map<string, Promise<LocaleRendering>>();

  constructor(
    readonly issue: Issue,
    readonly newsletter: NewsletterConfig,
    private readonly files: TemplateFiles,
    private readonly publicUrl: string,
  ) {}

  forLocale(locale: string, timezone?: string): Promise<LocaleRendering> {
    const tz = timezone || this.newsletter.timezone;
    const key = `${locale}\u0000${tz}`;
    let r = this.byLocale.get(key);
    if (!r) {
      r = renderLocale({ issue: this.issue, newsletter: this.newsletter, locale, timezone: tz, files: this.files, publicUrl: this.publicUrl });
      this.byLocale.set(key, r);
    }
    return r;
  }
}
