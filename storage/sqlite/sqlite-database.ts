import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the embedded store's database in a folder. WAL with synchronous=FULL:
 * a write that returned is on disk and survives a crash or power loss, which is what lets the bot
 * tell a person "recorded" (product rule: never claim a consent recorded unless it is durable).
 */
export function openSqliteDatabase(dataDir: string, file = 'consent-bot.sqlite'): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Two processes on one folder wait for each other instead of failing at once.
  db.pragma('busy_timeout = 5000');
  return db;
}
