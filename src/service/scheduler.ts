import cron, { type ScheduledTask } from 'node-cron';
import { formatProblem } from '../domain/errors.js';
import type { NewsletterConfig } from '../config/schema.js';
import { latestSlotAtOrBefore, nextSlotAfter } from '../compose/slots.js';
import { decideOnStart } from './catch-up.js';
import { sendNewsletter, type SendSummary } from './send-issue.js';
import { openDueDrafts } from './review.js';
import type { App } from '../app.js';

const RETRY_EVERY_MS = 30_000;
/** How long a "no new articles for the next draft yet" stands before the sources are read again. */
const NOTHING_NEW_RECHECK_MS = 5 * 60_000;

/**
 * The long-running part of `start`: one node-cron task per newsletter in its time zone, a
 * catch-up pass on start, and a loop (every 30 s) that delivers deferred readers when due,
 * readers held for local-time delivery, and slots whose tick failed (within the catch-up grace).
 * A failing tick is logged and the next tick still runs. `stop()` stops the timers and waits
 * for deliveries in flight; it may come at any moment, even during `catchUp()`, and once it has,
 * nothing starts again (`start()` does nothing, the catch-up pass ends).
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly controller = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly app: App,
    private readonly report: (s: SendSummary) => void,
    /** After `stop()`, how long deliveries in flight may take (delivery's STOP_GRACE_MS by default). */
    private readonly stopGraceMs?: number,
  ) {}

  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const guarded = p.catch((e: unknown) => {
      this.app.logger.error('scheduled run failed; the next tick still runs', { error: (e as Error).message });
      return undefined;
    });
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
    return guarded;
  }

  /** Slots whose run failed (e.g. the store was unavailable), retried by the retry loop. */
  private readonly failedSlots = new Map<string, { n: NewsletterConfig; slot: Date }>();

  private async run(n: NewsletterConfig, slot: Date, why: string): Promise<void> {
    if (this.controller.signal.aborted) return;
    const key = `${n.id}@${slot.toISOString()}`;
    this.app.logger.info('tick', { newsletter: n.id, slot: slot.toISOString(), why });
    try {
      const summary = await sendNewsletter(this.app, n, { slot, signal: this.controller.signal, stopGraceMs: this.stopGraceMs });
      this.failedSlots.delete(key);
      for (const p of summary.problems) this.app.logger.warn(formatProblem(p));
      this.report(summary);
    } catch (e) {
      this.failedSlots.set(key, { n, slot });
      throw e;
    }
  }

  /** What a cron firing does: the issue of the slot the tick belongs to. Public so tests can fire one. */
  tick(n: NewsletterConfig, firedAt: Date): Promise<void | undefined> {
    // The tick's own slot, not "now": a timer firing a few ms early must not pick the previous slot.
    const slot = latestSlotAtOrBefore(n.schedule, n.timezone, new Date(firedAt.getTime() + 999));
    return this.track(this.run(n, slot, 'schedule'));
  }

  /** Whether `stop()` was called. */
  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  async catchUp(): Promise<void> {
    const { store, clock, config, logger } = this.app;
    for (const n of config.newsletters) {
      if (this.stopped) return;
      const now = clock.now();
      const slot = latestSlotAtOrBefore(n.schedule, n.timezone, now);
      const decision = decideOnStart({
        slot,
        now,
        issueForSlot: Boolean(await store.findIssue(n.id, slot.toISOString())),
        anyIssue: Boolean(await store.latestIssue(n.id)),
        firstIssue: n.firstIssue,
        graceMs: n.catchUpGrace,
      });
      if (decision.action === 'send') await this.track(this.run(n, slot, decision.reason));
      else logger.info(decision.reason, { newsletter: n.id, slot: slot.toISOString(), next: nextSlotAfter(n.schedule, n.timezone, now).toISOString() });
    }
  }

  start(): void {
    // Stopped while the catch-up pass ran: the store may already be closed.
    if (this.stopped) return;
    for (const n of this.app.config.newsletters) {
      const task = cron.schedule(n.schedule, async (ctx) => void (await this.tick(n, ctx.date)), {
        timezone: n.timezone,
        noOverlap: true,
        name: `newsletter:${n.id}`,
      });
      this.tasks.push(task);
      this.app.logger.info('scheduled', { newsletter: n.id, schedule: n.schedule, timezone: n.timezone, next: nextSlotAfter(n.schedule, n.timezone, this.app.clock.now()).toISOString() });
    }
    this.retryTimer = setInterval(() => void this.track(this.retryDue()), RETRY_EVERY_MS);
  }

  /** Delivers whatever is queued or due for retry in any issue (deferred readers, interrupted sends). */
  async retryDue(): Promise<void> {
    if (this.stopped) return;
    const { store, clock, config } = this.app;
    for (const { n, slot } of [...this.failedSlots.values()]) {
      if (clock.now().getTime() - slot.getTime() > n.catchUpGrace) {
        this.app.logger.error('giving up on a slot that kept failing', { newsletter: n.id, slot: slot.toISOString() });
        this.failedSlots.delete(`${n.id}@${slot.toISOString()}`);
      } else if (!this.stopped) await this.run(n, slot, 'retry of a failed tick');
    }
    await this.reviewDue();
    for (const issueId of await store.issuesWithWork(clock.now().toISOString())) {
      if (this.stopped) return;
      const issue = await store.getIssue(issueId);
      const n = config.newsletters.find((x) => x.id === issue?.newsletterId);
      if (issue && n) await this.run(n, new Date(issue.slot), 'retry');
    }
  }

  /** Slots whose no-draft outcome was logged already, so the 30 s loop does not repeat it. */
  private readonly noDraftLogged = new Set<string>();
  /** Newsletters whose next draft had no new article: until when that answer stands. */
  private readonly nothingNewUntil = new Map<string, number>();

  /**
   * Editors' review (service/review.ts): drafts opened `review.opensBefore` ahead of their slot,
   * and an issue approved after its slot (within the catch-up grace) sent at once.
   */
  async reviewDue(): Promise<void> {
    const { store, clock, config, logger } = this.app;
    if (!config.newsletters.some((n) => n.review.mode !== 'none')) return;
    const now = clock.now();
    // Composing reads every source (feeds over the network): after "nothing new yet", not again for a while.
    const due = new Set(config.newsletters.filter((n) => (this.nothingNewUntil.get(n.id) ?? 0) <= now.getTime()).map((n) => n.id));
    for (const r of await openDueDrafts(this.app, now, due)) {
      if (r.note) this.nothingNewUntil.set(r.newsletter, now.getTime() + NOTHING_NEW_RECHECK_MS);
      if (r.note && !this.noDraftLogged.has(`${r.newsletter}:${r.note}`)) {
        this.noDraftLogged.add(`${r.newsletter}:${r.note}`);
        logger.info(r.note, { newsletter: r.newsletter });
      }
      if (r.issue) for (const p of r.problems) logger.warn(formatProblem(p));
    }
    for (const n of config.newsletters) {
      if (n.review.mode === 'none' || this.stopped) continue;
      for (const i of await store.listIssues(n.id, 5, { unreleased: true })) {
        const late = now.getTime() - new Date(i.slot).getTime();
        if (i.review?.state === 'approved' && late >= 0 && late <= n.catchUpGrace) await this.run(n, new Date(i.slot), 'approved after its slot');
      }
    }
  }

  async stop(): Promise<void> {
    // Abort first: deliveries in flight start their stop at once, whatever the timers do.
    this.controller.abort();
    if (this.retryTimer) clearInterval(this.retryTimer);
    for (const t of this.tasks.splice(0)) await t.stop();
    await Promise.all([...this.running]);
  }
}
