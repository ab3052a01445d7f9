import { randomBytes } from 'node:crypto';
import type { NewsletterConfig } from '../config/schema.js';
import { findNewsletter } from '../config/load.js';
import { nextSlotAfter } from '../compose/slots.js';
import { editorTime } from '../domain/dates.js';
import { escapeHtml } from '../domain/html.js';
import { ErrorCodes, NewsletterError, type Problem } from '../domain/errors.js';
import { applyEdit, describeEdit, emptyReview, issueState, type DraftEdit } from '../domain/review.js';
import type { Issue } from '../domain/types.js';
import { composeMessage } from '../delivery/mime.js';
import { IssueRenderer } from '../render/issue-renderer.js';
import { readTemplateFiles } from '../render/template-files.js';
import type { IssueEdit } from '../store/store.js';
import { composeIssue } from './compose-issue.js';
import type { App } from '../app.js';

/**
 * Editors in the loop (README § Editors), the use cases around a draft:
 *   openDueDrafts   the next slot's issue composed as a draft `review.opensBefore` ahead, editors told
 *   editIssue       exclude / include / pin / move an article, a note or subject per locale, logged
 *   approveIssue    freezes a draft; it goes at its slot (or at once, when the slot has passed)
 *   remindEditors   at the slot, a draft that mode required holds back: editors reminded once
 *   listIssues      drafts, approved and sent issues with their state
 * What happens at the slot is domain/review.ts `releaseDecision`, applied by send-issue.ts.
 */

