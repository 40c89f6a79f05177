import {
  checkSuppressionEntry,
  type SuppressionEntry,
  type SuppressionList,
} from '../../consent/suppression.js';
import { attempt } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface SuppressionRow {
  hash: string;
  kind: SuppressionEntry['kind'];
  reason: SuppressionEntry['reason'];
  added_at: string;
}

/**
 * The suppression list on the embedded store. Rows are never updated: the first entry for a hash
 * stays, so the earliest reason and date are what an audit sees.
 */
export class SqliteSuppressionList implements SuppressionList {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS suppression (
      hash     TEXT PRIMARY KEY,
      kind     TEXT NOT NULL,
      reason   TEXT NOT NULL,
      added_at TEXT NOT NULL
    ) WITHOUT ROWID`);
  }

  add(entries: readonly SuppressionEntry[]): Promise<void> {
    return attempt('add suppression entries', () => {
      for (const entry of entries) checkSuppressionEntry(entry);
      if (entries.length === 0) return;
      const insert = this.#db.prepare<[string, string, string, string]>(
        `INSERT INTO suppression (hash, kind, reason, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
      );
      const addAll = this.#db.transaction((all: readonly SuppressionEntry[]) => {
        for (const e of all) insert.run(e.hash, e.kind, e.reason, e.addedAt);
      });
      addAll.immediate(entries);
    });
  }

  anyOf(hashes: readonly string[]): Promise<readonly SuppressionEntry[]> {
    return attempt('read suppression entries', () => {
      const select = this.#db.prepare<[string], SuppressionRow>(
        'SELECT hash, kind, reason, added_at FROM suppression WHERE hash = ?',
      );
      const found: SuppressionEntry[] = [];
      for (const hash of new Set(hashes)) {
        const row = select.get(hash);
        if (row) {
          found.push({ hash: row.hash, kind: row.kind, reason: row.reason, addedAt: row.added_at });
        }
      }
      return found;
    });
  }
}
