import type Database from 'better-sqlite3';
import type {
  AppendOptions,
  ConsentDecision,
  ConsentEvent,
  ConsentLedger,
  DecisionCount,
  LedgerPage,
  LedgerQuery,
  LedgerSearch,
  NoticeArchive,
  NoticeRecord,
  Period,
} from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';
import { GENESIS_HASH } from '../../consent/chain.js';
import {
  checkHead,
  deliveryKey,
  singleSubjectKey,
  toEvent,
  type ConsentStoreOptions,
} from '../ledger-rules.js';
import {
  checkPeriod,
  decodeEventCursor,
  encodeEventCursor,
  ledgerFilter,
  ledgerScope,
  pageFrom,
  periodLength,
  SCAN_BATCH,
  searchLimit,
  type LedgerFilter,
} from '../search-rules.js';
import { addMissingColumns, type SqliteDatabase } from './sqlite-database.js';

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
-- Current status is read from the events themselves, through this index (one seek per purpose),
-- never from a table of "latest" rows: such a table is updated in place, so whoever can write to
-- the database could flip a withdrawal back to a consent there while the chain stays intact. A
-- database from an earlier version may still have one: it is dropped.
DROP TABLE IF EXISTS consent_latest;
DROP INDEX IF EXISTS consent_events_latest;
CREATE INDEX IF NOT EXISTS consent_events_subject_purpose
  ON consent_events (subject_key, purpose_id, seq);
CREATE TABLE IF NOT EXISTS notices (
  hash        TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  archived_at TEXT NOT NULL
);
-- Proof artefacts are immutable: a decision names the notice it was shown by hash, and without the
-- archived text the hash proves nothing (GDPR art. 5(2), 7(1)). Neither rewritten nor removed.
CREATE TRIGGER IF NOT EXISTS notices_no_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are immutable'); END;
CREATE TRIGGER IF NOT EXISTS notices_no_delete BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are immutable'); END;
`;

/**
 * What compliance review filters and orders by, as generated (VIRTUAL) columns over the event's
 * JSON: the table is append-only (its triggers refuse UPDATE), so a column is computed, never
 * backfilled, and its index covers events recorded before the column existed.
 */
const SEARCH_COLUMNS = {
  event_id: "TEXT GENERATED ALWAYS AS (json_extract(body, '$.id')) VIRTUAL",
  decision: "TEXT GENERATED ALWAYS AS (json_extract(body, '$.decision')) VIRTUAL",
  channel_id: "TEXT GENERATED ALWAYS AS (json_extract(body, '$.channelId')) VIRTUAL",
  catalogue_version: "TEXT GENERATED ALWAYS AS (json_extract(body, '$.catalogueVersion')) VIRTUAL",
  conversation_id: "TEXT GENERATED ALWAYS AS (json_extract(body, '$.conversationId')) VIRTUAL",
} as const;

/**
 * Each filter leads an index that then runs in (recorded_at, event_id) order, so a page, however
 * deep, is one index range scan read backwards, with no sort. The subject filter uses the primary
 * key and sorts one person's history, which is short. Purpose and decision trail each index: a
 * count reads them from the index and never the event's JSON (four times faster at 100,000).
 */
const SEARCH_INDEXES = `
CREATE INDEX IF NOT EXISTS consent_events_time
  ON consent_events (recorded_at, event_id, purpose_id, decision);
CREATE INDEX IF NOT EXISTS consent_events_purpose
  ON consent_events (purpose_id, recorded_at, event_id, decision);
CREATE INDEX IF NOT EXISTS consent_events_decision
  ON consent_events (decision, recorded_at, event_id, purpose_id);
CREATE INDEX IF NOT EXISTS consent_events_channel
  ON consent_events (channel_id, recorded_at, event_id, purpose_id, decision);
CREATE INDEX IF NOT EXISTS consent_events_catalogue
  ON consent_events (catalogue_version, recorded_at, event_id, purpose_id, decision);
CREATE INDEX IF NOT EXISTS consent_events_conversation
  ON consent_events (conversation_id, recorded_at, event_id);
