import { closeSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { Store } from './store.js';

/**
 * The database as kysely's SQLite driver sees it, keeping prepared statements by their SQL.
 * The driver prepares every query afresh; a list sync's 500-row upserts compile to large
 * programs, and each stayed in native memory until V8 got round to collecting its Statement.
 * A statement still being iterated (`busy`) is not handed out again: a fresh one is prepared.
 */
export function withStatementCache(raw: BetterSqlite3.Database, size = 64, file = raw.name): { prepare(sql: string): StatementLike; close(): void } {
  const cache = new Map<string, { stmt: BetterSqlite3.Statement; said: StatementLike }>();
  return {
    prepare(sql) {
      // SQLite rolls a transaction back by itself on some errors (a full disk among them): the
      // ROLLBACK that follows must not replace that error with "no transaction is active".
      if (!raw.inTransaction && /^\s*rollback\s*$/i.test(sql)) return NOTHING_TO_ROLL_BACK;
      let entry = cache.get(sql);
      if (entry) cache.delete(sql); // re-inserted below: the map's order is the least recently used first
      if (!entry || entry.stmt.busy) {
        const stmt = raw.prepare(sql);
        entry = { stmt, said: diskFullSaid(stmt, file) };
      }
      cache.set(sql, entry);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return entry.said;
    },
    close() {
      cache.clear();
      raw.close();
    },
  };
}

/** What kysely's SQLite driver uses of a statement. */
type StatementLike = Pick<BetterSqlite3.Statement, 'reader' | 'all' | 'run' | 'iterate'>;

const DISK_FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/**
 * Whether `e` comes of a full disk. SQLite says SQLITE_FULL when a page cannot be written, but a
 * plain I/O error when the WAL index (-shm) cannot grow: then the file system is asked.
 */
function isDiskFull(e: unknown, file: string): boolean {
  const code = String((e as { code?: unknown }).code);
  if (DISK_FULL.has(code)) return true;
  if (!code.startsWith('SQLITE_IOERR')) return false;
  try {
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/**
 * A full disk as an operator reads it: one line naming the store's file and what to do, not a
 * stack trace. What was committed before stays; the next run goes on from there.
 */
export function diskFullError(file: string, cause: unknown): NewsletterError {
  return new NewsletterError(
    ErrorCodes.DISK_FULL,
    `the disk holding the store is full (${(cause as Error).message}); free some space there, then run the command again: what was recorded is kept, and the next run goes on from it`,
    { place: file, cause },
  );
}

function diskFullSaid(stmt: BetterSqlite3.Statement, file: string): StatementLike {
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (e) {
      if (isDiskFull(e, file)) throw diskFullError(file, e);
      throw e;
    }
  };
  return {
    reader: stmt.reader,
    all: (...params: unknown[]) => guard(() => stmt.all(...params)),
    run: (...params: unknown[]) => guard(() => stmt.run(...params)),
    iterate: (...params: unknown[]) => guard(() => stmt.iterate(...params)),
  };
}

const NOTHING_TO_ROLL_BACK: StatementLike = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

/**
 * Switching a new file to WAL takes an exclusive lock for which SQLite does not call the busy
 * handler: a second process opening the same new file at that moment gets SQLITE_BUSY at once.
 * So the switch is tried again for up to the busy timeout, as busy_timeout would have waited.
 */
function setWal(raw: BetterSqlite3.Database, waitMs = 15_000): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += 25) {
    try {
      raw.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || waited >= waitMs) throw e;
      Atomics.wait(pause, 0, 0, 25);
    }
  }
}

/** SQLite's page cache for the store's connection, in KiB (see `configureConnection`). */
export const PAGE_CACHE_KIB = 4000;

/**
 * The connection's settings. WAL with synchronous=FULL so a committed `sending` or `sent`
 * survives a power cut; busy_timeout so overlapping cron runs wait for each other's write lock
 * instead of failing. A 4 MB page cache instead of better-sqlite3's 16 MB: a list sync of
 * 100,000 readers or more fills the larger one, and a connection keeps it until it closes.
 * Measured while the sync still ran on the sending process's connection, at 100,000 and
 * 1,000,000 readers: 20 to 40 MB lower peaks in the sync and at the start of delivery, the
 * sync's time within the noise (the pages come from the operating system's cache). A big sync
 * now has a connection of its own (audience/list-sync-thread.ts), with these same settings.
 */
export function configureConnection(raw: BetterSqlite3.Database): void {
  raw.pragma('busy_timeout = 15000');
  setWal(raw);
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
}

/** Opens (creating when needed) the SQLite store and migrates it. */
export async function openSqliteStore(file: string): Promise<Store> {
  let raw: BetterSqlite3.Database | undefined;
  try {
    if (file !== ':memory:') {
      // Readers' addresses and consent proofs: the folder only for its owner, the file (and the
      // -wal and -shm files SQLite makes with the file's own mode) read and written by them alone.
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      closeSync(openSync(file, 'a', 0o600));
    }
    raw = new BetterSqlite3(file);
    configureConnection(raw);
  } catch (e) {
    raw?.close();
    if (file !== ':memory:' && isDiskFull(e, file)) throw diskFullError(file, e);
    throw new NewsletterError(ErrorCodes.STORE_UNAVAILABLE, `cannot open the SQLite store: ${(e as Error).message}`, { place: file, cause: e });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  try {
    // kysely neither locks nor wraps migrations on SQLite. One IMMEDIATE transaction around them
    // makes a second process starting at the same moment wait (busy_timeout) and then find the
    // work done, and makes a migration interrupted half-way roll back whole.
    raw.exec('BEGIN IMMEDIATE');
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    raw.exec('COMMIT');
  } catch (e) {
    if (raw.inTransaction) raw.exec('ROLLBACK');
    await db.destroy();
    if (isDiskFull(e, file)) throw diskFullError(file, e);
    throw new NewsletterError(ErrorCodes.STORE_UNAVAILABLE, `cannot migrate the SQLite store: ${(e as Error).message}`, { place: file, cause: e });
  }
  return new KyselyStore(db, 'sqlite', () => db.destroy());
}
