import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from '../../src/store/sqlite.js';

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
});
