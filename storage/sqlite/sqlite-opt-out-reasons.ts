import {
  checkOptOutReason,
  isOptOutReason,
  orderedCounts,
  summaryDays,
  type OptOutReason,
  type OptOutReasonCount,
  type OptOutReasons,
} from '../../consent/opt-out-reasons.js';
import { attempt } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface CountRow {
  day: string;
  reason: string;
  count: number;
}

/**
 * Opt-out reasons on the embedded store: one counter row per day and reason, incremented in place.
 * A row per answer would keep the order of arrival (rowid), and the order of a day's answers can
 * be matched with the order of that day's withdrawals in the ledger; a counter keeps nothing but
 * the total. SQLite serialises writers, so the increment loses nothing under concurrency.
 */
export class SqliteOptOutReasons implements OptOutReasons {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS opt_out_reasons (
      day    TEXT NOT NULL,
      reason TEXT NOT NULL,
      count  INTEGER NOT NULL CHECK (count > 0),
      PRIMARY KEY (day, reason)
    ) WITHOUT ROWID`);
  }

  record(reason: OptOutReason, at: Date): Promise<void> {
    return attempt('record an opt-out reason', () => {
      const day = checkOptOutReason(reason, at);
      this.#db
        .prepare<[string, string]>(
          `INSERT INTO opt_out_reasons (day, reason, count) VALUES (?, ?, 1)
           ON CONFLICT (day, reason) DO UPDATE SET count = count + 1`,
        )
        .run(day, reason);
    });
  }

  summary(from: Date, to: Date): Promise<readonly OptOutReasonCount[]> {
    return attempt('summarise opt-out reasons', () => {
      const { first, last } = summaryDays(from, to);
      const rows = this.#db
        .prepare<[string, string], CountRow>(
          'SELECT day, reason, count FROM opt_out_reasons WHERE day >= ? AND day <= ?',
        )
        .all(first, last);
      return orderedCounts(
        rows.flatMap(({ day, reason, count }) =>
          isOptOutReason(reason) ? [{ day, reason, count }] : [],
        ),
      );
    });
  }
}
