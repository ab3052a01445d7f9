import type { Issue } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import { renderLocale, type LocaleRendering } from './pipeline.js';
import type { TemplateFiles } from './template-files.js';

/** Renders an issue once per locale on first need and keeps the result for every later reader. */
export class IssueRenderer {
  private readonly byLocale = new Map<string, Promise<LocaleRendering>>();

  constructor(
    readonly issue: Issue,
    readonly newsletter: NewsletterConfig,
    private readonly files: TemplateFiles,
    private readonly publicUrl: string,
  ) {}

  forLocale(locale: string): Promise<LocaleRendering> {
    let r = this.byLocale.get(locale);
    if (!r) {
      r = renderLocale({ issue: this.issue, newsletter: this.newsletter, locale, files: this.files, publicUrl: this.publicUrl });
      this.byLocale.set(locale, r);
    }
    return r;
  }
}
