import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL that `.ci/run` makes sure is up (trust auth, database `test`). */
export const PG_BASE = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name per test, and a DATABASE_URL that selects it. */
export function pgSchemaUrl(): { url: string; schema: string } {
  const schema = `nl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  return { url: u.href, schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_BASE });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
