import type { App } from '../app.js';
import { findNewsletter } from '../config/load.js';
import { latestSlotAtOrBefore, nextSlotAfter } from '../compose/slots.js';
import { composeIssue } from './compose-issue.js';

/**
 * `articles`: what the next issue of each newsletter would take and what it leaves out, with the
 * reason. The slot is the one `send` would make at `now`; when that issue exists already, the one
 * after it. Writes nothing.
 */
export async function nextIssueArticles(app: App, now: Date, newsletterId?: string) {
  const out = [];
  for (const n of findNewsletter(app.config, newsletterId)) {
    let slot = latestSlotAtOrBefore(n.schedule, n.timezone, now);
    if (await app.store.findIssue(n.id, slot.toISOString())) slot = nextSlotAfter(n.schedule, n.timezone, now);
    const c = await composeIssue(app.store, n, app.config, slot, now);
    out.push({
      newsletter: n.id,
      slot: slot.toISOString(),
      window: c.draft.window,
      taken: c.draft.articles.map((a) => ({ id: a.id, publishedAt: a.publishedAt, title: a.title, topics: a.topics, translations: Object.keys(a.translations), origin: a.origin })),
      leftOut: c.selection.leftOut,
      invalid: c.problems,
    });
  }
  return out;
}
