import type { Issue } from '../domain/types.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { NewsletterConfig } from '../config/schema.js';
import { renderLocale, type LocaleRendering } from './pipeline.js';
import type { TemplateFiles } from './template-files.js';

/**
 * Renders an issue once per (locale, time zone, topic choice) on first need and keeps the result
 * for every later reader: dates show in the reader's zone, readers who chose topics get only
 * matching articles, and a list has few distinct combinations.
 */
export class IssueRenderer {
  private readonly byLocale = new Map<string, Promise<LocaleRendering>>();

  constructor(
    readonly issue: Issue,
    readonly newsletter: NewsletterConfig,
    private readonly files: TemplateFiles,
    private readonly publicUrl: string,
    /** The welcome mail's templates (config welcome.template); default the issue's own. */
    private readonly welcomeFiles: () => TemplateFiles = () => files,
  ) {}

  /** `welcome`: the rendering of a welcome mail (the issue with a welcome above it and a subject of its own). */
  forLocale(locale: string, timezone?: string, topics: readonly string[] = [], welcome = false): Promise<LocaleRendering> {
    const tz = timezone || this.newsletter.timezone;
    const wanted = [...new Set(topics.map((t) => t.toLowerCase()))].sort();
    const key = `${locale}\u0000${tz}\u0000${wanted.join(',')}\u0000${welcome ? 'w' : ''}`;
    let r = this.byLocale.get(key);
    if (!r) {
      const issue = wanted.length ? { ...this.issue, articles: articlesForTopics(this.issue, wanted) } : this.issue;
      r = renderLocale({ issue, newsletter: this.newsletter, locale, timezone: tz, files: welcome ? this.welcomeFiles() : this.files, publicUrl: this.publicUrl, welcome });
      this.byLocale.set(key, r);
      // A broken template stays broken for this issue and is kept; any other failure (the MJML
      // worker gone) is not, and the next reader of this combination renders it again.
      r.catch((e: unknown) => {
        if (!(e instanceof NewsletterError && e.code === ErrorCodes.TEMPLATE_INVALID) && this.byLocale.get(key) === r) this.byLocale.delete(key);
      });
    }
    return r;
  }
}

/** A reader who chose topics gets the issue's articles with at least one of them. */
export function articlesForTopics(issue: Issue, topics: readonly string[]): Issue['articles'] {
  if (topics.length === 0) return issue.articles;
  const wanted = new Set(topics.map((t) => t.toLowerCase()));
  return issue.articles.filter((a) => a.topics.some((t) => wanted.has(t.toLowerCase())));
}
