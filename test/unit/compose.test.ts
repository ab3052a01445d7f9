import { describe, expect, it } from 'vitest';
import { issueWindow, selectArticles, type SelectionInput } from '../../src/compose/compose.js';
import type { Article } from '../../src/domain/types.js';

const SLOT = '2026-03-09T07:00:00.000Z';
const PREVIOUS = '2026-03-02T07:00:00.000Z';

function article(id: string, publishedAt: string, extra: Partial<Article> = {}): Article {
  return { id, title: id, publishedAt, topics: [], excerpt: `${id} excerpt`, paragraphs: [], origin: `articles/${id}.md`, ...extra };
}

function select(articles: Article[], over: Partial<SelectionInput> = {}) {
  return selectArticles({ articles, window: { start: PREVIOUS, end: SLOT }, topics: [], maxArticles: 10, alreadySent: new Set(), ...over });
}

const reasons = (s: ReturnType<typeof select>) => Object.fromEntries(s.leftOut.map((l) => [l.id, l.reason]));

describe('selectArticles', () => {
  it('excludes the window start, includes the slot itself, never takes anything after the slot', () => {
    const s = select([
      article('at-start', PREVIOUS),
      article('just-after-start', '2026-03-02T07:00:00.001Z'),
      article('at-slot', SLOT),
      article('just-after-slot', '2026-03-09T07:00:00.001Z'),
      article('way-before', '2025-01-01T00:00:00.000Z'),
    ]);
    expect(s.articles.map((a) => a.id)).toEqual(['at-slot', 'just-after-start']);
    expect(reasons(s)).toEqual({ 'at-start': 'outside-window', 'just-after-slot': 'after-slot', 'way-before': 'outside-window' });
  });

  it('takes everything up to the slot when the window has no start', () => {
    const s = select([article('old', '2000-01-01T00:00:00.000Z'), article('late', '2026-03-10T00:00:00.000Z')], { window: { start: null, end: SLOT } });
    expect(s.articles.map((a) => a.id)).toEqual(['old']);
    expect(reasons(s)).toEqual({ late: 'after-slot' });
  });

  it('leaves out articles already sent in this newsletter', () => {
    const s = select([article('sent', '2026-03-05T00:00:00.000Z'), article('new', '2026-03-05T00:00:00.000Z')], { alreadySent: new Set(['sent']) });
    expect(s.articles.map((a) => a.id)).toEqual(['new']);
    expect(reasons(s)).toEqual({ sent: 'already-sent' });
  });

  it('filters by topic case-insensitively; no topics takes all', () => {
    const articles = [
      article('trade', '2026-03-05T00:00:00.000Z', { topics: ['Trade'] }),
      article('sport', '2026-03-05T00:00:00.000Z', { topics: ['sport'] }),
      article('none', '2026-03-05T00:00:00.000Z'),
    ];
    const filtered = select(articles, { topics: ['TRADE', 'economy'] });
    expect(filtered.articles.map((a) => a.id)).toEqual(['trade']);
    expect(reasons(filtered)).toEqual({ sport: 'wrong-topic', none: 'wrong-topic' });
    expect(select(articles, { topics: [] }).articles).toHaveLength(3);
  });

  it('orders newest first and caps, leaving the rest out as over-limit', () => {
    const s = select([article('b', '2026-03-04T00:00:00.000Z'), article('d', '2026-03-08T00:00:00.000Z'), article('a', '2026-03-03T00:00:00.000Z'), article('c', '2026-03-06T00:00:00.000Z')], {
      maxArticles: 2,
    });
    expect(s.articles.map((a) => a.id)).toEqual(['d', 'c']);
    expect(reasons(s)).toEqual({ b: 'over-limit', a: 'over-limit' });
  });

  it('gives every article left out exactly one reason, with its origin', () => {
    const articles = [
      article('taken', '2026-03-08T00:00:00.000Z', { topics: ['x'] }),
      article('capped', '2026-03-07T00:00:00.000Z', { topics: ['x'] }),
      article('sent', '2026-03-07T00:00:00.000Z', { topics: ['x'] }),
      article('topic', '2026-03-07T00:00:00.000Z', { topics: ['y'] }),
      article('early', '2026-02-01T00:00:00.000Z', { topics: ['x'] }),
      article('late', '2026-04-01T00:00:00.000Z', { topics: ['x'] }),
    ];
    const s = select(articles, { topics: ['x'], maxArticles: 1, alreadySent: new Set(['sent']) });
    expect(s.articles.map((a) => a.id)).toEqual(['taken']);
    expect(s.leftOut.map((l) => l.id).sort()).toEqual(['capped', 'early', 'late', 'sent', 'topic']);
    for (const l of s.leftOut) expect(l.origin).toBe(`articles/${l.id}.md`);
    expect(reasons(s)).toEqual({ capped: 'over-limit', sent: 'already-sent', topic: 'wrong-topic', early: 'outside-window', late: 'after-slot' });
  });

  it('attaches translations to their original by language and never counts them as articles', () => {
    const s = select(
      [
        article('tariffs', '2026-03-05T00:00:00.000Z', { lang: 'en' }),
        article('tariffs-fr', '2026-03-05T01:00:00.000Z', { lang: 'FR', translationOf: 'tariffs' }),
        article('tariffs-ar', '2026-03-05T02:00:00.000Z', { lang: 'ar', translationOf: 'tariffs' }),
        article('other', '2026-03-04T00:00:00.000Z'),
      ],
      { maxArticles: 2 },
    );
    expect(s.articles.map((a) => a.id)).toEqual(['tariffs', 'other']);
    expect(Object.keys(s.articles[0]!.translations).sort()).toEqual(['ar', 'fr']);
    expect(s.articles[0]!.translations.fr!.id).toBe('tariffs-fr');
    expect(s.articles[1]!.translations).toEqual({});
    expect(s.leftOut).toEqual([]);
  });

  it('treats a translation whose original is not among the articles as an article of its own', () => {
    const s = select([article('orphan-fr', '2026-03-05T00:00:00.000Z', { lang: 'fr', translationOf: 'missing' })]);
    expect(s.articles.map((a) => a.id)).toEqual(['orphan-fr']);
  });

  it('does not let a translation published after the slot ride along', () => {
    const s = select([article('tariffs', '2026-03-05T00:00:00.000Z'), article('tariffs-fr', '2026-03-10T00:00:00.000Z', { lang: 'fr', translationOf: 'tariffs' })]);
    expect(s.articles.map((a) => a.id)).toEqual(['tariffs']);
    expect(s.articles[0]!.translations).toEqual({});
  });
});

describe('issueWindow', () => {
  const slot = new Date(SLOT);

  it('starts at the previous issue’s slot when there is one, whatever the look-back', () => {
    expect(issueWindow(slot, PREVIOUS, 30 * 86_400_000)).toEqual({ start: PREVIOUS, end: SLOT });
    expect(issueWindow(slot, PREVIOUS, 'all')).toEqual({ start: PREVIOUS, end: SLOT });
  });

  it('reaches back by the look-back for a first issue', () => {
    expect(issueWindow(slot, null, 7 * 86_400_000)).toEqual({ start: '2026-03-02T07:00:00.000Z', end: SLOT });
  });

  it('has no start for a first issue with look-back "all"', () => {
    expect(issueWindow(slot, null, 'all')).toEqual({ start: null, end: SLOT });
  });
});
