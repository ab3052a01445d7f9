import { describe, expect, it } from 'vitest';
import { applyEdit, describeEdit, emptyReview, forLocale, issueState, releaseDecision } from '../../src/domain/review.js';
import type { IssueArticle, IssueReview } from '../../src/domain/types.js';
import { noteHtml } from '../../src/render/editor-note.js';

const art = (id: string, publishedAt: string): IssueArticle => ({ id, title: `Title ${id}`, publishedAt, topics: [], excerpt: '', paragraphs: [], origin: `${id}.md`, translations: {} });
const A = art('a', '2026-11-26T00:00:00Z');
const B = art('b', '2026-11-25T00:00:00Z');
const C = art('c', '2026-11-24T00:00:00Z');
const draft = { articles: [A, B, C], review: emptyReview() };
const LOCALES = ['en', 'fr', 'ar'];

function ok(r: ReturnType<typeof applyEdit>) {
  if ('problem' in r) throw new Error(r.problem);
  return r;
}

describe('applyEdit', () => {
  it('excludes an article and puts it back in date order', () => {
    const out = ok(applyEdit(draft, { kind: 'exclude', article: 'b' }, LOCALES));
    expect(out.articles.map((a) => a.id)).toEqual(['a', 'c']);
    expect(out.review.excluded.map((a) => a.id)).toEqual(['b']);
    const back = ok(applyEdit(out, { kind: 'include', article: 'b' }, LOCALES));
    expect(back.articles.map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(back.review.excluded).toEqual([]);
  });

  it('pins a lead and moves articles, refusing moves past either end', () => {
    expect(ok(applyEdit(draft, { kind: 'pin', article: 'c' }, LOCALES)).articles.map((a) => a.id)).toEqual(['c', 'a', 'b']);
    expect(ok(applyEdit(draft, { kind: 'move', article: 'b', to: 'down' }, LOCALES)).articles.map((a) => a.id)).toEqual(['a', 'c', 'b']);
    expect(ok(applyEdit(draft, { kind: 'move', article: 'b', to: 'up' }, LOCALES)).articles.map((a) => a.id)).toEqual(['b', 'a', 'c']);
    expect(applyEdit(draft, { kind: 'move', article: 'a', to: 'up' }, LOCALES)).toEqual({ problem: '"a" is already first' });
    expect(applyEdit(draft, { kind: 'move', article: 'c', to: 'down' }, LOCALES)).toEqual({ problem: '"c" is already last' });
  });

  it('names what is wrong: unknown article, unknown locale, too long, control characters, not a draft', () => {
    expect(applyEdit(draft, { kind: 'pin', article: 'zz' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/no article "zz"/) });
    expect(applyEdit(draft, { kind: 'include', article: 'a' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/no excluded article "a"/) });
    expect(applyEdit(draft, { kind: 'note', locale: 'de', text: 'x' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/"de" is not one of/) });
    expect(applyEdit(draft, { kind: 'subject', locale: 'en', text: 'x'.repeat(201) }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/at most 200/) });
    expect(applyEdit(draft, { kind: 'note', locale: 'en', text: 'a\u0007b' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/control characters/) });
    const approved: IssueReview = { ...emptyReview(), state: 'approved' };
    expect(applyEdit({ articles: [A], review: approved }, { kind: 'pin', article: 'a' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/approved/) });
    expect(applyEdit({ articles: [A], review: undefined }, { kind: 'pin', article: 'a' }, LOCALES)).toMatchObject({ problem: expect.stringMatching(/without review/) });
  });

  it('sets and clears a note and a subject per locale; a subject is one line', () => {
    const noted = ok(applyEdit(draft, { kind: 'note', locale: 'fr', text: '  Bonjour\r\n\r\nà tous  ' }, LOCALES));
    expect(noted.review.note).toEqual({ fr: 'Bonjour\n\nà tous' });
    expect(ok(applyEdit(noted, { kind: 'note', locale: 'fr', text: '  ' }, LOCALES)).review.note).toEqual({});
    expect(ok(applyEdit(draft, { kind: 'subject', locale: 'en', text: 'Big\n  week ' }, LOCALES)).review.subject).toEqual({ en: 'Big week' });
  });

  it('describes edits with titles', () => {
    expect(describeEdit({ kind: 'pin', article: 'a' }, [A])).toBe('pinned "Title a" (a) as the lead');
    expect(describeEdit({ kind: 'note', locale: 'fr', text: '' }, [A])).toBe("removed the fr editor's note");
  });
});

describe('forLocale', () => {
  it('falls back like locale files: fr-CA → fr → default', () => {
    expect(forLocale({ fr: 'F', en: 'E' }, 'fr-CA', 'en')).toBe('F');
    expect(forLocale({ en: 'E' }, 'ar', 'en')).toBe('E');
    expect(forLocale({}, 'ar', 'en')).toBeUndefined();
  });
});

describe('releaseDecision', () => {
  const base = { issueId: 7, slot: new Date('2026-11-30T07:00:00Z'), now: new Date('2026-11-30T07:00:05Z'), graceMs: 6 * 3600_000, explicit: false };
  it('holds a draft in mode required, lets optional and approved go, and asks for --issue once past the grace', () => {
    expect(releaseDecision({ ...base, mode: 'required', review: emptyReview() })).toMatchObject({ action: 'wait' });
    expect(releaseDecision({ ...base, mode: 'optional', review: emptyReview() })).toEqual({ action: 'release' });
    expect(releaseDecision({ ...base, mode: 'required', review: { ...emptyReview(), state: 'approved' } })).toEqual({ action: 'release' });
    expect(releaseDecision({ ...base, mode: 'none', review: undefined })).toEqual({ action: 'release' });
    const late = { ...base, now: new Date('2026-11-30T20:00:00Z'), mode: 'required' as const, review: { ...emptyReview(), state: 'approved' as const } };
    expect(releaseDecision(late)).toMatchObject({ action: 'too-late', reason: expect.stringMatching(/send --issue 7/) });
    expect(releaseDecision({ ...late, explicit: true })).toEqual({ action: 'release' });
    // Still a draft in mode required: waiting, however late.
    expect(releaseDecision({ ...late, review: emptyReview(), explicit: true })).toMatchObject({ action: 'wait' });
  });

  it('names the state', () => {
    const none = { queued: 0, sending: 0, deferred: 0, total: 0 };
    expect(issueState({ review: emptyReview() }, none, false)).toBe('draft');
    expect(issueState({}, { ...none, queued: 2, total: 3 }, false)).toBe('sending');
    expect(issueState({}, { ...none, total: 3 }, false)).toBe('sent');
  });
});

describe("the editor's note as mail HTML", () => {
  it('renders Markdown and escapes HTML; no pictures, no script links, no fill markers', () => {
    expect(noteHtml('A **b** *c* [d](https://e.example/)')).toBe('<p>A <strong>b</strong> <em>c</em> <a href="https://e.example/">d</a></p>');
    expect(noteHtml('<img src=x onerror=alert(1)>')).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(noteHtml('[x](javascript:alert(1))')).not.toContain('href="javascript');
    expect(noteHtml('![pic](https://e.example/p.png)')).not.toContain('<img');
    expect(noteHtml('@@NLR_email@@')).not.toContain('@@NLR_');
  });
});
