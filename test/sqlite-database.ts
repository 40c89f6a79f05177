import { rmSync } from 'node:fs';
import { openSqliteDatabase, type SqliteDatabase } from '../storage/sqlite/sqlite-database.js';
import { temporaryFolder } from './temporary-folder.js';

export { temporaryFolder } from './temporary-folder.js';

export interface TemporarySqlite {
  readonly db: SqliteDatabase;
  readonly folder: string;
  /** Closes the database and removes its folder. */
  readonly close: () => Promise<void>;
}

/**
 * The embedded database in a fresh temporary folder, or reopened in `folder` (to test what
 * survives a restart). Closing it removes the folder.
 */
export function openTemporarySqlite(
  folder = temporaryFolder('consent-bot-sqlite-').path,
): TemporarySqlite {
  const db = openSqliteDatabase(folder);
  return {
    db,
    folder,
    close: () => {
      db.close();
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
