import { mkdirSync } from 'node:fs';
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
export function withStatementCache(raw: BetterSqlite3.Database, size = 64): { prepare(sql: string): BetterSqlite3.Statement; close(): void } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (stmt) cache.delete(sql); // re-inserted below: the map's order is the least recently used first
      if (!stmt || stmt.busy) stmt = raw.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return stmt;
    },
    close() {
      cache.clear();
      raw.close();
    },
  };
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
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
}

/** Opens (creating when needed) the SQLite store and migrates it. */
export async function openSqliteStore(file: string): Promise<Store> {
  let raw: BetterSqlite3.Database | undefined;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    raw = new BetterSqlite3(file);
    configureConnection(raw);
  } catch (e) {
    raw?.close();
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
    throw new NewsletterError(ErrorCodes.STORE_UNAVAILABLE, `cannot migrate the SQLite store: ${(e as Error).message}`, { place: file, cause: e });
  }
  return new KyselyStore(db, 'sqlite', () => db.destroy());
}
