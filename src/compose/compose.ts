import type { Article, IssueArticle, Window } from '../domain/types.js';

export interface SelectionInput {
  articles: readonly Article[];
  window: Window;
  /** The newsletter's topics; empty takes every topic. */
  topics: readonly string[];
  maxArticles: number;
  /** Ids already sent in this newsletter: never sent again. */
  alreadySent: ReadonlySet<string>;
}

export type LeftOutReason = 'outside-window' | 'after-slot' | 'already-sent' | 'wrong-topic' | 'over-limit';

export interface Selection {
  articles: IssueArticle[];
  leftOut: { id: string; origin: string; reason: LeftOutReason }[];
}

/**
 * Picks an issue's articles: published inside the window (after its start, at or before the
 * slot), matching the newsletter's topics, not sent before, newest first, capped. A translation
 * (`translationOf`) rides along with its original and is never a second article.
 */
export function selectArticles(input: SelectionInput): Selection {
  const { window, topics, maxArticles, alreadySent } = input;
  const start = window.start ? Date.parse(window.start) : -Infinity;
  const end = Date.parse(window.end);
  const leftOut: Selection['leftOut'] = [];
  const byId = new Map(input.articles.map((a) => [a.id, a]));
  const translations = new Map<string, Article[]>();
  const originals: Article[] = [];
  for (const a of input.articles) {
    if (a.translationOf && byId.has(a.translationOf) && a.translationOf !== a.id) {
      // Nothing published after the slot is taken, translations included.
      if (Date.parse(a.publishedAt) <= end) translations.set(a.translationOf, [...(translations.get(a.translationOf) ?? []), a]);
    } else {
      originals.push(a);
    }
  }
  const wanted = new Set(topics.map((t) => t.toLowerCase()));
  const eligible: Article[] = [];
  for (const a of originals) {
    const t = Date.parse(a.publishedAt);
    const reason: LeftOutReason | undefined = alreadySent.has(a.id)
      ? 'already-sent'
      : t > end
        ? 'after-slot'
        : t <= start
          ? 'outside-window'
          : wanted.size > 0 && !a.topics.some((x) => wanted.has(x.toLowerCase()))
            ? 'wrong-topic'
            : undefined;
    if (reason) leftOut.push({ id: a.id, origin: a.origin, reason });
    else eligible.push(a);
  }
  eligible.sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || a.id.localeCompare(b.id));
  for (const a of eligible.slice(maxArticles)) leftOut.push({ id: a.id, origin: a.origin, reason: 'over-limit' });
  const articles = eligible.slice(0, maxArticles).map((a): IssueArticle => {
    const forLang: Record<string, Article> = {};
    for (const tr of translations.get(a.id) ?? []) if (tr.lang) forLang[tr.lang.toLowerCase()] = tr;
    return { ...a, translations: forLang };
  });
  return { articles, leftOut };
}

/** The window of an issue: since the previous issue's slot, or the look-back for a first issue. */
export function issueWindow(slot: Date, previousSlot: string | null, firstIssueLookbackMs: number | 'all'): Window {
  if (previousSlot) return { start: previousSlot, end: slot.toISOString() };
  if (firstIssueLookbackMs === 'all') return { start: null, end: slot.toISOString() };
  return { start: new Date(slot.getTime() - firstIssueLookbackMs).toISOString(), end: slot.toISOString() };
}
