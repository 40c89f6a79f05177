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
  // Opening creates the schema in the caller's constructors, before the server listens: there,
  // a synchronous wait for another process on the same folder harms no one.
  db.pragma(`busy_timeout = ${OPENING_BUSY_TIMEOUT_MS}`);
  return db;
}

const OPENING_BUSY_TIMEOUT_MS = 5000;

/**
 * Call once the schema is created, before serving. better-sqlite3 is synchronous: with a
 * busy_timeout, a statement that meets another process's write lock sleeps inside SQLite and
 * blocks the event loop (every request, health checks, stops) until the lock is released. With 0,
 * SQLite answers SQLITE_BUSY at once and storage/errors.ts attempt() retries on a timer.
 */
export function stopWaitingInSqlite(db: SqliteDatabase): void {
  db.pragma('busy_timeout = 0');
}

/**
 * Adds to `table` the generated (VIRTUAL) columns a database made by an earlier version lacks:
 * computed from the stored JSON, so nothing is backfilled and append-only tables stay untouched
 * (ALTER TABLE can add a virtual column; an index on it covers the rows already there). Run it in
 * the caller's IMMEDIATE transaction, so two processes opening one folder cannot both add a column.
 */
export function addMissingColumns(
  db: SqliteDatabase,
  table: string,
  columns: Readonly<Record<string, string>>,
): void {
  const existing = new Set(
    db
      .prepare<[], { name: string }>(`PRAGMA table_xinfo(${table})`)
      .all()
      .map((c) => c.name),
  );
  for (const [name, definition] of Object.entries(columns)) {
    if (!existing.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
  }
}
