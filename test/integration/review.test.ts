import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { App } from '../../src/app.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { approveIssue, editIssue, listIssues, openDueDrafts } from '../../src/service/review.js';
import { joinRaw } from '../../src/transport/transport.js';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { recordingTransport } from '../helpers/recording-transport.js';
import { parsePrometheusText, sample } from '../helpers/prom-text.js';
import { prometheusMetrics } from '../../src/metrics/prometheus.js';

// Mondays 08:00 Europe/Paris: the slot of Monday 30 November 2026 is 07:00 UTC.
const SLOT = '2026-11-30T07:00:00.000Z';
const DAY_BEFORE = '2026-11-29T12:00:00Z';

/** Three articles of the week before the slot, so the draft has its own. */
const WEEK: Record<string, string> = {
  'tram.md': article('tram-returns', 'The tram returns to the old town', '2026-11-24', 'Twenty years after the last line closed, the old town has trams again.'),
  'bees.md': article('city-bees', 'City bees outnumber country bees', '2026-11-25', 'Urban hives now produce more honey per colony than rural ones.'),
  'ferry.md': article('electric-ferry', 'The first electric ferry crosses the strait', '2026-11-26', 'Forty minutes, no diesel, and a quiet deck.'),
};

function article(id: string, title: string, date: string, summary: string): string {
  return `---\nid: ${id}\ntitle: ${title}\ndate: ${date}\nlang: en\ntopics: [technology]\nsummary: ${summary}\n---\n\n${summary}\n`;
}

function withReview(mode: string, extra = ''): (yaml: string) => string {
  return (yaml) => yaml.replace('    catchUpGrace: 6h\n', `    catchUpGrace: 6h\n    review:\n      mode: ${mode}\n      opensBefore: 24h\n      notify: [editor@example.org]\n${extra}`);
}

async function parsed(t: ReturnType<typeof recordingTransport>): Promise<ParsedMail[]> {
  return Promise.all(t.sent.map((m) => simpleParser(joinRaw(m.raw))));
}

