import type { SqliteDatabase } from '../storage/sqlite/sqlite-database.js';

/**
 * Records every SQL text a store prepares on `db` from now on, so a test can ask SQLite how it
 * runs the very statements the store uses (EXPLAIN QUERY PLAN), not copies of them.
 */
export function recordStatements(db: SqliteDatabase): string[] {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    seen.push(sql);
    return prepare(sql);
  };
  return seen;
}

/** SQLite's plan of a statement, one line per step, its named parameters bound to blanks. */
export function planOf(db: SqliteDatabase, sql: string): string {
  const names = [...new Set([...sql.matchAll(/:(\w+)/g)].map((m) => m[1] as string))];
  const parameters = Object.fromEntries(names.map((name) => [name, '']));
  return db
    .prepare<Record<string, string>, { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(parameters)
    .map((row) => row.detail)
    .join('\n');
}
