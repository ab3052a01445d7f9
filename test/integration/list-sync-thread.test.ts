import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { syncListFile, type ListApplier } from '../../src/audience/sync.js';
import { listSyncThread as fromSources } from '../../src/audience/list-sync-thread.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { suppressionHash } from '../../src/domain/erasure.js';
import type { NewsletterError } from '../../src/domain/errors.js';
import type { Store } from '../../src/store/store.js';
import { REPO } from '../helpers/project.js';
import { dropSchema, pgSchemaUrl } from '../helpers/postgres.js';
import { messyList } from '../helpers/lists.js';

// The thread runs the built code, as the CLI does: this file takes the host side from dist/
// (`npm test` builds first) and the rest from the sources.
type ThreadModule = typeof import('../../src/audience/list-sync-thread.js');
const built = (): Promise<ThreadModule> => import(pathToFileURL(join(REPO, 'dist', 'audience', 'list-sync-thread.js')).href);

const NOW = '2026-11-29T00:00:00.000Z';

/** The thread for every changed file whatever its size, counting the times it is started. */
async function thread(database: Parameters<ThreadModule['listSyncThread']>[0]) {
  const { apply } = (await built()).listSyncThread(database)!;
  const counted: { calls: number; fromBytes: number; apply: ListApplier } = { calls: 0, fromBytes: 0, apply: (...a) => (counted.calls++, apply(...a)) };
  return counted;
}

