import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureConnection, PAGE_CACHE_KIB, withStatementCache } from '../../src/store/sqlite.js';

describe('SQLite statement cache (kysely prepares every query)', () => {
  it('hands out one prepared statement per SQL text, a fresh one while it is iterating, and keeps at most `size`', () => {
    const raw = new BetterSqlite3(':memory:');
    let prepared = 0;
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((sql: string) => {
      prepared++;
      return prepare(sql);
    }) as typeof raw.prepare;
    const db = withStatementCache(raw, 3);
    db.prepare('CREATE TABLE t (x INTEGER)').run();
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    for (let i = 0; i < 5; i++) expect(db.prepare('INSERT INTO t (x) VALUES (?)')).toBe(insert);
    for (let i = 0; i < 5; i++) insert.run(i);
    expect(prepared).toBe(2);

    // A statement in the middle of an iteration cannot run again: the cache prepares another.
    const select = db.prepare('SELECT x FROM t ORDER BY x');
    const rows = select.iterate();
    expect((rows.next().value as { x: number }).x).toBe(0);
    const second = db.prepare('SELECT x FROM t ORDER BY x');
    expect(second).not.toBe(select);
    expect(second.all()).toHaveLength(5);
    rows.return?.();
    expect(prepared).toBe(4);

    // Least recently used goes first: with room for 3, the CREATE is gone, the INSERT kept.
    db.prepare('INSERT INTO t (x) VALUES (?)');
    db.prepare('SELECT count(*) AS n FROM t');
    expect(db.prepare('INSERT INTO t (x) VALUES (?)')).toBe(insert);
    expect(prepared).toBe(5);
    db.prepare('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
    expect(prepared).toBe(6);
    db.close();
    expect(raw.open).toBe(false);
  });

  it('sets up a connection for a durable outbox: WAL, synchronous FULL, a write-lock wait, foreign keys, a 4 MB page cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nl-pragmas-'));
    const raw = new BetterSqlite3(join(dir, 'store.sqlite'));
    try {
      configureConnection(raw);
      const one = (name: string) => raw.pragma(name, { simple: true });
      expect(one('journal_mode')).toBe('wal');
      expect(one('synchronous')).toBe(2); // FULL
      expect(one('busy_timeout')).toBe(15000);
      expect(one('foreign_keys')).toBe(1);
      expect(one('cache_size')).toBe(-PAGE_CACHE_KIB);
    } finally {
      raw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
