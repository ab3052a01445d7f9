import { join, resolve } from 'node:path';
import { readFeedSource } from '../articles/feeds/feed-source.js';
import type { Article } from '../domain/types.js';
import type { Problem } from '../domain/errors.js';
import type { NewsletterConfig } from '../config/schema.js';
import { readFolderSource } from '../articles/folder-source.js';
import { issueWindow, selectArticles, type Selection } from '../compose/compose.js';
import type { IssueDraft, Store } from '../store/store.js';
import type { Config } from '../config/load.js';
import { noticePatterns } from '../articles/chrome.js';
import { localDeliveryTime } from '../compose/local-time.js';

/**
 * Reads every source of a newsletter, folders and feeds; a failing source is reported and the
 * others still count. Feeds keep their last answer under `<dataDir>/feeds` for conditional GETs.
 */
export async function loadArticles(newsletter: NewsletterConfig, config: Pick<Config, 'baseDir' | 'articles' | 'paths'>): Promise<{ articles: Article[]; problems: Problem[] }> {
  const notices = noticePatterns(config.articles.noticePatterns);
  const results = await Promise.all(
    newsletter.sources.map((source) =>
      source.type === 'folder'
        ? readFolderSource(resolve(config.baseDir, source.path), notices, { maxBytes: config.articles.maxBytes })
        : readFeedSource(source, {
            cacheDir: join(config.paths.data, 'feeds'),
            baseDir: config.baseDir,
            notices,
            ...(source.timeout ? { timeoutMs: source.timeout } : {}),
            ...(source.maxBytes ? { maxBytes: source.maxBytes } : {}),
          }),
    ),
  );
  const articles: Article[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    problems.push(...r.problems);
    for (const a of r.articles) {
      if (seen.has(a.id)) {
        problems.push({ place: a.origin, message: `duplicate article id "${a.id}" across sources; skipped` });
        continue;
      }
      seen.add(a.id);
      articles.push(a);
    }
  }
  return { articles, problems };
}

export interface Composition {
  draft: IssueDraft;
  selection: Selection;
  problems: Problem[];
}

/** The issue a slot would get now: its window, its articles and what was left out. Writes nothing. */
export async function composeIssue(store: Store, newsletter: NewsletterConfig, config: Pick<Config, 'baseDir' | 'articles' | 'paths'>, slot: Date, now: Date): Promise<Composition> {
  const { articles, problems } = await loadArticles(newsletter, config);
  const previous = await store.latestIssue(newsletter.id, slot.toISOString());
  const lookback = newsletter.firstIssueLookback;
  const window = issueWindow(slot, previous?.slot ?? null, lookback);
  const selection = selectArticles({
    articles,
    window,
    topics: newsletter.topics,
    maxArticles: newsletter.maxArticles,
    alreadySent: await store.sentArticleIds(newsletter.id),
  });
  return {
    draft: {
      newsletterId: newsletter.id,
      slot: slot.toISOString(),
      window,
      articles: selection.articles,
      createdAt: now.toISOString(),
      ...(newsletter.localTimeDelivery ? { notBefore: (tz: string) => localDeliveryTime(slot, newsletter.timezone, tz).toISOString() } : {}),
    },
    selection,
    problems,
  };
}