`;

/** The column each equality filter compares. */
const FILTER_COLUMNS = {
  subjectKey: 'subject_key',
  channelId: 'channel_id',
  purposeId: 'purpose_id',
  decision: 'decision',
  catalogueVersion: 'catalogue_version',
  conversationId: 'conversation_id',
} as const;

/**
 * The WHERE conditions of a filter, with named parameters of the same names. `subjectOnly`
 * writes every other column as `+column`, which SQLite cannot match to an index: a chain-order
 * scan then walks the primary key in (subject, seq) order and filters as it goes, instead of
 * sorting every match again for each batch.
 */
function conditionsOf(filter: LedgerFilter, subjectOnly = false): string[] {
  const indexed = (column: string): string =>
    subjectOnly && column !== 'subject_key' ? `+${column}` : column;
  const conditions = Object.entries(FILTER_COLUMNS)
    .filter(([field]) => filter[field as keyof typeof FILTER_COLUMNS] !== undefined)
    .map(([field, column]) => `${indexed(column)} = :${field}`);
  if (filter.from !== undefined) conditions.push(`${indexed('recorded_at')} >= :from`);
  if (filter.to !== undefined) conditions.push(`${indexed('recorded_at')} < :to`);
  return conditions;
}

function parametersOf(filter: LedgerFilter): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

const whereOf = (conditions: readonly string[]): string =>
  conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;

interface EventRow {
  readonly body: string;
  readonly recorded_at: string;
  readonly event_id: string;
  readonly subject_key: string;
  readonly seq: number;
}

/** The embedded default ledger and notice archive, one SQLite file on local disk. */
export class SqliteConsentStore implements ConsentLedger, LedgerSearch, NoticeArchive {
  readonly #db: SqliteDatabase;
  readonly #appendAll: (
    decisions: readonly ConsentDecision[],
    at: Date,
    options?: AppendOptions,
  ) => ConsentEvent[];
  readonly #head: Database.Statement<[string], { seq: number }>;
  readonly #latest: Database.Statement<{ key: string }, { body: string }>;

  constructor(db: SqliteDatabase, storeOptions: ConsentStoreOptions = {}) {
    this.#db = db;
    const { seal } = storeOptions;
    db.exec(SCHEMA);
    db.transaction(() => {
      addMissingColumns(db, 'consent_events', SEARCH_COLUMNS);
      db.exec(SEARCH_INDEXES);
    }).immediate();
    const last = db.prepare<[string], { seq: number; body: string }>(
      'SELECT seq, body FROM consent_events WHERE subject_key = ? ORDER BY seq DESC LIMIT 1',
    );
    const byDelivery = db.prepare<[string, string], { body: string }>(
      'SELECT body FROM consent_events WHERE subject_key = ? AND delivery_key = ?',
    );
    const insert = db.prepare(
      `INSERT INTO consent_events (subject_key, seq, delivery_key, purpose_id, recorded_at, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const appendAll = db.transaction(
      (decisions: readonly ConsentDecision[], at: Date, options?: AppendOptions) => {
        const key = singleSubjectKey(decisions);
        const recorded = decisions.map((decision) => byDelivery.get(key, deliveryKey(decision)));
        const previous = last.get(key);
        if (recorded.some((row) => row === undefined)) checkHead(previous?.seq ?? 0, options);
        let seq = (previous?.seq ?? 0) + 1;
        let prevHash = previous ? (JSON.parse(previous.body) as ConsentEvent).hash : GENESIS_HASH;
        return decisions.map((decision, index) => {
          const already = recorded[index];
          if (already) return JSON.parse(already.body) as ConsentEvent;
          const event = toEvent(decision, seq++, at, prevHash, seal);
          prevHash = event.hash;
          const body = JSON.stringify(event);
          insert.run(key, event.seq, deliveryKey(event), event.purposeId, event.recordedAt, body);
          return event;
        });
      },
    );
    // IMMEDIATE takes the write lock first, so two processes never compute the same next seq.
    this.#appendAll = (decisions, at, options) => appendAll.immediate(decisions, at, options);
    // A skip scan of the index: the next purpose of the subject, then that purpose's newest event,
    // each one seek, so a status read costs the number of purposes, never the length of history.
    this.#latest = db.prepare<{ key: string }, { body: string }>(
      `WITH RECURSIVE purposes(id) AS (
         SELECT MIN(purpose_id) FROM consent_events WHERE subject_key = :key
         UNION ALL
         SELECT (SELECT MIN(purpose_id) FROM consent_events
                 WHERE subject_key = :key AND purpose_id > purposes.id)
         FROM purposes WHERE purposes.id IS NOT NULL
       )
       SELECT (SELECT body FROM consent_events WHERE subject_key = :key AND purpose_id = id
               ORDER BY seq DESC LIMIT 1) AS body
       FROM purposes WHERE id IS NOT NULL`,
    );
    this.#head = db.prepare<[string], { seq: number }>(
      'SELECT seq FROM consent_events WHERE subject_key = ? ORDER BY seq DESC LIMIT 1',
    );
  }

  append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
    options?: AppendOptions,
  ): Promise<readonly ConsentEvent[]> {
    if (decisions.length === 0) return Promise.resolve([]);
    return attempt('append consent events', () => this.#appendAll(decisions, recordedAt, options));
  }

  head(subject: Subject): Promise<number> {
    return attempt('read ledger head', () => this.#head.get(subjectKey(subject))?.seq ?? 0);
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
      this.#latest
        .all({ key: subjectKey(subject) })
        .map((row) => JSON.parse(row.body) as ConsentEvent)
        .sort((a, b) => a.seq - b.seq),
    );
  }

  /** Statements built from a filter's shape, prepared once per shape. */
  readonly #statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();

  #prepared(sql: string): ReturnType<SqliteDatabase['prepare']> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  search(query: LedgerQuery, page: { limit: number; after?: string }): Promise<LedgerPage> {
    return attempt('search consent events', () => {
      const filter = ledgerFilter(query);
      const limit = searchLimit(page.limit);
      const scope = ledgerScope(filter);
      const position = decodeEventCursor(page.after, scope);
      const conditions = conditionsOf(filter);
      if (position) conditions.push('(recorded_at, event_id) < (:afterAt, :afterId)');
      const rows = this.#prepared(
        `SELECT body, recorded_at, event_id FROM consent_events ${whereOf(conditions)}
         ORDER BY recorded_at DESC, event_id DESC LIMIT :limit`,
      ).all({
        ...parametersOf(filter),
        ...(position && { afterAt: position.recordedAt, afterId: position.id }),
        limit: limit + 1,
      }) as EventRow[];
      const { items, next } = pageFrom(rows, limit, (last) =>
        encodeEventCursor(scope, { recordedAt: last.recorded_at, id: last.event_id }),
      );
      const events = items.map((row) => JSON.parse(row.body) as ConsentEvent);
      return next === undefined ? { events } : { events, next };
    });
  }

  /**
   * Keyset batches: each is one index range scan from where the last ended, so memory stays at one
   * batch and events appended meanwhile are read once (if they sort after the position) or not.
   */
  async *scan(query: LedgerQuery, order: 'recorded' | 'chain'): AsyncIterable<ConsentEvent> {
    const filter = ledgerFilter(query);
    type Position = readonly [string, string | number];
    const [keys, positionOf]: readonly [string, (row: EventRow) => Position] =
      order === 'chain'
        ? ['subject_key, seq', (row) => [row.subject_key, row.seq]]
        : ['recorded_at, event_id', (row) => [row.recorded_at, row.event_id]];
    const conditions = conditionsOf(filter, order === 'chain');
    const first = `SELECT body, recorded_at, event_id, subject_key, seq FROM consent_events
      ${whereOf(conditions)} ORDER BY ${keys} LIMIT ${SCAN_BATCH}`;
    const following = `SELECT body, recorded_at, event_id, subject_key, seq FROM consent_events
      ${whereOf([...conditions, `(${keys}) > (:afterA, :afterB)`])}
      ORDER BY ${keys} LIMIT ${SCAN_BATCH}`;
    const parameters = parametersOf(filter);
    let position: Position | undefined;
    for (;;) {
      const rows = await attempt('scan consent events', () =>
        position === undefined
          ? (this.#prepared(first).all(parameters) as EventRow[])
          : (this.#prepared(following).all({
              ...parameters,
              afterA: position[0],
              afterB: position[1],
            }) as EventRow[]),
      );
      for (const row of rows) yield JSON.parse(row.body) as ConsentEvent;
      const last = rows.at(-1);
      if (last === undefined || rows.length < SCAN_BATCH) return;
      position = positionOf(last);
    }
  }

  countDecisions(query: LedgerQuery, period: Period): Promise<readonly DecisionCount[]> {
    return attempt('count consent decisions', () => {
      // Always a lower bound ('' when none: every ISO time is above it), so that without another
      // filter SQLite walks the time index, which holds purpose and decision, not the table.
      const given = ledgerFilter(query);
      const filter = { ...given, from: given.from ?? '' };
      const length = periodLength(checkPeriod(period));
      return this.#prepared(
        `SELECT substr(recorded_at, 1, ${length}) AS period, purpose_id AS purposeId, decision,
           COUNT(*) AS count
         FROM consent_events ${whereOf(conditionsOf(filter))}
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ).all(parametersOf(filter)) as DecisionCount[];
    });
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
