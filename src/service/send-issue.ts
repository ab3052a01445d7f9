import type { Problem } from '../domain/errors.js';
import { emptyCounts, type Issue, type StateCounts } from '../domain/types.js';
import type { NewsletterConfig } from '../config/schema.js';
import { latestSlotAtOrBefore } from '../compose/slots.js';
import { syncList } from './sync-list.js';
import { progressLog } from '../domain/logger.js';
import { deliverIssue } from '../delivery/deliver.js';
import { IssueRenderer } from '../render/issue-renderer.js';
import { releaseMjmlThread } from '../render/mjml-thread.js';
import { listSyncThreadsRunning } from '../audience/list-sync-thread.js';
import { readTemplateFiles } from '../render/template-files.js';
import { composeIssue } from './compose-issue.js';
import { complaintVerdict, percent, ratesOf } from '../bounces/rates.js';
import type { App } from '../app.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { emptyReview, releaseDecision } from '../domain/review.js';
import { localDeliveryTime } from '../compose/local-time.js';
import { remindEditors } from './review.js';

export interface SendSummary {
  newsletter: string;
  slot: string;
  /** sent: delivered what was due; no-articles: nothing new, no issue; dry-run: nothing written. */
  status: 'delivered' | 'queued' | 'no-articles' | 'dry-run' | 'paused' | 'stopped' | 'waiting';
  /** Why nothing was sent although an issue is there (editors' review): status waiting. */
  waiting?: string;
  issue?: { id: number; created: boolean; articles: number };
  counts: StateCounts;
  /** Readers of the newsletter by consent state (who is not mailed, and why). */
  audience: Record<string, number>;
  /** Readers a dry run would queue. */
  wouldSend?: number;
  problems: Problem[];
  paused?: string;
  nextAttemptAt?: string;
  /** Readers held for local-time delivery, and when the next of them is due. */
  localTime?: { waiting: number; next: string | undefined };
  transport: string;
  location?: string;
  /** Deliveries this process attempted in this run (several processes may share an issue). */
  attempted?: number;
}

