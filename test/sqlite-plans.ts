import type { LedgerQuery } from '../consent/ledger.js';
import type { SqliteDatabase } from '../storage/sqlite/sqlite-database.js';

const AT = new Date('2026-11-02T09:30:00.000Z');

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

/**
 * Each filter is one index range scan in (recorded_at, event_id) order, read backwards, with no
 * sort step: a page costs its size, however deep and however large the ledger.
 */
export const EXPECTED_INDEX: readonly [string, LedgerQuery, string][] = [
  ['no filter', {}, 'consent_events_time'],
  ['time range', { from: AT, to: new Date(AT.getTime() + 1) }, 'consent_events_time'],
  ['purpose', { purposeId: 'newsletter' }, 'consent_events_purpose'],
  ['decision', { decision: 'withdrawn' }, 'consent_events_decision'],
  ['channel', { channelId: 'webchat' }, 'consent_events_channel'],
  ['catalogue version', { catalogueVersion: 'v1' }, 'consent_events_catalogue'],
  ['conversation', { conversationId: 'c' }, 'consent_events_conversation'],
  ['purpose and time', { purposeId: 'newsletter', from: AT }, 'consent_events_purpose'],
];
