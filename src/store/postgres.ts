import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { Store } from './store.js';

/**
 * The URL as it may be printed: everything between `//` and the last `@` is hidden, so a password
 * holding `/`, `@`, `:` or `%` (encoded or not) never shows, even in part.
 */
export function redactDatabaseUrl(url: string): string {
  const start = url.indexOf('//');
  const at = url.lastIndexOf('@');
  return start >= 0 && at > start ? `${url.slice(0, start + 2)}…${url.slice(at)}` : url;
}

/** `postgres://user@host:5432/db?schema=name`: the `schema` parameter selects (and creates) a schema. */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | undefined } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${redactDatabaseUrl(url)} is not a valid URL; percent-encode "/", "@", ":" and "%" in the user name and password (e.g. @ as %40)`, {
      place: 'DATABASE_URL',
    });
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `schema "${schema}" must be lower-case letters, digits and _`, { place: 'DATABASE_URL' });
  }
  return { connectionString: u.href, schema };
}

/**
 * Opens the PostgreSQL store and migrates it. kysely's PostgreSQL migrator holds an advisory
 * lock in one transaction, so several processes starting at once migrate once.
 */
export async function openPostgresStore(url: string, options: { poolSize?: number } = {}): Promise<Store> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const shown = redactDatabaseUrl(url);
  if (schema) {
    const admin = new pg.Client({ connectionString });
    try {
      await admin.connect();
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch((e: { code?: string }) => {
        // IF NOT EXISTS is not safe against a concurrent creator; losing that race is success.
        if (e.code !== '23505' && e.code !== '42P06') throw e;
      });
    } catch (e) {
      throw new NewsletterError(ErrorCodes.STORE_UNAVAILABLE, `cannot reach PostgreSQL: ${(e as Error).message}`, { place: shown, cause: e });
    } finally {
      await admin.end().catch(() => {});
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 5,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
    await migrateToLatest(db as Kysely<unknown>, 'postgres', schema);
  } catch (e) {
    await db.destroy();
    throw new NewsletterError(ErrorCodes.STORE_UNAVAILABLE, `cannot open the PostgreSQL store: ${(e as Error).message}`, { place: shown, cause: e });
  }
  return new KyselyStore(db, 'postgres', () => db.destroy());
}