export interface SendOptions {
  /** Act as if the clock read this: the issue is the one of the latest slot at or before it. */
  at?: Date;
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Deliver this slot rather than the one `at` falls in (the scheduler knows its tick's slot). */
  slot?: Date;
  /** Make the issue and queue its readers, but leave delivery to `newsletter worker` processes. */
  noDeliver?: boolean;
  /** Once `signal` aborts, how long messages in flight may take before they are cancelled (delivery's STOP_GRACE_MS). */
  stopGraceMs?: number;
  /** Send a new issue although the previous one's complaint rate is above bounces.complaints.pauseRate. */
  despiteComplaints?: boolean;
  /** This issue (`send --issue N`): its slot, and an approved one even when older than catchUpGrace. */
  issueId?: number;
}

/**
 * The complaint guard: a new issue is not made while the newsletter's previous issue drew more
 * complaints than `bounces.complaints.pauseRate` of the mail that left (Gmail's limit is 0.3 %;
 * past it, a sender's mail goes to spam for everyone). Above `warnRate`, a warning.
 */
async function complaintHold(app: App, newsletter: NewsletterConfig, beforeSlot: string): Promise<string | undefined> {
  const previous = await app.store.latestIssue(newsletter.id, beforeSlot);
  if (!previous) return undefined;
  const rates = ratesOf(await app.store.counts(previous.id));
  const verdict = complaintVerdict(rates, app.config.bounces.complaints);
  const said = `issue #${previous.id} drew complaints from ${rates.complained} of ${rates.left} readers (${percent(rates.complaintRate)})`;
  if (verdict === 'warn')
    app.logger.warn(`${said}, above bounces.complaints.warnRate ${percent(app.config.bounces.complaints.warnRate)}; Gmail and Yahoo start filtering at 0.3 %`, { newsletter: newsletter.id });
  if (verdict !== 'pause') return undefined;
  return `${said}, above bounces.complaints.pauseRate ${percent(app.config.bounces.complaints.pauseRate)} (Gmail's limit): no new issue is sent until you look (\`newsletter report --issue ${previous.id}\`), then \`newsletter send --despite-complaints\``;
}

/**
 * The `send` use case: sync the list file, find or compose the issue for the due slot, and
 * deliver it (resuming an unfinished one). Safe to run twice or concurrently: the issue is
 * unique per (newsletter, slot) and each outbox row is claimed once.
 */
export async function sendNewsletter(app: App, newsletter: NewsletterConfig, options: SendOptions = {}): Promise<SendSummary> {
  const { store, clock, config, logger } = app;
  const now = clock.now();
  const chosen = options.issueId === undefined ? undefined : await store.getIssue(options.issueId);
  if (options.issueId !== undefined && chosen?.newsletterId !== newsletter.id) {
    throw new NewsletterError(ErrorCodes.USAGE, `newsletter "${newsletter.id}" has no issue #${options.issueId} (\`newsletter issues\` lists them)`);
  }
  const slot = chosen ? new Date(chosen.slot) : (options.slot ?? latestSlotAtOrBefore(newsletter.schedule, newsletter.timezone, options.at ?? now));
  const syncAudience = () => syncList(app, newsletter.id, now, progressLog(logger, 'reading the subscriber list', { newsletter: newsletter.id }));
  const base = {
    newsletter: newsletter.id,
    slot: slot.toISOString(),
    transport: app.transport.name,
    location: app.transport.location,
  };
  const audience = async () => (await store.countSubscriptions(newsletter.id)) as Record<string, number>;
  // Reading the templates first makes a broken one fail before anything is written.
  const files = readTemplateFiles(config.paths.templates, newsletter.template);

  let issue = await store.findIssue(newsletter.id, slot.toISOString());
  let created = false;
  const problems: Problem[] = [];
  if (!issue) {
    const hold = options.despiteComplaints ? undefined : await complaintHold(app, newsletter, slot.toISOString());
    if (hold) {
      logger.error(`not sending: ${hold}`, { newsletter: newsletter.id });
      return { ...base, status: 'paused', counts: emptyCounts(), audience: await audience(), problems, paused: hold };
    }
    const composition = await composeIssue(store, newsletter, config, slot, now);
    if (composition.draft.articles.length === 0 && !newsletter.sendWhenEmpty) {
      problems.push(...(await syncAudience()).problems, ...composition.problems);
      logger.info('no new articles in the window: no issue made', { newsletter: newsletter.id, slot: slot.toISOString(), window: composition.draft.window });
      return { ...base, status: 'no-articles', counts: emptyCounts(), audience: await audience(), problems };
    }
    // Render the draft in every locale before anything is written: a broken template or
    // locale file stops here (exit 2) instead of leaving an issue nobody can be sent. MJML
    // compiles in a worker thread (render/mjml-thread.ts), so the list sync runs meanwhile.
    const probe = new IssueRenderer({ ...composition.draft, id: 0 }, newsletter, files, config.publicUrl);
    const probing = Promise.all(newsletter.locales.supported.map((l) => probe.forLocale(l)));
    // A list still being applied in its own thread when the probe is done takes seconds more:
    // end the MJML thread now rather than keep it idle next to the sync's memory (delivery
    // starts another). A rejection is awaited below, after the sync.
    probing.then(() => (listSyncThreadsRunning() > 0 ? releaseMjmlThread() : undefined)).catch(() => {});
    problems.push(...(await syncAudience()).problems);
    await probing;
    problems.push(...composition.problems);
    if (options.dryRun) {
      const aud = await audience();
      return { ...base, status: 'dry-run', counts: emptyCounts(), audience: aud, wouldSend: aud.consent ?? 0, problems, issue: { id: 0, created: false, articles: composition.draft.articles.length } };
    }
    // The issue and its issue.created event are committed together; without a listener, the
    // store's own transaction (and whatever wraps the store) makes the issue as before.
    // Under review, the issue is made as a draft (no reader queued) and released below if it may go.
    const underReview = newsletter.review.mode !== 'none';
    ({ issue, created } = underReview
      ? await store.createIssue({ ...composition.draft, review: emptyReview() })
      : !app.events.wants('issue.created')
        ? await store.createIssue(composition.draft)
        : await store.transaction(async (tx) => {
            const made = await tx.createIssue(composition.draft);
            if (made.created) {
              const queued = (await tx.counts(made.issue.id)).queued;
              await app.events.emit(tx, [
                {
                  type: 'issue.created',
                  at: made.issue.createdAt,
                  data: { newsletter: newsletter.id, issue: made.issue.id, slot: made.issue.slot, articles: made.issue.articles.length, recipients: queued },
                },
              ]);
            }
            return made;
          }));
    if (created) logger.info('issue created', { newsletter: newsletter.id, issue: issue.id, slot: issue.slot, articles: issue.articles.length });
  } else {
    problems.push(...(await syncAudience()).problems);
  }
  let issueInfo = { id: issue.id, created, articles: issue.articles.length };
  if (issue.review && issue.review.state !== 'released') {
    const decision = releaseDecision({
      mode: newsletter.review.mode,
      review: issue.review,
      issueId: issue.id,
      slot,
      now: options.at ?? now,
      graceMs: newsletter.catchUpGrace,
      explicit: options.issueId !== undefined,
    });
    if (decision.action !== 'release') {
      logger.warn(decision.reason, { newsletter: newsletter.id, issue: issue.id });
      if (decision.action === 'wait' && !options.dryRun) await remindEditors(app, newsletter, issue, now);
      return { ...base, status: 'waiting', waiting: decision.reason, issue: issueInfo, counts: emptyCounts(), audience: await audience(), problems };
    }
    if (options.dryRun) return { ...base, status: 'dry-run', issue: issueInfo, counts: emptyCounts(), audience: await audience(), problems };
    // Released at its slot (or late, when approved late): local-time delivery still counts from the slot.
    const notBefore = newsletter.localTimeDelivery ? (tz: string) => localDeliveryTime(slot, newsletter.timezone, tz).toISOString() : undefined;
    // Its readers are known only now: issue.created (with them) goes with the release, in its transaction.
    const released = issue;
    const release = async (tx: typeof store) => {
      if (!(await tx.releaseIssue(released.id, now.toISOString(), notBefore))) return false;
      if (app.events.wants('issue.created')) {
        const recipients = (await tx.counts(released.id)).queued;
        await app.events.emit(tx, [
          { type: 'issue.created', at: now.toISOString(), data: { newsletter: newsletter.id, issue: released.id, slot: released.slot, articles: released.articles.length, recipients } },
        ]);
      }
      return true;
    };
    if (await (app.events.wants('issue.created') ? store.transaction(release) : release(store))) {
      logger.info('issue released to its readers', { newsletter: newsletter.id, issue: issue.id, review: issue.review.state, approvedBy: issue.review.approvedBy });
    }
    issue = (await store.getIssue(issue.id))!;
    issueInfo = { id: issue.id, created, articles: issue.articles.length };
  }
  if (options.dryRun) {
    return { ...base, status: 'dry-run', issue: issueInfo, counts: await store.counts(issue.id), audience: await audience(), problems };
  }

  if (options.noDeliver) {
    return { ...base, status: 'queued', issue: issueInfo, counts: await store.counts(issue.id), audience: await audience(), problems };
  }
  let welcomeFiles: ReturnType<typeof readTemplateFiles> | undefined;
  const welcomeTemplate = newsletter.welcome.template;
  const renderer = new IssueRenderer(issue, newsletter, files, config.publicUrl, welcomeTemplate ? () => (welcomeFiles ??= readTemplateFiles(config.paths.templates, welcomeTemplate)) : undefined);
  const run = await deliverIssue(
    {
      store,
      transport: app.transport,
      clock,
      logger,
      secret: config.secrets[0]!,
      publicUrl: config.publicUrl,
      settings: app.deliverySettings,
      message: app.messageOptions,
      workerId: app.workerId,
      events: app.events,
      metrics: app.metrics,
    },
    renderer,
    { signal: options.signal, onBatch: options.onProgress, stopGraceMs: options.stopGraceMs },
  );
  for (const l of newsletter.locales.supported) {
    const missing = (await renderer.forLocale(l)).missingKeys;
    if (missing.length > 0) problems.push({ place: files.localeFile(l), message: `missing keys ${missing.join(', ')}; the ${newsletter.locales.default} text was used` });
  }
  const counts = await noteIfFinished(app, issue, await store.counts(issue.id));
  return {
    ...base,
    status: run.paused ? 'paused' : options.signal?.aborted ? 'stopped' : 'delivered',
    issue: issueInfo,
    counts,
    audience: await audience(),
    problems,
    attempted: run.attempted,
    paused: run.paused,
    nextAttemptAt: counts.deferred > 0 ? await store.nextAttemptAt(issue.id) : undefined,
    ...(newsletter.localTimeDelivery ? { localTime: await store.waitingForLocalTime(issue.id, clock.now().toISOString()).then((w) => ({ waiting: w.count, next: w.next })) } : {}),
  };
}

/**
 * Once nothing of an issue is queued, sending or deferred, it is finished: noted once in the
 * store (whichever process sees it first) with its issue.sent event, in one transaction.
 */
async function noteIfFinished(app: App, issue: Issue, counts: StateCounts): Promise<StateCounts> {
  if (counts.queued + counts.sending + counts.deferred > 0 || !app.events.wants('issue.sent')) return counts;
  const at = app.clock.now().toISOString();
  await app.store.transaction(async (tx) => {
    if (!(await tx.markIssueFinished(issue.id, at))) return;
    const final = await tx.counts(issue.id);
    await app.events.emit(tx, [{ type: 'issue.sent', at, data: { newsletter: issue.newsletterId, issue: issue.id, slot: issue.slot, counts: final } }]);
  });
  return counts;
}

/** Exit status for a summary: 1 while any reader of the issue is failed, deferred or in doubt. */
export function exitCodeFor(summaries: SendSummary[]): 0 | 1 {
  return summaries.some((s) => s.counts.failed + s.counts.deferred + s.counts.unknown + (s.status === 'queued' ? 0 : s.counts.sending) > 0 || s.paused) ? 1 : 0;
}
