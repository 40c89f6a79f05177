import type {
  ConsentDecision,
  ConsentEvent,
  ConsentLedger,
  NoticeArchive,
  NoticeRecord,
} from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';
import { GENESIS_HASH } from '../../consent/chain.js';
import { deliveryKey, singleSubjectKey, toEvent } from '../ledger-rules.js';
import type { SqliteDatabase } from './sqlite-database.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS consent_events (
  subject_key  TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  delivery_key TEXT    NOT NULL,
  purpose_id   TEXT    NOT NULL,
  recorded_at  TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  PRIMARY KEY (subject_key, seq),
  UNIQUE (subject_key, delivery_key)
);
-- The ledger is proof (GDPR art. 7(1)): the database itself refuses to rewrite history.
CREATE TRIGGER IF NOT EXISTS consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;
-- Current status, one row per subject and purpose, written in the same transaction as the
-- events (SQLite has real transactions): a status read costs the number of purposes, never the
-- length of a person's history. Derived data, not proof: it may be rebuilt from the events.
CREATE TABLE IF NOT EXISTS consent_latest (
  subject_key TEXT    NOT NULL,
  purpose_id  TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  body        TEXT    NOT NULL,
  PRIMARY KEY (subject_key, purpose_id)
);
DROP INDEX IF EXISTS consent_events_latest;
CREATE TABLE IF NOT EXISTS notices (
  hash        TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  archived_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS notices_no_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are immutable'); END;
`;

/** The embedded default ledger and notice archive, one SQLite file on local disk. */
export class SqliteConsentStore implements ConsentLedger, NoticeArchive {
  readonly #db: SqliteDatabase;
  readonly #appendAll: (decisions: readonly ConsentDecision[], at: Date) => ConsentEvent[];

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(SCHEMA);
    // A database from before consent_latest existed: fill it once from the events.
    const empty = db.prepare('SELECT 1 FROM consent_latest LIMIT 1').get() === undefined;
    if (empty) {
      db.exec(`INSERT INTO consent_latest (subject_key, purpose_id, seq, body)
        SELECT e.subject_key, e.purpose_id, e.seq, e.body FROM consent_events e
        JOIN (SELECT subject_key, purpose_id, MAX(seq) AS seq FROM consent_events
              GROUP BY subject_key, purpose_id) m
          ON e.subject_key = m.subject_key AND e.purpose_id = m.purpose_id AND e.seq = m.seq`);
    }
    const last = db.prepare<[string], { seq: number; body: string }>(
      'SELECT seq, body FROM consent_events WHERE subject_key = ? ORDER BY seq DESC LIMIT 1',
    );
    const byDelivery = db.prepare<[string, string], { body: string }>(
      'SELECT body FROM consent_events WHERE subject_key = ? AND delivery_key = ?',
    );
    const project = db.prepare(
      `INSERT INTO consent_latest (subject_key, purpose_id, seq, body) VALUES (?, ?, ?, ?)
       ON CONFLICT (subject_key, purpose_id) DO UPDATE SET seq = excluded.seq, body = excluded.body
       WHERE excluded.seq > consent_latest.seq`,
    );
    const insert = db.prepare(
      `INSERT INTO consent_events (subject_key, seq, delivery_key, purpose_id, recorded_at, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const appendAll = db.transaction((decisions: readonly ConsentDecision[], at: Date) => {
      const key = singleSubjectKey(decisions);
      const previous = last.get(key);
      let seq = (previous?.seq ?? 0) + 1;
      let prevHash = previous ? (JSON.parse(previous.body) as ConsentEvent).hash : GENESIS_HASH;
      return decisions.map((decision) => {
        const already = byDelivery.get(key, deliveryKey(decision));
        if (already) return JSON.parse(already.body) as ConsentEvent;
        const event = toEvent(decision, seq++, at, prevHash);
        prevHash = event.hash;
        insert.run(
          key,
          event.seq,
          deliveryKey(event),
          event.purposeId,
          event.recordedAt,
          JSON.stringify(event),
        );
        project.run(key, event.purposeId, event.seq, JSON.stringify(event));
        return event;
      });
    });
    // IMMEDIATE takes the write lock first, so two processes never compute the same next seq.
    this.#appendAll = (decisions, at) => appendAll.immediate(decisions, at);
  }

  append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
  ): Promise<readonly ConsentEvent[]> {
    if (decisions.length === 0) return Promise.resolve([]);
    return attempt('append consent events', () => this.#appendAll(decisions, recordedAt));
  }

  history(subject: Subject): Promise<readonly ConsentEvent[]> {
    return attempt('read consent history', () =>
      this.#db
        .prepare<[string], { body: string }>(
          'SELECT body FROM consent_events WHERE subject_key = ? ORDER BY seq',
        )
        .all(subjectKey(subject))
        .map((row) => JSON.parse(row.body) as ConsentEvent),
    );
  }

  latest(subject: Subject): Promise<readonly ConsentEvent[]> {
    return attempt('read consent status', () =>
      this.#db
        .prepare<[string], { body: string }>(
          'SELECT body FROM consent_latest WHERE subject_key = ? ORDER BY seq',
        )
        .all(subjectKey(subject))
        .map((row) => JSON.parse(row.body) as ConsentEvent),
    );
  }

  archive(notice: NoticeRecord): Promise<void> {
    return attempt('archive notice', () => {
      this.#db
        .prepare('INSERT OR IGNORE INTO notices (hash, body, archived_at) VALUES (?, ?, ?)')
        .run(notice.hash, JSON.stringify(notice), new Date().toISOString());
    });
  }

  get(hash: string): Promise<NoticeRecord | undefined> {
    return attempt('read notice', () => {
      const row = this.#db
        .prepare<[string], { body: string }>('SELECT body FROM notices WHERE hash = ?')
        .get(hash);
      return row ? (JSON.parse(row.body) as NoticeRecord) : undefined;
    });
  }
}
