import { randomUUID } from 'node:crypto';
import { attempt } from '../errors.js';
import type { ReadinessProbe } from '../readiness.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Readiness of the embedded store: one row, rewritten by each probe and read back by the same
 * statement (RETURNING). With synchronous=FULL the statement returns only once the write is on
 * disk, so a full disk, a read-only file or a lost volume fails the probe.
 */
export class SqliteReadiness implements ReadinessProbe {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS readiness_probe (
      id    INTEGER PRIMARY KEY CHECK (id = 1),
      nonce TEXT NOT NULL,
      at    TEXT NOT NULL
    )`);
  }

  check(): Promise<void> {
    return attempt('readiness probe', () => {
      const nonce = randomUUID();
      const row = this.#db
        .prepare<[string, string], { nonce: string }>(
          `INSERT INTO readiness_probe (id, nonce, at) VALUES (1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET nonce = excluded.nonce, at = excluded.at
           RETURNING nonce`,
        )
        .get(nonce, new Date().toISOString());
      if (row?.nonce !== nonce) throw new Error('the probe record did not read back');
    });
  }
}