/** Where editors open an issue in the preview, for the links in their mails. */
export function reviewLink(app: App, newsletter: NewsletterConfig, issueId: number): string {
  const port = app.config.preview.port ?? (app.config.port === 0 ? 0 : app.config.port + 1);
  const base = (newsletter.review.previewUrl ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  return `${base}/issues/${issueId}`;
}

async function mailEditors(app: App, newsletter: NewsletterConfig, issue: Issue, subject: string, lines: string[]): Promise<void> {
  const to = newsletter.review.notify;
  if (to.length === 0) return;
  const stamp = randomBytes(6).toString('hex');
  const domain = /@([^>\s]+)/.exec(newsletter.from)?.[1] ?? 'localhost';
  const link = reviewLink(app, newsletter, issue.id);
  const text = [...lines, '', link, ''].join('\n');
  const html = `<!doctype html><html><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p></body></html>`;
  for (const address of to) {
    // Editors are not readers: straight to the transport, without list headers, and a failure is logged, not fatal.
    await app.transport
      .send(
        await composeMessage(`editor-mail/${stamp}`, {
          messageId: `<review-${issue.id}-${stamp}@${domain}>`,
          from: newsletter.from,
          to: { name: '', address },
          subject,
          text,
          html,
          headers: { 'Auto-Submitted': 'auto-generated' },
        }),
      )
      .catch((e: Error) => app.logger.error(`could not mail editor ${address}: ${e.message}`, { newsletter: newsletter.id, issue: issue.id }));
  }
}

/** The drafts of every newsletter with review whose next slot is within `review.opensBefore` of `now`. */
export async function openDueDrafts(app: App, now: Date, only?: ReadonlySet<string>): Promise<{ newsletter: string; issue?: Issue; problems: Problem[]; note?: string }[]> {
  const out: { newsletter: string; issue?: Issue; problems: Problem[]; note?: string }[] = [];
  for (const n of app.config.newsletters) {
    if (n.review.mode === 'none' || (only && !only.has(n.id))) continue;
    const slot = nextSlotAfter(n.schedule, n.timezone, now);
    if (slot.getTime() - now.getTime() > n.review.opensBefore) continue;
    if (await app.store.findIssue(n.id, slot.toISOString())) continue;
    const composition = await composeIssue(app.store, n, app.config, slot, now);
    if (composition.draft.articles.length === 0 && !n.sendWhenEmpty) {
      out.push({ newsletter: n.id, problems: composition.problems, note: `no new articles for the slot of ${editorTime(slot.toISOString(), n.timezone)} yet: no draft` });
      continue;
    }
    // A broken template stops here, as at a send, rather than leaving a draft nobody can preview.
    const probe = new IssueRenderer({ ...composition.draft, id: 0 }, n, readTemplateFiles(app.config.paths.templates, n.template), app.config.publicUrl);
    await Promise.all(n.locales.supported.map((l) => probe.forLocale(l)));
    const { issue, created } = await app.store.createIssue({ ...composition.draft, review: emptyReview() });
    if (created) {
      app.logger.info('draft opened for review', { newsletter: n.id, issue: issue.id, slot: issue.slot, articles: issue.articles.length });
      if (await app.store.noteReviewMail(issue.id, 'notifiedAt', now.toISOString())) {
        await mailEditors(app, n, issue, `[${n.name}] Draft #${issue.id} is ready for review`, [
          `The issue for ${editorTime(issue.slot, n.timezone)} is composed as a draft with ${issue.articles.length} article${issue.articles.length === 1 ? '' : 's'}.`,
          n.review.mode === 'required' ? 'It is sent only once an editor approves it.' : 'It is sent at its slot as it stands then; you may edit it until then.',
          'Review it in the preview:',
        ]);
      }
    }
    out.push({ newsletter: n.id, issue, problems: composition.problems });
  }
  return out;
}

/** At the slot, a draft held back for approval: the editors are reminded once. */
export async function remindEditors(app: App, newsletter: NewsletterConfig, issue: Issue, now: Date): Promise<void> {
  if (!(await app.store.noteReviewMail(issue.id, 'remindedAt', now.toISOString()))) return;
  await mailEditors(app, newsletter, issue, `[${newsletter.name}] Waiting for approval: issue #${issue.id}`, [
    `The issue for ${editorTime(issue.slot, newsletter.timezone)} was due and nothing was sent: it waits for an editor's approval.`,
    `Approve it in the preview, or run: newsletter approve --newsletter ${newsletter.id} --issue ${issue.id}`,
  ]);
}

function issueOf(app: App, issue: Issue | undefined, issueId: number): { issue: Issue; newsletter: NewsletterConfig } {
  const newsletter = issue && app.config.newsletters.find((n) => n.id === issue.newsletterId);
  if (!issue || !newsletter) throw new NewsletterError(ErrorCodes.USAGE, `no issue #${issueId} (\`newsletter issues\` lists them)`);
  return { issue, newsletter };
}

/** One edit to a draft by `editor`; throws USAGE with what to fix when it cannot be made. */
export async function editIssue(app: App, issueId: number, edit: DraftEdit, editor: string): Promise<Issue> {
  const { issue, newsletter } = issueOf(app, await app.store.getIssue(issueId), issueId);
  const next = applyEdit(issue, edit, newsletter.locales.supported);
  if ('problem' in next) throw new NewsletterError(ErrorCodes.USAGE, `issue #${issueId}: ${next.problem}`);
  const what = describeEdit(edit, [...issue.articles, ...(issue.review?.excluded ?? [])]);
  if (!(await app.store.updateDraft(issueId, next.articles, next.review, { at: app.clock.now().toISOString(), editor, what }))) {
    throw new NewsletterError(ErrorCodes.USAGE, `issue #${issueId} was approved or released meanwhile: it cannot be edited any more`);
  }
  app.logger.info('draft edited', { newsletter: newsletter.id, issue: issueId, editor, what });
  return (await app.store.getIssue(issueId))!;
}

/** Approves a draft; the issue of `newsletterId` given, its latest draft when `issueId` is not. */
export async function approveIssue(app: App, editor: string, newsletterId: string | undefined, issueId?: number): Promise<{ issue: Issue; newsletter: NewsletterConfig; due: boolean }> {
  let found: Issue | undefined;
  if (issueId !== undefined) found = await app.store.getIssue(issueId);
  else {
    const [n] = findNewsletter(app.config, newsletterId);
    found = (await app.store.listIssues(n!.id, 20, { unreleased: true })).find((i) => i.review?.state === 'draft');
    if (!found) throw new NewsletterError(ErrorCodes.USAGE, `newsletter "${n!.id}" has no draft waiting (\`newsletter issues\` lists its issues)`);
  }
  const { issue, newsletter } = issueOf(app, found, issueId ?? 0);
  if (newsletterId && newsletter.id !== newsletterId) throw new NewsletterError(ErrorCodes.USAGE, `issue #${issue.id} belongs to newsletter "${newsletter.id}", not "${newsletterId}"`);
  if (issue.review?.state !== 'draft') {
    throw new NewsletterError(ErrorCodes.USAGE, `issue #${issue.id} is ${issue.review ? issue.review.state : 'not under review'}: only a draft can be approved`);
  }
  const now = app.clock.now();
  if (!(await app.store.approveIssue(issue.id, editor, now.toISOString()))) throw new NewsletterError(ErrorCodes.USAGE, `issue #${issue.id} was approved meanwhile`);
  app.logger.info('issue approved', { newsletter: newsletter.id, issue: issue.id, editor });
  return { issue: (await app.store.getIssue(issue.id))!, newsletter, due: new Date(issue.slot).getTime() <= now.getTime() };
}

export interface IssueListing {
  id: number;
  newsletter: string;
  slot: string;
  /** The slot as editors read it, in the newsletter's zone. */
  when: string;
  /** The newsletter's time zone. */
  timezone: string;
  state: string;
  articles: { id: string; title: string }[];
  excluded: { id: string; title: string }[];
  note: Record<string, string>;
  subject: Record<string, string>;
  approvedBy?: string;
  approvedAt?: string;
  counts: Record<string, number>;
  edits: IssueEdit[];
}

/** `newsletter issues`: the latest issues of each newsletter (or one), drafts included, newest first. */
export async function listIssues(app: App, newsletterId?: string, limit = 20): Promise<IssueListing[]> {
  const out: IssueListing[] = [];
  for (const n of findNewsletter(app.config, newsletterId)) {
    for (const i of await app.store.listIssues(n.id, limit, { unreleased: true })) {
      const counts = await app.store.counts(i.id);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      out.push({
        id: i.id,
        newsletter: n.id,
        slot: i.slot,
        when: editorTime(i.slot, n.timezone),
        timezone: n.timezone,
        state: issueState(i, { ...counts, total }, false),
        articles: i.articles.map((a) => ({ id: a.id, title: a.title })),
        excluded: (i.review?.excluded ?? []).map((a) => ({ id: a.id, title: a.title })),
        note: i.review?.note ?? {},
        subject: i.review?.subject ?? {},
        ...(i.review?.approvedBy ? { approvedBy: i.review.approvedBy, approvedAt: i.review.approvedAt } : {}),
        counts,
        edits: i.review ? await app.store.issueEdits(i.id) : [],
      });
    }
  }
  return out;
}
