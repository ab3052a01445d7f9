import type { Config } from '../config/load.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** Opens (and migrates) the configured store: the composition root and the list-sync thread share this. */
export function openStore(database: Config['database']): Promise<Store> {
  return database.kind === 'postgres' ? openPostgresStore(database.url) : openSqliteStore(database.file);
}