describe('list sync in a thread', () => {
  let dir: string;
  const stores: Store[] = [];
  const open = async (file: string) => {
    const s = await openSqliteStore(join(dir, file));
    stores.push(s);
    return s;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-sync-thread-'));
    writeFileSync(join(dir, 'nl.csv'), messyList(600));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a changed list on its own connection: the same report and consent as in this thread, progress reaches the caller, and an unchanged file starts no thread', async () => {
    const here = await open('here.sqlite');
    const there = await open('there.sqlite');
    for (const s of [here, there]) await s.erase(undefined, suppressionHash('reader3@example.com'), NOW);
    const expected = await syncListFile(here, 'nl', dir, NOW, { chunkSize: 50 });

    const elsewhere = await thread({ kind: 'sqlite', file: join(dir, 'there.sqlite') });
    const progress: number[] = [];
    const report = await syncListFile(there, 'nl', dir, NOW, { chunkSize: 50, elsewhere, onProgress: (n) => progress.push(n) });
    expect(elsewhere.calls).toBe(1);
    expect(report).toEqual(expected);
    expect(report.problems.some((p) => /erased/.test(p.message) && p.place.startsWith(join(dir, 'nl.csv:')))).toBe(true);
    expect(report.problems.some((p) => /not-an-address-5/.test(p.message) && p.place === `${join(dir, 'nl.csv')}:7`)).toBe(true);
    expect(await there.countSubscriptions('nl')).toEqual(await here.countSubscriptions('nl'));
    expect((await there.findSubscriberByEmail('reader7@example.com'))?.name).toBe((await here.findSubscriberByEmail('reader7@example.com'))?.name);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(report.rows);

    // Marked as synced by the thread: the next sync only hashes the file.
    expect(await syncListFile(there, 'nl', dir, NOW, { elsewhere })).toMatchObject({ changed: false, rows: report.rows, recorded: 0 });
    expect(elsewhere.calls).toBe(1);
  });

  it("applies a file smaller than fromBytes in the caller's thread, and a big one in its own", async () => {
    const here = await open('here.sqlite');
    const { listSyncThread, THREAD_FROM_BYTES } = await built();
    const service = listSyncThread({ kind: 'sqlite', file: join(dir, 'here.sqlite') })!;
    expect(service.fromBytes).toBe(THREAD_FROM_BYTES);
    const elsewhere = await thread({ kind: 'sqlite', file: join(dir, 'here.sqlite') });
    elsewhere.fromBytes = statSync(join(dir, 'nl.csv')).size + 1;
    const small = await syncListFile(here, 'nl', dir, NOW, { elsewhere });
    expect(elsewhere.calls).toBe(0);
    expect(small.changed).toBe(true);
    writeFileSync(join(dir, 'nl.csv'), messyList(700));
    const big = await syncListFile(here, 'nl', dir, NOW, { elsewhere });
    expect(elsewhere.calls).toBe(1);
    expect(big.changed).toBe(true);
    expect(big.rows).toBeGreaterThan(small.rows);
    expect((await here.getListSync(join(dir, 'nl.csv')))?.rows).toBe(big.rows);
  });

  it('applies a CRM export with rows that are not CSV in the thread as in this thread: the same rows reported at their lines, the same readers applied', async () => {
    writeFileSync(
      join(dir, 'nl.csv'),
      Buffer.concat([
        readFileSync(new URL('../fixtures/lists/name-first-export.csv', import.meta.url)),
        Buffer.from([0x00, 0xff, 0xfe, 0x0a]),
        Buffer.from("after@example.org;After;subscribed\n'=1+1,'-dash@example.org,subscribed,2026-01-01T00:00:00Z,en,crm\n"),
      ]),
    );
    const here = await open('here.sqlite');
    const there = await open('there.sqlite');
    const expected = await syncListFile(here, 'nl', dir, NOW, { chunkSize: 2 });
    const report = await syncListFile(there, 'nl', dir, NOW, { chunkSize: 2, elsewhere: await thread({ kind: 'sqlite', file: join(dir, 'there.sqlite') }) });
    expect(report).toEqual(expected);
    const file = join(dir, 'nl.csv');
    expect(report.problems.map((p) => p.place)).toEqual([`${file}:2`, `${file}:5`, `${file}:9`, `${file}:10`]);
    expect(report.rows).toBe(6);
    expect(await there.countSubscriptions('nl')).toEqual({ consent: 6 });
    expect((await there.findSubscriberByEmail('-dash@example.org'))?.name).toBe('=1+1');
  });

  it("brings a store error back as the same error, its place named once, and the caller's store is untouched", async () => {
    const here = await open('here.sqlite');
    writeFileSync(join(dir, 'not-a-folder'), '');
    const target = join(dir, 'not-a-folder', 'store.sqlite');
    const elsewhere = await thread({ kind: 'sqlite', file: target });
    const err = (await syncListFile(here, 'nl', dir, NOW, { elsewhere }).catch((e: unknown) => e)) as NewsletterError;
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.place).toBe(target);
    expect(err.message).toMatch(new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot open the SQLite store: `));
    expect(err.message.split(target)).toHaveLength(2);
    expect(await here.getListSync(join(dir, 'nl.csv'))).toBeUndefined();
    expect(await here.countSubscriptions('nl')).toEqual({});
  });

  it('rejects with the cause when the file cannot be read in the thread, and nothing is marked as synced', async () => {
    const there = await open('there.sqlite');
    const { applyInThread } = await built();
    const failed = await applyInThread({ database: { kind: 'sqlite', file: join(dir, 'there.sqlite') }, newsletterId: 'nl', file: join(dir, 'gone.csv'), now: NOW }).catch((e: Error) => e);
    expect((failed as Error).message).toMatch(/ENOENT.*gone\.csv/);
    expect((failed as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((failed as Error).stack).toContain('(in the list-sync thread)');
    expect(await there.getListSync(join(dir, 'gone.csv'))).toBeUndefined();
  });

  it('runs in this thread from the TypeScript sources, which a thread cannot load', async () => {
    expect(fromSources({ kind: 'sqlite', file: join(dir, 'x.sqlite') })).toBeUndefined();
    expect((await built()).listSyncThread({ kind: 'postgres', url: 'postgres://127.0.0.1/test' })?.apply).toBeTypeOf('function');
  });

  it('applies a list on PostgreSQL through its own connection, the same consent as SQLite in this thread', async () => {
    const here = await open('here.sqlite');
    const expected = await syncListFile(here, 'nl', dir, NOW, { chunkSize: 100 });
    const { url, schema } = pgSchemaUrl();
    const pgStore = await openPostgresStore(url);
    try {
      const progress: number[] = [];
      const elsewhere = await thread({ kind: 'postgres', url });
      const report = await syncListFile(pgStore, 'nl', dir, NOW, { chunkSize: 100, elsewhere, onProgress: (n) => progress.push(n) });
      expect(report).toEqual(expected);
      expect(progress.at(-1)).toBe(report.rows);
      expect(await pgStore.countSubscriptions('nl')).toEqual(await here.countSubscriptions('nl'));
      expect((await pgStore.getListSync(join(dir, 'nl.csv')))?.rows).toBe(report.rows);
    } finally {
      await pgStore.close();
      await dropSchema(schema);
    }
  });
});
