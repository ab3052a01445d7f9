import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO } from '../helpers/project.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { dropSchema, pgSchemaUrl } from '../helpers/postgres.js';
import type { IssueDraft, Store } from '../../src/store/store.js';

const T0 = '2026-11-23T07:00:00.000Z';

function draft(slot = T0): IssueDraft {
  return {
    newsletterId: 'nl',
    slot,
    window: { start: null, end: slot },
    articles: [{ id: 'a1', title: 'A', publishedAt: '2026-11-20T00:00:00.000Z', topics: [], excerpt: 'x', paragraphs: ['x'], origin: 'a1.md', translations: {} }],
    createdAt: T0,
  };
}

async function subscribe(store: Store, email: string, at = '2026-01-01T00:00:00.000Z'): Promise<number> {
  const id = await store.upsertSubscriber({ email, name: email, locale: 'en', timezone: 'UTC', topics: [], attributes: {} }, at);
  await store.appendConsentEvent({ subscriberId: id, newsletterId: 'nl', kind: 'consent', at, source: 'test' }, at);
  return id;
}

interface Adapter {
  name: string;
  /** Opens a store; every call within one test reaches the same database. */
  setup(): { open: () => Promise<Store>; teardown: () => Promise<void> };
}

const adapters: Adapter[] = [
  {
    name: 'SQLite',
    setup() {
      const dir = mkdtempSync(join(tmpdir(), 'nl-store-'));
      return { open: () => openSqliteStore(join(dir, 'store.sqlite')), teardown: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    setup() {
      const { url, schema } = pgSchemaUrl();
      return { open: () => openPostgresStore(url), teardown: () => dropSchema(schema) };
    },
  },
];

describe.each(adapters)('store contract: $name', (adapter) => {
  let env: ReturnType<Adapter['setup']>;
  const open: Store[] = [];
  const openStore = async () => {
    const s = await env.open();
    open.push(s);
    return s;
  };
  beforeEach(() => {
    env = adapter.setup();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await env.teardown();
  });

  // Concurrent creators in separate processes are tested in cli.test.ts (two `send` at once);
  // within one process better-sqlite3 would block the thread, so here they take turns.
  it('makes one issue per (newsletter, slot) and queues one row per consenting reader, also from a second connection', async () => {
    const a = await openStore();
    const b = await openStore();
    for (const e of ['x@example.com', 'y@example.com', 'z@example.com']) await subscribe(a, e);
    const withdrawn = await subscribe(a, 'gone@example.com');
    await a.appendConsentEvent({ subscriberId: withdrawn, newsletterId: 'nl', kind: 'withdrawn', at: '2026-06-01T00:00:00.000Z', source: 'test' }, T0);

    const r1 = await a.createIssue(draft());
    const r2 = await b.createIssue(draft());
    expect([r1.created, r2.created]).toEqual([true, false]);
    expect(r1.issue.id).toBe(r2.issue.id);
    expect((await a.counts(r1.issue.id)).queued).toBe(3);
    expect(await a.sentArticleIds('nl')).toEqual(new Set(['a1']));
  });

  it('queues a welcome once per reader and newsletter, on the latest released issue, unless the reader has its row or there is no issue', async () => {
    const a = await openStore();
    const b = await openStore();
    const early = await subscribe(a, 'early@example.com');
    const member = await subscribe(a, 'member@example.com');
    expect(await a.queueWelcome(early, 'nl', T0)).toEqual({ outcome: 'no-issue-yet' });
    expect(await a.queueWelcome(early, 'nl', T0)).toEqual({ outcome: 'already-welcomed' });
    const { issue } = await a.createIssue(draft());
    // A draft is not what anyone is welcomed with.
    await a.createIssue({ ...draft('2026-11-30T07:00:00.000Z'), articles: [], review: { state: 'draft', excluded: [], note: {}, subject: {} } });
    expect(await a.queueWelcome(member, 'nl', T0)).toEqual({ outcome: 'had-latest-issue' });
    const late = await subscribe(a, 'late@example.com');
    expect(await b.queueWelcome(late, 'nl', T0)).toEqual({ outcome: 'queued', issueId: issue.id });
    expect(await a.queueWelcome(late, 'nl', T0)).toEqual({ outcome: 'already-welcomed' });
    expect((await a.counts(issue.id)).queued).toBe(3); // early and member (in the issue), and late's welcome
    // forImports: the readers with neither a welcome nor the latest issue, at once; once.
    const imported = await subscribe(a, 'imported@example.com');
    expect(await b.queueImportWelcomes('nl', '2026-11-23T08:00:00.000Z')).toBe(1);
    expect(await a.queueImportWelcomes('nl', '2026-11-23T08:30:00.000Z')).toBe(0);
    expect(await a.queueWelcome(imported, 'nl', T0)).toEqual({ outcome: 'already-welcomed' });
    expect((await a.counts(issue.id)).queued).toBe(4);
    const claimed = await a.claim(issue.id, 'nl', 10, T0, '2026-11-23T07:01:00.000Z');
    expect(claimed.map((c) => [c.subscriber.email, c.welcome ?? false])).toEqual([
      ['early@example.com', false],
      ['member@example.com', false],
      ['late@example.com', true],
      ['imported@example.com', true],
    ]);
  });

  it('keeps a draft under review without readers, edits it with a log, approves it once, and queues its readers once on release', async () => {
    const a = await openStore();
    const b = await openStore();
    for (const e of ['x@example.com', 'y@example.com']) await subscribe(a, e);
    const a2 = { ...draft().articles[0]!, id: 'a2', title: 'B' };
    const { issue } = await a.createIssue({ ...draft(), articles: [...draft().articles, a2], review: { state: 'draft', excluded: [], note: {}, subject: {} } });
    expect(issue.review).toEqual({ state: 'draft', excluded: [], note: {}, subject: {} });
    expect((await a.counts(issue.id)).queued).toBe(0);
    // Not public before it goes; listed for editors.
    expect(await a.listIssues('nl', 10)).toEqual([]);
    expect((await a.listIssues('nl', 10, { unreleased: true })).map((i) => i.id)).toEqual([issue.id]);
    expect(await a.issueOfArticle('nl', 'a1')).toBeUndefined();

    const review = { state: 'draft' as const, excluded: [a2], note: { fr: 'Bonjour' }, subject: { en: 'Hi' } };
    expect(await b.updateDraft(issue.id, [draft().articles[0]!], review, { at: T0, editor: 'ines', what: 'excluded "B" (a2)' })).toBe(true);
    const edited = (await a.getIssue(issue.id))!;
    expect(edited.articles.map((x) => x.id)).toEqual(['a1']);
    expect(edited.review).toEqual(review);
    // An excluded article is free for a later issue; the draft's are taken.
    expect(await a.sentArticleIds('nl')).toEqual(new Set(['a1']));

    expect(await b.draftCount()).toBe(1);
    expect(await a.noteReviewMail(issue.id, 'notifiedAt', T0)).toBe(true);
    expect(await b.noteReviewMail(issue.id, 'notifiedAt', T0)).toBe(false);
    expect(await a.approveIssue(issue.id, 'marc', T0)).toBe(true);
    expect(await b.approveIssue(issue.id, 'marc', T0)).toBe(false);
    expect(await b.updateDraft(issue.id, [], review, { at: T0, editor: 'ines', what: 'late' })).toBe(false);
    expect(await b.draftCount()).toBe(0);
    expect((await a.getIssue(issue.id))!.review).toMatchObject({ state: 'approved', approvedBy: 'marc', approvedAt: T0, notifiedAt: T0, note: { fr: 'Bonjour' } });
    expect((await a.issueEdits(issue.id)).map((e) => `${e.editor}: ${e.what}`)).toEqual(['ines: excluded "B" (a2)', 'marc: approved']);

    expect(await a.releaseIssue(issue.id, T0)).toBe(true);
    expect(await b.releaseIssue(issue.id, T0)).toBe(false);
    expect((await a.counts(issue.id)).queued).toBe(2);
    expect((await a.getIssue(issue.id))!.review?.state).toBe('released');
    expect((await a.listIssues('nl', 10)).map((i) => i.id)).toEqual([issue.id]);
  });

  it('claims each row once across connections, records outcomes only for rows still held (a 250 always), and expires leases to unknown', async () => {
    const a = await openStore();
    const b = await openStore();
    for (let i = 0; i < 10; i++) await subscribe(a, `r${i}@example.com`);
    const { issue } = await a.createIssue(draft());
    const lease = '2026-11-23T07:01:00.000Z';
    const c1 = await a.claim(issue.id, 'nl', 4, T0, lease);
    const c2 = await b.claim(issue.id, 'nl', 4, T0, lease);
    const c3 = await a.claim(issue.id, 'nl', 4, T0, lease);
    const ids = [...c1, ...c2, ...c3].map((c) => c.outboxId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(c1[0]!.subscriber.email).toMatch(/@example\.com$/);
    expect((await a.counts(issue.id)).sending).toBe(10);

    await a.record(
      c1.map((c) => ({ outboxId: c.outboxId, state: 'sent', messageId: `<${c.outboxId}@t>`, response: '250 ok' })),
      T0,
    );
    // The process holding c2 dies; after the lease, its rows are in doubt.
    expect(await b.expireLeases(issue.id, '2026-11-23T07:00:30.000Z')).toBe(0);
    expect(await b.expireLeases(issue.id, '2026-11-23T07:02:00.000Z')).toBe(6);
    // A late failure for a row already marked unknown does not overwrite it; a late 250 does.
    await a.record([{ outboxId: c2[1]!.outboxId, state: 'deferred', messageId: '<late@t>', error: '451', nextAttemptAt: T0 }], T0);
    await a.record([{ outboxId: c2[0]!.outboxId, state: 'sent', messageId: '<late@t>', response: '250' }], T0);
    const counts = await a.counts(issue.id);
    expect(counts).toMatchObject({ sent: 5, unknown: 5, sending: 0 });
    expect(await a.claim(issue.id, 'nl', 10, '2026-11-23T08:00:00.000Z', lease)).toEqual([]);
  });

  it('records a window of mixed outcomes at once, each with its own columns', async () => {
    const s = await openStore();
    for (let i = 0; i < 7; i++) await subscribe(s, `m${i}@example.com`);
    const { issue } = await s.createIssue(draft());
    const lease = '2026-11-23T07:01:00.000Z';
    const c = await s.claim(issue.id, 'nl', 7, T0, lease, 'host:1');
    expect(c).toHaveLength(7);
    const at = '2026-11-23T07:00:05.000Z';
    const next = '2026-11-23T07:15:00.000Z';
    const id = (i: number) => c[i]!.outboxId;
    // m6 is taken over by another process (its lease ran out): its late failure must not land.
    expect(await s.expireLeases(issue.id, '2026-11-23T07:02:00.000Z')).toBe(7);
    const again = await s.claim(issue.id, 'nl', 7, T0, lease);
    expect(again).toEqual([]);
    await s.requeue(issue.id, ['unknown'], T0);
    const held = await s.claim(issue.id, 'nl', 6, T0, lease, 'host:1');
    expect(held.map((h) => h.outboxId)).toEqual(c.slice(0, 6).map((x) => x.outboxId));
    await s.record(
      [
        { outboxId: id(0), state: 'sent', messageId: '<0@t>', response: "250 2.0.0 queued as 'x'" },
        { outboxId: id(1), state: 'queued', messageId: '<1@t>' },
        { outboxId: id(2), state: 'deferred', messageId: '<2@t>', error: '451 try later', nextAttemptAt: next },
        { outboxId: id(3), state: 'failed', messageId: '<3@t>', error: '550 no such user' },
        { outboxId: id(4), state: 'unknown', messageId: '<4@t>', error: 'connection lost after DATA' },
        { outboxId: id(5), state: 'skipped', messageId: '<5@t>', error: 'no matching topics' },
        { outboxId: id(6), state: 'failed', messageId: '<6@t>', error: '550 late' },
      ],
      at,
    );
    const rows = new Map((await s.outboxRows(issue.id)).map((r) => [r.outboxId, r]));
    const common = { lastResponse: null, updatedAt: at };
    expect(rows.get(id(0))).toMatchObject({ state: 'sent', messageId: '<0@t>', lastResponse: "250 2.0.0 queued as 'x'", lastError: null, nextAttemptAt: null, sentAt: at, updatedAt: at });
    expect(rows.get(id(1))).toMatchObject({ ...common, state: 'queued', messageId: '<1@t>', lastError: null, nextAttemptAt: null, sentAt: null });
    expect(rows.get(id(2))).toMatchObject({ ...common, state: 'deferred', messageId: '<2@t>', lastError: '451 try later', nextAttemptAt: next, sentAt: null });
    expect(rows.get(id(3))).toMatchObject({ ...common, state: 'failed', messageId: '<3@t>', lastError: '550 no such user', nextAttemptAt: null, sentAt: null });
    expect(rows.get(id(4))).toMatchObject({ ...common, state: 'unknown', lastError: 'connection lost after DATA', sentAt: null });
    expect(rows.get(id(5))).toMatchObject({ ...common, state: 'skipped', lastError: 'no matching topics', sentAt: null });
    // Not held by this process (queued again, never re-claimed): unchanged.
    expect(rows.get(id(6))).toMatchObject({ state: 'queued', messageId: null, sentAt: null, updatedAt: T0 });
    expect(await s.counts(issue.id)).toMatchObject({ sent: 1, queued: 2, deferred: 1, failed: 1, unknown: 1, skipped: 1, sending: 0 });
    // A queued outcome with its reason keeps the reason; recording nothing changes nothing.
    const [r1] = await s.claim(issue.id, 'nl', 1, T0, lease);
    await s.record([{ outboxId: r1!.outboxId, state: 'queued', messageId: '<1b@t>', error: 'relay refused our login' }], at);
    expect((await s.outboxRows(issue.id)).find((r) => r.outboxId === r1!.outboxId)).toMatchObject({ state: 'queued', lastError: 'relay refused our login' });
    await s.record([], at);
  });

  it('records the first of two outcomes for one row, and a retry sent after a deferral clears the retry time and the error', async () => {
    const s = await openStore();
    await subscribe(s, 'd1@example.com');
    await subscribe(s, 'd2@example.com');
    const { issue } = await s.createIssue(draft());
    const lease = '2026-11-23T07:01:00.000Z';
    const [a, b] = await s.claim(issue.id, 'nl', 2, T0, lease);
    const next = '2026-11-23T07:05:00.000Z';
    await s.record(
      [
        { outboxId: a!.outboxId, state: 'deferred', messageId: '<a1@t>', error: '451 greylisted', nextAttemptAt: next },
        { outboxId: b!.outboxId, state: 'sent', messageId: '<b1@t>', response: '250 first' },
        { outboxId: b!.outboxId, state: 'failed', messageId: '<b2@t>', error: '550 second' },
      ],
      T0,
    );
    const rows = async () => new Map((await s.outboxRows(issue.id)).map((r) => [r.outboxId, r]));
    expect((await rows()).get(b!.outboxId)).toMatchObject({ state: 'sent', messageId: '<b1@t>', lastResponse: '250 first', lastError: null });
    expect((await rows()).get(a!.outboxId)).toMatchObject({ state: 'deferred', lastError: '451 greylisted', nextAttemptAt: next });
    expect(await s.claim(issue.id, 'nl', 2, '2026-11-23T07:04:00.000Z', lease)).toEqual([]);
    const [again] = await s.claim(issue.id, 'nl', 2, next, '2026-11-23T07:06:00.000Z');
    expect(again).toMatchObject({ outboxId: a!.outboxId, attempts: 2 });
    await s.record([{ outboxId: a!.outboxId, state: 'sent', messageId: '<a2@t>', response: '250 at last' }], next);
    expect((await rows()).get(a!.outboxId)).toMatchObject({ state: 'sent', messageId: '<a2@t>', lastResponse: '250 at last', lastError: null, nextAttemptAt: null, sentAt: next });
  });

  it('renews only the leases still held, and a 250 wins over whatever another process did to the row meanwhile, except an earlier 250', async () => {
    const a = await openStore();
    const b = await openStore();
    for (let i = 0; i < 6; i++) await subscribe(a, `w${i}@example.com`);
    const { issue } = await a.createIssue(draft());
    const lease = '2026-11-23T07:01:00.000Z';
    const c = await a.claim(issue.id, 'nl', 6, T0, lease, 'host:1');
    const id = (i: number) => c[i]!.outboxId;
    const lease2 = '2026-11-23T07:10:00.000Z';
    // Another worker's id renews nothing; ours renews every row still `sending`.
    expect(
      await a.renewLeases(
        c.map((x) => x.outboxId),
        lease2,
        'host:2',
      ),
    ).toBe(0);
    await a.record([{ outboxId: id(5), state: 'sent', messageId: '<5@t>', response: '250 first' }], T0);
    expect(
      await a.renewLeases(
        c.map((x) => x.outboxId),
        lease2,
        'host:1',
      ),
    ).toBe(5);
    expect((await b.outboxRows(issue.id)).filter((r) => r.state === 'sending').map((r) => r.leaseUntil)).toEqual(Array(5).fill(lease2));
    expect((await b.outboxRows(issue.id)).find((r) => r.outboxId === id(5))!.leaseUntil).toBeNull();
    // Renewed: not expired by a look at a time past the first lease, only past the renewed one.
    expect(await b.expireLeases(issue.id, '2026-11-23T07:05:00.000Z')).toBe(0);
    expect(await b.expireLeases(issue.id, '2026-11-23T07:11:00.000Z')).toBe(5);
    // Process b takes the rows over: w0 stays unknown, w1 is queued again, w2 claimed and
    // deferred, w3 claimed and failed, w4 claimed and skipped (consent withdrawn meanwhile).
    await b.requeue(issue.id, ['unknown'], '2026-11-23T07:11:00.000Z');
    const later = '2026-11-23T07:12:00.000Z';
    await b.appendConsentEvent({ subscriberId: c[4]!.subscriber.id, newsletterId: 'nl', kind: 'withdrawn', at: later, source: 'test' }, later);
    const taken = await b.claim(issue.id, 'nl', 5, later, '2026-11-23T07:13:00.000Z', 'host:2');
    expect(taken.map((t) => t.outboxId)).toEqual([id(0), id(1), id(2), id(3)]);
    await b.record(
      [
        { outboxId: id(0), state: 'unknown', messageId: '<0@t>', error: 'in doubt' },
        { outboxId: id(1), state: 'queued', messageId: '<1@t>' },
        { outboxId: id(2), state: 'deferred', messageId: '<2@t>', error: '451', nextAttemptAt: '2026-11-23T08:00:00.000Z' },
        { outboxId: id(3), state: 'failed', messageId: '<3@t>', error: '550' },
      ],
      later,
    );
    // Process a's late replies: every 250 lands, so `retry --unknown` mails nobody twice.
    const late = '2026-11-23T07:14:00.000Z';
    await a.record(
      c.map((x) => ({ outboxId: x.outboxId, state: 'sent' as const, messageId: `<${x.outboxId}@t>`, response: '250 late' })),
      late,
    );
    const rows = new Map((await b.outboxRows(issue.id)).map((r) => [r.outboxId, r]));
    for (let i = 0; i < 5; i++) expect(rows.get(id(i)), `w${i}`).toMatchObject({ state: 'sent', lastResponse: '250 late', lastError: null, nextAttemptAt: null, leaseUntil: null, sentAt: late });
    expect(rows.get(id(5))).toMatchObject({ state: 'sent', lastResponse: '250 first', sentAt: T0 });
    expect(await b.requeue(issue.id, ['unknown', 'failed', 'deferred'], late)).toBe(0);
    expect(await b.claim(issue.id, 'nl', 6, '2026-11-23T09:00:00.000Z', '2026-11-23T09:01:00.000Z')).toEqual([]);
  });

  it('finds one outbox row by its id, with its issue and reader; none for an id that is not there', async () => {
    const s = await openStore();
    await subscribe(s, 'one@example.com');
    const { issue } = await s.createIssue(draft());
    const [c] = await s.claim(issue.id, 'nl', 1, T0, '2026-11-23T07:01:00.000Z', 'host:9');
    await s.record([{ outboxId: c!.outboxId, state: 'sent', messageId: '<one@t>', response: '250 ok' }], T0);
    expect(await s.outboxRow(c!.outboxId)).toMatchObject({
      outboxId: c!.outboxId,
      issueId: issue.id,
      subscriberId: c!.subscriber.id,
      email: 'one@example.com',
      state: 'sent',
      messageId: '<one@t>',
      lastResponse: '250 ok',
      claimedBy: 'host:9',
    });
    expect(await s.outboxRow(c!.outboxId + 1000)).toBeUndefined();
  });

  it('records a later report once per dedupe key, turns a sent row bounced then complained (never back), and a late 250 does not undo it', async () => {
    const s = await openStore();
    const ann = await subscribe(s, 'ann@Example.com');
    await subscribe(s, 'bob@other.org');
    const { issue } = await s.createIssue(draft());
    const [a, b] = await s.claim(issue.id, 'nl', 2, T0, '2026-11-23T07:01:00.000Z');
    await s.record([{ outboxId: a!.outboxId, state: 'sent', messageId: '<a@t>', response: '250 ok' }], T0);
    const event = {
      dedupeKey: 'k1',
      kind: 'hard-bounce',
      channel: 'import',
      outboxId: a!.outboxId,
      issueId: issue.id,
      subscriberId: ann,
      newsletterId: 'nl',
      matchedBy: 'verp',
      verified: true,
      recipient: 'ann@example.com',
      status: '5.1.1',
      diagnostic: 'user unknown',
      raw: 'raw text',
      at: T0,
    };
    const id = await s.recordDeliveryEvent(event, T0);
    expect(id).toBeGreaterThan(0);
    expect(await s.recordDeliveryEvent(event, T0)).toBeUndefined();
    await s.setDeliveryEventEffect(id!, 'bounced');
    expect(await s.markReported(a!.outboxId, 'bounced', '5.1.1 user unknown', T0)).toBe(true);
    expect(await s.markReported(a!.outboxId, 'bounced', 'again', T0)).toBe(false);
    expect(await s.markReported(a!.outboxId, 'complained', 'abuse', T0)).toBe(true);
    expect(await s.markReported(a!.outboxId, 'bounced', 'after the complaint', T0)).toBe(false);
    // b is still sending: a bounce may overtake its 250, which then changes nothing.
    expect(await s.markReported(b!.outboxId, 'bounced', '5.1.1', T0)).toBe(true);
    await s.record([{ outboxId: b!.outboxId, state: 'sent', messageId: '<b@t>', response: '250 late' }], T0);
    expect((await s.outboxRow(b!.outboxId))?.state).toBe('bounced');
    expect((await s.outboxRow(a!.outboxId))?.state).toBe('complained');
    expect(await s.counts(issue.id)).toMatchObject({ complained: 1, bounced: 1, sent: 0 });
    expect(await s.countDeliveryEvents(ann, 'hard-bounce', '2026-01-01T00:00:00.000Z')).toBe(1);
    expect(await s.countDeliveryEvents(ann, 'hard-bounce', '2026-12-01T00:00:00.000Z')).toBe(0);
    // Counted per message: a relay reports a delay at each attempt.
    for (const key of ['s1', 's2']) await s.recordDeliveryEvent({ ...event, dedupeKey: key, kind: 'soft-bounce' }, T0);
    expect(await s.countDeliveryEvents(ann, 'soft-bounce', '2026-01-01T00:00:00.000Z')).toBe(1);
    await s.recordDeliveryEvent({ ...event, dedupeKey: 's3', kind: 'soft-bounce', outboxId: b!.outboxId }, T0);
    expect(await s.countDeliveryEvents(ann, 'soft-bounce', '2026-01-01T00:00:00.000Z')).toBe(2);
    await s.recordDeliveryEvent({ dedupeKey: 'k2', kind: 'unknown', channel: 'smtp', verified: false, raw: 'junk', at: T0 }, T0);
    expect((await s.deliveryEvents({ subscriberId: ann })).map((e) => [e.kind, e.effect, e.verified])).toEqual([
      ['soft-bounce', null, true],
      ['soft-bounce', null, true],
      ['soft-bounce', null, true],
      ['hard-bounce', 'bounced', true],
    ]);
    expect((await s.deliveryEvents({ unmatched: true })).map((e) => e.raw)).toEqual(['junk']);
    expect((await s.outboxRowFor(issue.id, ann))?.outboxId).toBe(a!.outboxId);
    expect((await s.domainCounts(issue.id)).sort((x, y) => x.domain.localeCompare(y.domain))).toEqual([
      { domain: 'example.com', state: 'complained', count: 1 },
      { domain: 'other.org', state: 'bounced', count: 1 },
    ]);
    // Erasure keeps the event's counts, not the person's words.
    await s.erase(ann, 'hash', T0);
    const erased = await s.deliveryEvents({ subscriberId: ann });
    expect(erased.at(-1)).toMatchObject({ kind: 'hard-bounce', recipient: null, diagnostic: null, raw: '[erased on request]' });
  });

  it('records 1,100 outcomes in one call (two statements in one transaction)', async () => {
    const s = await openStore();
    const at = '2026-01-01T00:00:00.000Z';
    const ids = await s.upsertSubscribers(
      Array.from({ length: 1100 }, (_, i) => ({ email: `bulk${i}@example.com`, name: '', locale: 'en', timezone: 'UTC', topics: [], attributes: {} })),
      at,
    );
    await s.appendConsentEvents(
      [...ids.values()].map((subscriberId) => ({ subscriberId, newsletterId: 'nl', kind: 'consent' as const, at, source: 'test' })),
      at,
    );
    const { issue } = await s.createIssue(draft());
    const claimed = await s.claim(issue.id, 'nl', 1100, T0, '2026-11-23T07:01:00.000Z');
    expect(claimed).toHaveLength(1100);
    await s.record(
      claimed.map((c) => ({ outboxId: c.outboxId, state: 'sent', messageId: `<${c.outboxId}@t>`, response: '250 ok' })),
      T0,
    );
    expect(await s.counts(issue.id)).toMatchObject({ sent: 1100, sending: 0 });
    const last = claimed[1099]!.outboxId;
    expect((await s.outboxRows(issue.id)).find((r) => r.outboxId === last)).toMatchObject({ messageId: `<${last}@t>`, lastResponse: '250 ok', sentAt: T0 });
  });

  it('a claim skips readers whose consent was withdrawn after the issue was made', async () => {
    const s = await openStore();
    const x = await subscribe(s, 'x@example.com');
    await subscribe(s, 'y@example.com');
    const { issue } = await s.createIssue(draft());
    await s.appendConsentEvent({ subscriberId: x, newsletterId: 'nl', kind: 'withdrawn', at: '2026-11-23T07:00:01.000Z', source: 'one-click' }, T0);
    const claimed = await s.claim(issue.id, 'nl', 10, T0, T0);
    expect(claimed.map((c) => c.subscriber.email)).toEqual(['y@example.com']);
    expect(await s.counts(issue.id)).toMatchObject({ skipped: 1, sending: 1 });
    const skippedRow = (await s.outboxRows(issue.id)).find((r) => r.email === 'x@example.com')!;
    expect(skippedRow).toMatchObject({ state: 'skipped', attempts: 0 });
    // A claim whose rows are all withdrawn goes on to the next rows instead of returning empty.
    const z = await subscribe(s, 'z@example.com');
    const next = draft('2026-11-30T07:00:00.000Z');
    next.articles = [{ ...next.articles[0]!, id: 'a2' }];
    const second = await s.createIssue(next);
    const queuedFirst = (await s.outboxRows(second.issue.id))[0]!;
    expect(queuedFirst.email).toBe('y@example.com');
    const y = (await s.findSubscriberByEmail('y@example.com'))!.id;
    await s.appendConsentEvent({ subscriberId: y, newsletterId: 'nl', kind: 'withdrawn', at: '2026-11-30T07:00:01.000Z', source: 'page' }, T0);
    expect((await s.claim(second.issue.id, 'nl', 1, T0, T0)).map((c) => c.subscriber.id)).toEqual([z]);
  });

  it('keeps the consent log append-only: an older consent never overrides a later withdrawal', async () => {
    const s = await openStore();
    const id = await subscribe(s, 'x@example.com', '2026-01-01T00:00:00.000Z');
    await s.appendConsentEvent({ subscriberId: id, newsletterId: 'nl', kind: 'withdrawn', at: '2026-05-01T00:00:00.000Z', source: 'page' }, T0);
    await s.appendConsentEvent({ subscriberId: id, newsletterId: 'nl', kind: 'consent', at: '2026-03-01T00:00:00.000Z', source: 'old-import' }, T0);
    expect((await s.getSubscription(id, 'nl'))?.state).toBe('withdrawn');
    expect(await s.appendConsentEvent({ subscriberId: id, newsletterId: 'nl', kind: 'consent', at: '2026-03-01T00:00:00.000Z', source: 'old-import' }, T0)).toBe('duplicate');
    await s.appendConsentEvent({ subscriberId: id, newsletterId: 'nl', kind: 'consent', at: '2026-07-01T00:00:00.000Z', source: 'form' }, T0);
    expect((await s.getSubscription(id, 'nl'))?.state).toBe('consent');
  });

  it('survives reopening: data persists and migrations are not rerun', async () => {
    const s = await openStore();
    await subscribe(s, 'x@example.com');
    await s.close();
    open.pop();
    const again = await openStore();
    expect((await again.findSubscriberByEmail('x@example.com'))?.email).toBe('x@example.com');
  });

  it('keeps what the last sync of a list file found, replaced by the next', async () => {
    const s = await openStore();
    expect(await s.getListSync('/lists/nl.csv')).toBeUndefined();
    const problems = [{ place: '/lists/nl.csv:3', message: 'bad "row", ünïcode' }];
    await s.setListSync('/lists/nl.csv', { fingerprint: 'a'.repeat(64), rows: 1_000_000, problems }, T0);
    expect(await s.getListSync('/lists/nl.csv')).toEqual({ fingerprint: 'a'.repeat(64), rows: 1_000_000, problems });
    await s.setListSync('/lists/nl.csv', { fingerprint: 'b'.repeat(64), rows: 2, problems: [] }, T0);
    expect(await s.getListSync('/lists/nl.csv')).toEqual({ fingerprint: 'b'.repeat(64), rows: 2, problems: [] });
    expect(await s.getListSync('/lists/other.csv')).toBeUndefined();
  });

  it('queues webhook events once per (event, endpoint), claims each once across connections, retries when due, and an erasure clears the address from them', async () => {
    const a = await openStore();
    const b = await openStore();
    const ada = await subscribe(a, 'ada@example.com');
    const ev = (eventId: string, endpoint: string) => ({ eventId, type: 'subscriber.unsubscribed' as const, endpoint, data: '{"subscriber":1}', subscriberId: ada, email: 'ada@example.com', at: T0 });
    await a.transaction(async (tx) => tx.enqueueEvents([ev('msg_1', 'http://h/1'), ev('msg_1', 'http://h/2'), ev('msg_2', 'http://h/1')], T0));
    await b.enqueueEvents([ev('msg_1', 'http://h/1')], T0); // the same delivery again: one row
    expect(await a.webhookCounts()).toEqual({ pending: 3, delivered: 0, failed: 0 });

    const lease = '2026-11-23T07:01:00.000Z';
    const first = await a.claimWebhooks(2, T0, lease);
    const second = await b.claimWebhooks(10, T0, lease);
    expect(first.map((d) => [d.eventId, d.endpoint, d.attempts])).toEqual([
      ['msg_1', 'http://h/1', 1],
      ['msg_1', 'http://h/2', 1],
    ]);
    expect(second.map((d) => d.eventId)).toEqual(['msg_2']);
    expect(first[0]).toMatchObject({ data: { subscriber: 1 }, email: 'ada@example.com', subscriberId: ada, type: 'subscriber.unsubscribed' });
    expect(await a.claimWebhooks(10, T0, lease)).toEqual([]); // all leased

    await a.recordWebhook(first[0]!.id, { state: 'delivered' }, T0);
    await a.recordWebhook(first[1]!.id, { state: 'pending', nextAttemptAt: '2026-11-23T07:00:05.000Z', error: 'HTTP 500' }, T0);
    await a.recordWebhook(second[0]!.id, { state: 'failed', error: 'gave up' }, T0);
    expect(await a.webhookCounts()).toEqual({ pending: 1, delivered: 1, failed: 1 });
    expect(await b.claimWebhooks(10, '2026-11-23T07:00:04.000Z', lease)).toEqual([]); // not due yet
    const retried = await b.claimWebhooks(10, '2026-11-23T07:00:05.000Z', lease);
    expect(retried.map((d) => [d.eventId, d.endpoint, d.attempts])).toEqual([['msg_1', 'http://h/2', 2]]);
    // A claim whose process died expires with its lease and is claimed again.
    expect((await a.claimWebhooks(10, '2026-11-23T07:01:00.001Z', '2026-11-23T07:02:00.000Z')).map((d) => d.attempts)).toEqual([3]);

    await a.erase(ada, 'hash-of-ada', T0);
    expect((await b.claimWebhooks(10, '2026-11-23T07:03:00.000Z', '2026-11-23T07:04:00.000Z'))[0]).toMatchObject({ email: null, subscriberId: ada });
  });

  it('works out delivery-time percentiles by rank in the database (never every row in the process)', async () => {
    const s = await openStore();
    for (let i = 1; i <= 10; i++) await subscribe(s, `r${i}@example.com`, '2026-11-01T10:00:00.000Z');
    const { issue } = await s.createIssue(draft());
    expect(await s.deliveryTimePercentiles(issue.id, [50])).toEqual({ count: 0, percentiles: [null], maxMs: null });
    const claimed = await s.claim(issue.id, 'nl', 10, '2026-11-23T08:00:00.000Z', '2026-11-23T08:01:00.000Z');
    expect(claimed).toHaveLength(10);
    // Sent 10 s, 9 s, … 1 s after queueing (T0), in that order: the rank, not the order, decides.
    for (const [i, d] of claimed.entries()) {
      await s.record([{ outboxId: d.outboxId, state: 'sent', messageId: `<${i}@x>`, response: '250 ok' }], new Date(Date.parse(T0) + (10 - i) * 1000).toISOString());
    }
    expect(await s.deliveryTimePercentiles(issue.id, [50, 90, 99, 100])).toEqual({ count: 10, percentiles: [5000, 9000, 10_000, 10_000], maxMs: 10_000 });
  });

  it('notes an issue finished once, and reads the aggregates the metrics and the dashboard show', async () => {
    const s = await openStore();
    const ids = [];
    for (const e of ['x@gmail.com', 'y@gmail.com', 'z@outlook.com']) ids.push(await subscribe(s, e, '2026-11-01T10:00:00.000Z'));
    const { issue } = await s.createIssue(draft());
    await s.appendConsentEvent({ subscriberId: ids[2]!, newsletterId: 'nl', kind: 'withdrawn', at: '2026-11-02T10:00:00.000Z', source: 'one-click' }, T0);
    expect(await s.oldestQueuedAt()).toBe(T0);
    const claimed = await s.claim(issue.id, 'nl', 10, '2026-11-23T08:00:00.000Z', '2026-11-23T08:01:00.000Z');
    expect(claimed).toHaveLength(2); // z withdrew before the claim
    await s.record(
      [
        { outboxId: claimed[0]!.outboxId, state: 'sent', messageId: '<1@x>', response: '250 ok' },
        { outboxId: claimed[1]!.outboxId, state: 'failed', messageId: '<2@x>', error: '550 no' },
      ],
      '2026-11-23T09:30:00.000Z',
    );
    expect(await s.oldestQueuedAt()).toBeUndefined();
    const totals = await s.outboxTotals();
    expect([totals.sent, totals.failed, totals.skipped, totals.queued]).toEqual([1, 1, 1, 0]);
    expect(await s.deliveryTimeline(issue.id)).toEqual([
      { hour: '2026-11-23T08', state: 'skipped', count: 1 },
      { hour: '2026-11-23T09', state: 'failed', count: 1 },
      { hour: '2026-11-23T09', state: 'sent', count: 1 },
    ]);
    expect(await s.deliveryTimePercentiles(issue.id, [50, 99])).toEqual({ count: 1, percentiles: [2.5 * 3600_000, 2.5 * 3600_000], maxMs: 2.5 * 3600_000 });
    const growth = await s.listGrowth('nl');
    expect(growth).toEqual([
      { day: '2026-11-01', kind: 'consent', source: 'test', count: 3 },
      { day: '2026-11-02', kind: 'withdrawn', source: 'one-click', count: 1 },
    ]);
    expect(await s.markIssueFinished(issue.id, T0)).toBe(true);
    expect(await s.markIssueFinished(issue.id, T0)).toBe(false);
  });
});

describe('SQLite store across processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-store-race-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('three processes opening a new store file at the same moment all migrate it without error', async () => {
    const run = promisify(execFile);
    // The race is timing-dependent (about one round in three failed before the fix): several rounds.
    for (let round = 0; round < 6; round++) {
      const f = join(dir, `race-${round}.sqlite`);
      const results = await Promise.all([0, 1, 2].map(() => run(process.execPath, [join(REPO, 'test/fixtures/open-store.mjs'), f])));
      expect(results.map((r) => r.stdout.trim())).toEqual(['ok', 'ok', 'ok']);
    }
  });
});

describe('PostgreSQL store under concurrency', () => {
  it('concurrent creators make one issue, concurrent claimers never share a row (SKIP LOCKED), concurrent migrations are safe', async () => {
    const { url, schema } = pgSchemaUrl();
    const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(url)));
    try {
      const [a, b, c] = stores as [Store, Store, Store];
      for (let i = 0; i < 300; i++) await subscribe(a, `r${i}@example.com`);
      const results = await Promise.all([a, b, c].map((s) => s.createIssue(draft())));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.issue.id)).size).toBe(1);
      const issueId = results[0]!.issue.id;
      const claims = await Promise.all([a, b, c, a, b, c].map((s) => s.claim(issueId, 'nl', 60, T0, '2026-11-23T07:01:00.000Z')));
      const ids = claims.flat().map((x) => x.outboxId);
      expect(ids).toHaveLength(300);
      expect(new Set(ids).size).toBe(300);
    } finally {
      for (const s of stores) await s.close();
      await dropSchema(schema);
    }
  });
});
