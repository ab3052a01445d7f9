import type { Issue, IssueArticle, IssueReview } from './types.js';

/** config review.mode: none (send at the slot, as ever), optional (editors may edit; sent as it stands), required (sent only once approved). */
export type ReviewMode = 'none' | 'optional' | 'required';

/** One change an editor makes to a draft, from the preview or `newsletter issue edit`. */
export type DraftEdit = { kind: 'exclude' | 'include' | 'pin'; article: string } | { kind: 'move'; article: string; to: 'up' | 'down' } | { kind: 'note' | 'subject'; locale: string; text: string };

export const NOTE_MAX_CHARS = 5000;
export const SUBJECT_MAX_CHARS = 200;

export function emptyReview(): IssueReview {
  return { state: 'draft', excluded: [], note: {}, subject: {} };
}

/** A draft after one edit (pure), or why the edit cannot be made. */
export function applyEdit(issue: Pick<Issue, 'articles' | 'review'>, edit: DraftEdit, locales: readonly string[]): { articles: IssueArticle[]; review: IssueReview } | { problem: string } {
  const review = issue.review;
  if (!review) return { problem: 'this issue was made without review: it cannot be edited' };
  if (review.state !== 'draft') return { problem: `this issue is ${review.state === 'approved' ? 'approved' : 'released to its readers'}: it cannot be edited any more` };
  const articles = [...issue.articles];
  const at = 'article' in edit ? articles.findIndex((a) => a.id === edit.article) : -1;
  const inIssue = (): string | undefined => (at < 0 ? `no article "${'article' in edit ? edit.article : ''}" in this issue (\`newsletter issues --json\` lists them)` : undefined);
  switch (edit.kind) {
    case 'exclude': {
      const p = inIssue();
      if (p) return { problem: p };
      const [taken] = articles.splice(at, 1);
      return { articles, review: { ...review, excluded: [...review.excluded, taken!] } };
    }
    case 'include': {
      const back = review.excluded.find((a) => a.id === edit.article);
      if (!back) return { problem: `no excluded article "${edit.article}" to put back` };
      // Back where the newest-first order puts it, among the articles still in.
      const after = articles.findIndex((a) => a.publishedAt < back.publishedAt);
      articles.splice(after < 0 ? articles.length : after, 0, back);
      return { articles, review: { ...review, excluded: review.excluded.filter((a) => a.id !== edit.article) } };
    }
    case 'pin': {
      const p = inIssue();
      if (p) return { problem: p };
      const [lead] = articles.splice(at, 1);
      return { articles: [lead!, ...articles], review };
    }
    case 'move': {
      const p = inIssue();
      if (p) return { problem: p };
      const to = edit.to === 'up' ? at - 1 : at + 1;
      if (to < 0 || to >= articles.length) return { problem: `"${edit.article}" is already ${edit.to === 'up' ? 'first' : 'last'}` };
      [articles[at], articles[to]] = [articles[to]!, articles[at]!];
      return { articles, review };
    }
    case 'note':
    case 'subject': {
      if (!locales.includes(edit.locale)) return { problem: `"${edit.locale}" is not one of the newsletter's locales (${locales.join(', ')})` };
      const text = edit.kind === 'subject' ? edit.text.replace(/\s+/g, ' ').trim() : edit.text.replace(/\r\n?/g, '\n').trim();
      const max = edit.kind === 'subject' ? SUBJECT_MAX_CHARS : NOTE_MAX_CHARS;
      if (text.length > max) return { problem: `the ${edit.kind} is ${text.length} characters; at most ${max}` };
      // eslint-disable-next-line no-control-regex -- control characters have no place in a mail's text
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return { problem: `the ${edit.kind} holds control characters: type plain text` };
      const map = { ...review[edit.kind] };
      if (text) map[edit.locale] = text;
      else delete map[edit.locale];
      return { articles, review: { ...review, [edit.kind]: map } };
    }
  }
}

/** The edit in words, for the edit log: titles, not ids alone. */
export function describeEdit(edit: DraftEdit, articles: readonly IssueArticle[]): string {
  const title = (id: string) => {
    const a = articles.find((x) => x.id === id);
    return a ? `"${a.title}" (${id})` : `"${id}"`;
  };
  switch (edit.kind) {
    case 'exclude':
      return `excluded ${title(edit.article)}`;
    case 'include':
      return `put back ${title(edit.article)}`;
    case 'pin':
      return `pinned ${title(edit.article)} as the lead`;
    case 'move':
      return `moved ${title(edit.article)} ${edit.to}`;
    case 'note':
    case 'subject':
      return edit.text.trim() ? `set the ${edit.locale} ${edit.kind === 'note' ? "editor's note" : 'subject'}` : `removed the ${edit.locale} ${edit.kind === 'note' ? "editor's note" : 'subject'}`;
  }
}

/**
 * The text for a locale from a per-locale map: the locale's own, else its language's
 * (fr-CA → fr), else the newsletter default's, as locale files fall back.
 */
export function forLocale(map: Readonly<Record<string, string>> | undefined, locale: string, fallback: string): string | undefined {
  if (!map) return undefined;
  return map[locale] ?? map[locale.split('-')[0]!] ?? map[fallback];
}

export type ReleaseDecision =
  /** Queue its readers and deliver. */
  | { action: 'release' }
  /** Nothing is sent: an editor must approve it first. */
  | { action: 'wait'; reason: string }
  /** Approved after its slot, longer ago than the catch-up grace: only `send --issue N` sends it. */
  | { action: 'too-late'; reason: string };

/**
 * What happens to an issue at or after its slot (pure). An issue without review, or already
 * released, is delivered as ever; a draft in mode required waits; an approved issue, or a draft
 * in mode optional, is released at the slot, unless the slot is older than the grace and the
 * operator did not name the issue.
 */
export function releaseDecision(s: { mode: ReviewMode; review: IssueReview | undefined; issueId: number; slot: Date; now: Date; graceMs: number; explicit: boolean }): ReleaseDecision {
  if (!s.review || s.review.state === 'released') return { action: 'release' };
  if (s.review.state === 'draft' && s.mode === 'required') {
    return { action: 'wait', reason: `issue #${s.issueId} is waiting for approval (review.mode required): approve it in the preview or with \`newsletter approve --issue ${s.issueId}\`` };
  }
  const late = s.now.getTime() - s.slot.getTime();
  if (!s.explicit && late > s.graceMs) {
    return {
      action: 'too-late',
      reason: `issue #${s.issueId} was due ${Math.round(late / 60000)} min ago, longer than catchUpGrace: send it with \`newsletter send --issue ${s.issueId}\` if it should still go`,
    };
  }
  return { action: 'release' };
}

/** The issue's state in words, for `newsletter issues` and the preview. */
export function issueState(issue: Pick<Issue, 'review' | 'pausedReason'>, counts: { queued: number; sending: number; deferred: number; total: number }, finished: boolean): string {
  if (issue.review?.state === 'draft') return 'draft';
  if (issue.review?.state === 'approved') return 'approved';
  if (issue.pausedReason) return 'paused';
  if (counts.queued + counts.sending + counts.deferred > 0) return 'sending';
  return finished || counts.total > 0 ? 'sent' : 'sent (no readers)';
}
