import type { AccessLog, AccessLogQuery, AccessRecord } from '../../consent/access-log.js';
import { attempt } from '../errors.js';
import {
  accessFilter,
  accessScope,
  checkAccessRecord,
  decodeAccessCursor,
  encodeAccessCursor,
  pageFrom,
  searchLimit,
} from '../search-rules.js';
import type { SqliteDatabase } from './sqlite-database.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS access_log (
  seq       INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  principal TEXT NOT NULL,
  body      TEXT NOT NULL
);
-- Accountability: the database itself refuses to rewrite who reached personal data. A retention
-- period for this log, when one is decided, will replace the delete trigger by a dated purge.
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
-- Newest first, for everyone or for one principal: one index range scan per page.
CREATE INDEX IF NOT EXISTS access_log_time ON access_log (at, seq);
CREATE INDEX IF NOT EXISTS access_log_principal ON access_log (principal, at, seq);
`;

interface Row {
  readonly seq: number;
  readonly at: string;
  readonly body: string;
}

/** The access log on the embedded store, in the same SQLite file as the ledger. */
export class SqliteAccessLog implements AccessLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(SCHEMA);
  }

  record(entry: AccessRecord): Promise<void> {
    return attempt('record access', () => {
      const checked = checkAccessRecord(entry);
      this.#db
        .prepare('INSERT INTO access_log (at, principal, body) VALUES (?, ?, ?)')
        .run(checked.at, checked.principal, JSON.stringify(checked));
    });
  }

  list(
    query: AccessLogQuery,
    page: { limit: number; after?: string },
  ): Promise<{ readonly records: readonly AccessRecord[]; readonly next?: string }> {
    return attempt('list accesses', () => {
      const filter = accessFilter(query);
      const limit = searchLimit(page.limit);
      const scope = accessScope(filter);
      const position = decodeAccessCursor(page.after, scope);
      const conditions = [
        ...(filter.principal === undefined ? [] : ['principal = :principal']),
        ...(filter.from === undefined ? [] : ['at >= :from']),
        ...(filter.to === undefined ? [] : ['at < :to']),
        ...(position === undefined ? [] : ['(at, seq) < (:afterAt, :afterSeq)']),
      ];
      const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
      const rows = this.#db
        .prepare<Record<string, string | number>, Row>(
          `SELECT seq, at, body FROM access_log ${where} ORDER BY at DESC, seq DESC LIMIT :limit`,
        )
        .all({
          ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)),
          ...(position && { afterAt: position.at, afterSeq: Number(position.key) }),
          limit: limit + 1,
        });
      const { items, next } = pageFrom(rows, limit, (last) =>
        encodeAccessCursor(scope, last.at, last.seq),
      );
      const records = items.map((row) => JSON.parse(row.body) as AccessRecord);
      return next === undefined ? { records } : { records, next };
    });
  }
}