describe("editors' review of a draft", () => {
  let project: TestProject;
  let app: App;
  let transport: ReturnType<typeof recordingTransport>;
  const clock = fixedClock(DAY_BEFORE);

  async function open(mode: string, webhooks = false) {
    // Webhooks to an endpoint never called here: the test reads the durable queue.
    const hooks = (y: string) => (webhooks ? `${y}\nwebhooks:\n  - url: http://127.0.0.1:9/hooks\n    events: [issue.created]\n    secretEnv: HOOK_SECRET\n` : y);
    project = makeProject({ config: (y) => hooks(withReview(mode)(y)), articles: WEEK });
    transport = recordingTransport();
    clock.set(DAY_BEFORE);
    app = await openTestApp(project, { clock, transport, env: { HOOK_SECRET: 'hook-secret-0123456789abcdef' } });
    const n = app.config.newsletters[0]!;
    // The first issue (firstIssue: immediate) was the slot before: the draft is the one after it.
    clock.set('2026-11-23T07:00:00Z');
    const first = await sendNewsletter(app, n, { slot: new Date('2026-11-23T07:00:00Z') });
    // Under review mode required, it waits for approval too: approved, it goes.
    if (first.status === 'waiting') await approveIssue(app, 'setup', n.id, first.issue!.id);
    expect((await sendNewsletter(app, n, { slot: new Date('2026-11-23T07:00:00Z') })).counts.sent).toBe(CONSENTING.length);
    transport.sent.length = 0;
    clock.set(DAY_BEFORE);
    return n;
  }

  afterEach(async () => {
    await app?.close();
    project?.cleanup();
  });

  beforeEach(() => {
    clock.set(DAY_BEFORE);
  });

  it('opens a draft ahead of its slot, tells the editors, and queues nobody', async () => {
    const n = await open('required');
    // Too early: more than opensBefore ahead of the slot.
    expect((await openDueDrafts(app, new Date('2026-11-29T06:00:00Z'))).filter((r) => r.issue)).toHaveLength(0);
    const [opened] = await openDueDrafts(app, new Date(DAY_BEFORE));
    expect(opened?.issue?.slot).toBe(SLOT);
    expect(opened?.issue?.review?.state).toBe('draft');
    const issue = opened!.issue!;
    expect(await app.store.counts(issue.id)).toMatchObject({ queued: 0, sent: 0 });
    const metrics = prometheusMetrics(app.store, clock, { processMetrics: false });
    expect(sample(parsePrometheusText(await metrics.text()), 'newsletter_issues_awaiting_approval')).toBe(1);
    const mails = await parsed(transport);
    expect(mails.map((m) => m.subject)).toEqual([`[The Weekly Brief] Draft #${issue.id} is ready for review`]);
    expect(mails[0]!.text).toContain('Monday 30 November 2026, 08:00 (Europe/Paris)');
    expect(mails[0]!.text).toContain(`/issues/${issue.id}`);
    // Opening again changes nothing and mails nobody.
    expect((await openDueDrafts(app, new Date(DAY_BEFORE))).filter((r) => r.issue)).toHaveLength(0);
    expect(transport.sent).toHaveLength(1);
    // Not in the public archive before it goes.
    expect((await app.store.listIssues(n.id, 10)).map((i) => i.id)).not.toContain(issue.id);
    expect(await app.store.issueOfArticle(n.id, issue.articles[0]!.id)).toBeUndefined();
  });

  it('required: nothing goes at the slot until approved; then it goes with the edits, the note and the subject', async () => {
    const n = await open('required');
    const [opened] = await openDueDrafts(app, new Date(DAY_BEFORE));
    const draft = opened!.issue!;
    expect(draft.articles.map((a) => a.id)).toEqual(['electric-ferry', 'city-bees', 'tram-returns']);

    await editIssue(app, draft.id, { kind: 'exclude', article: 'city-bees' }, 'ines');
    await editIssue(app, draft.id, { kind: 'pin', article: 'tram-returns' }, 'ines');
    await editIssue(app, draft.id, { kind: 'note', locale: 'en', text: 'A **busy** week. <script>alert(1)</script> [More](https://news.example.org/more)' }, 'ines');
    await editIssue(app, draft.id, { kind: 'note', locale: 'fr', text: 'Une semaine *chargée*.' }, 'marc');
    await editIssue(app, draft.id, { kind: 'subject', locale: 'fr', text: 'Trams, ferries et abeilles' }, 'marc');
    await expect(editIssue(app, draft.id, { kind: 'exclude', article: 'no-such' }, 'ines')).rejects.toThrow(/no article "no-such"/);
    await expect(editIssue(app, draft.id, { kind: 'note', locale: 'de', text: 'Hallo' }, 'ines')).rejects.toThrow(/not one of the newsletter's locales/);

    // The slot comes: nothing is sent, the editors are reminded once.
    transport.sent.length = 0;
    clock.set('2026-11-30T07:00:05Z');
    const waiting = await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(waiting.status).toBe('waiting');
    expect(waiting.waiting).toMatch(/waiting for approval/);
    expect(await app.store.counts(draft.id)).toMatchObject({ queued: 0, sent: 0 });
    await sendNewsletter(app, n, { slot: new Date(SLOT) });
    const reminders = await parsed(transport);
    expect(reminders.map((m) => m.subject)).toEqual([`[The Weekly Brief] Waiting for approval: issue #${draft.id}`]);
    expect(reminders[0]!.to).toMatchObject({ value: [{ address: 'editor@example.org' }] });

    // Approved an hour late (within catchUpGrace): it goes, as edited.
    clock.set('2026-11-30T08:00:00Z');
    const approved = await approveIssue(app, 'ines', n.id);
    expect(approved.issue.review).toMatchObject({ state: 'approved', approvedBy: 'ines' });
    expect(approved.due).toBe(true);
    await expect(editIssue(app, draft.id, { kind: 'pin', article: 'electric-ferry' }, 'marc')).rejects.toThrow(/approved/);
    expect(sample(parsePrometheusText(await prometheusMetrics(app.store, clock, { processMetrics: false }).text()), 'newsletter_issues_awaiting_approval')).toBe(0);
    transport.sent.length = 0;
    const sent = await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(sent.status).toBe('delivered');
    expect(sent.counts.sent).toBe(CONSENTING.length);
    const mails = await parsed(transport);
    expect(mails.map((m) => (m.to as { value: { address: string }[] }).value[0]!.address).sort()).toEqual([...CONSENTING].sort());
    const en = mails.find((m) => (m.to as { value: { address: string }[] }).value[0]!.address === 'ada@example.com')!;
    const fr = mails.find((m) => (m.to as { value: { address: string }[] }).value[0]!.address === 'camille@example.fr')!;
    expect(fr.subject).toBe('Trams, ferries et abeilles');
    expect(en.subject).not.toBe('Trams, ferries et abeilles');
    const html = String(en.html);
    expect(html).toContain('<strong>busy</strong>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('href="https://news.example.org/more"');
    expect(html).not.toContain('City bees');
    expect(html.indexOf('The tram returns')).toBeLessThan(html.indexOf('The first electric ferry'));
    expect(en.text).toContain('A busy week.');
    expect(String(fr.html)).toContain('<em>chargée</em>');
    // Sent once: a second run sends nothing more.
    transport.sent.length = 0;
    await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(transport.sent).toHaveLength(0);

    // Every change is on record, with who.
    const [listed] = (await listIssues(app, n.id)).filter((i) => i.id === draft.id);
    expect(listed!.state).toBe('sent');
    expect(listed!.edits.map((e) => `${e.editor}: ${e.what}`)).toEqual([
      'ines: excluded "City bees outnumber country bees" (city-bees)',
      'ines: pinned "The tram returns to the old town" (tram-returns) as the lead',
      "ines: set the en editor's note",
      "marc: set the fr editor's note",
      'marc: set the fr subject',
      'ines: approved',
    ]);
    // Now public, in the archive.
    expect((await app.store.listIssues(n.id, 10)).map((i) => i.id)).toContain(draft.id);
  });

  it('optional: the draft goes at its slot as it stands, edits included; issue.created goes out when its readers are queued', async () => {
    const n = await open('optional', true);
    const queued = async () => (await app.store.claimWebhooks(100, '2100-01-01T00:00:00.000Z', '2100-01-01T00:01:00.000Z')).map((w) => [w.type, w.data]);
    expect((await queued()).map(([t]) => t)).toEqual(['issue.created']); // the first issue's
    const [opened] = await openDueDrafts(app, new Date(DAY_BEFORE));
    expect(await queued()).toEqual([]);
    await editIssue(app, opened!.issue!.id, { kind: 'exclude', article: 'electric-ferry' }, 'ines');
    transport.sent.length = 0;
    clock.set('2026-11-30T07:00:05Z');
    const s = await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(s.status).toBe('delivered');
    expect(s.counts.sent).toBe(CONSENTING.length);
    const mails = await parsed(transport);
    expect(String(mails[0]!.html)).not.toContain('electric ferry');
    expect(String(mails[0]!.html)).toContain('The tram returns');
    expect(await queued()).toEqual([['issue.created', { newsletter: 'weekly-brief', issue: opened!.issue!.id, slot: SLOT, articles: 2, recipients: CONSENTING.length }]]);
  });

  it('approved later than catchUpGrace: waits for `send --issue N`', async () => {
    const n = await open('required');
    const [opened] = await openDueDrafts(app, new Date(DAY_BEFORE));
    const id = opened!.issue!.id;
    clock.set('2026-11-30T20:00:00Z');
    await approveIssue(app, 'ines', n.id, id);
    const late = await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(late.status).toBe('waiting');
    expect(late.waiting).toMatch(new RegExp(`send --issue ${id}`));
    expect(await app.store.counts(id)).toMatchObject({ queued: 0, sent: 0 });
    const named = await sendNewsletter(app, n, { issueId: id });
    expect(named.status).toBe('delivered');
    expect(named.counts.sent).toBe(CONSENTING.length);
  });

  it('mode none: no draft, sent at the slot as ever', async () => {
    const n = await open('none');
    expect((await openDueDrafts(app, new Date(DAY_BEFORE))).filter((r) => r.issue)).toHaveLength(0);
    clock.set('2026-11-30T07:00:05Z');
    const s = await sendNewsletter(app, n, { slot: new Date(SLOT) });
    expect(s.status).toBe('delivered');
    expect(s.issue?.articles).toBe(3);
  });
});
