import type { Activity, PagedResult, TranscriptInfo } from 'botbuilder';
import { attempt } from '../errors.js';
import {
  activitiesScope,
  decodeToken,
  optionalTime,
  pageOf,
  pageSizeOf,
  requiredTime,
  requireId,
  toActivity,
  toLogged,
  transcriptsScope,
  type TranscriptStoreOptions,
  type ConversationPage,
  type TranscriptQuery,
  type TranscriptSearch,
  type TranscriptStoreWithRetention,
} from '../transcript-rules.js';
import {
  decodeConversationCursor,
  encodeConversationCursor,
  pageFrom,
  searchLimit,
  transcriptFilter,
  transcriptSearchScope,
  type TranscriptFilter,
} from '../search-rules.js';
import { addMissingColumns, type SqliteDatabase } from './sqlite-database.js';

/** What the participant columns hold: `from.id` / `recipient.id` when a string, else NULL. */
const participant = (path: '$.from.id' | '$.recipient.id'): string =>
  `CASE WHEN json_type(body, '${path}') = 'text' THEN json_extract(body, '${path}') END`;

/**
 * The participants are generated (VIRTUAL) columns computed from the stored JSON: nothing to fill
 * in on insert, nothing to backfill in a database made before they existed (ALTER TABLE can add a
 * virtual column, and its index covers the rows already there).
 */
const PARTICIPANT_COLUMNS = {
  from_id: `TEXT GENERATED ALWAYS AS (${participant('$.from.id')}) VIRTUAL`,
  recipient_id: `TEXT GENERATED ALWAYS AS (${participant('$.recipient.id')}) VIRTUAL`,
} as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS transcript_activities (
  seq             INTEGER PRIMARY KEY,
  channel_id      TEXT    NOT NULL,
  conversation_id TEXT    NOT NULL,
  ts              INTEGER NOT NULL,
  body            TEXT    NOT NULL,
  from_id         ${PARTICIPANT_COLUMNS.from_id},
  recipient_id    ${PARTICIPANT_COLUMNS.recipient_id}
);`;

const INDEXES = `
-- One range scan per page, in (time, insertion) order.
CREATE INDEX IF NOT EXISTS transcript_activities_page
  ON transcript_activities (channel_id, conversation_id, ts, seq);
-- The retention clean-up deletes by age alone.
CREATE INDEX IF NOT EXISTS transcript_activities_age ON transcript_activities (ts);
-- Access and erasure find a person's activities by either side of the exchange.
CREATE INDEX IF NOT EXISTS transcript_activities_from
  ON transcript_activities (channel_id, from_id);
CREATE INDEX IF NOT EXISTS transcript_activities_recipient
  ON transcript_activities (channel_id, recipient_id);
`;

/**
 * `column` of a person's activities: one search of each participant index. Without statistics
 * (nothing runs ANALYZE) SQLite answers `channel_id = ? AND (from_id = ? OR recipient_id = ?)` by
 * scanning the whole channel; an IN over a UNION ALL is two index searches whatever the statistics.
 */
const involving = (column: 'seq' | 'conversation_id'): string => `
  SELECT ${column} FROM transcript_activities WHERE channel_id = :channelId AND from_id = :userId
  UNION ALL
  SELECT ${column} FROM transcript_activities WHERE channel_id = :channelId AND recipient_id = :userId`;

/**
 * The conversations a search keeps, as row values (channel_id, conversation_id) for an IN: each
 * condition is one search of an index (participants, or age), and the summaries are then computed
 * over the page index. The cost follows the number of matching conversations and their activities.
 */
function conversationConditions(filter: TranscriptFilter): string[] {
  const channel = filter.channelId === undefined ? '' : 'channel_id = :channelId AND';
  const conditions: string[] = [];
  if (filter.channelId !== undefined) conditions.push('channel_id = :channelId');
  if (filter.userId !== undefined) {
    conditions.push(`(channel_id, conversation_id) IN (
      SELECT channel_id, conversation_id FROM transcript_activities
        WHERE ${channel} from_id = :userId
      UNION ALL
      SELECT channel_id, conversation_id FROM transcript_activities
        WHERE ${channel} recipient_id = :userId)`);
  }
  if (filter.from !== undefined || filter.to !== undefined) {
    const range = [
      ...(filter.from === undefined ? [] : ['ts >= :from']),
      ...(filter.to === undefined ? [] : ['ts < :to']),
    ];
    conditions.push(`(channel_id, conversation_id) IN (
      SELECT channel_id, conversation_id FROM transcript_activities
        WHERE ${channel} ${range.join(' AND ')})`);
  }
  return conditions;
}

interface SummaryRow {
  readonly channelId: string;
  readonly conversationId: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly activities: number;
}

/**
 * Creates the table, or brings one made by an earlier version up to date, in one IMMEDIATE
 * transaction: two processes opening the same folder at once cannot both add a column.
 */
function migrate(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    addMissingColumns(db, 'transcript_activities', PARTICIPANT_COLUMNS);
    db.exec(INDEXES);
  }).immediate();
}

/**
 * Transcripts on the embedded store, in the same SQLite file as the ledger. Unlike the ledger,
 * rows may be deleted: transcripts are kept only as long as the retention period.
 */
export class SqliteTranscriptStore implements TranscriptStoreWithRetention, TranscriptSearch {
  readonly #db: SqliteDatabase;
  readonly #pageSize: number;
  readonly #now: () => Date;

  constructor(db: SqliteDatabase, options: TranscriptStoreOptions = {}) {
    this.#db = db;
    this.#pageSize = pageSizeOf(options);
    this.#now = options.now ?? (() => new Date());
    migrate(db);
  }

  logActivity(activity: Activity): Promise<void> {
    return attempt('log transcript activity', () => {
      const logged = toLogged(activity, this.#now);
      this.#db
        .prepare(
          `INSERT INTO transcript_activities (channel_id, conversation_id, ts, body)
           VALUES (?, ?, ?, ?)`,
        )
        .run(logged.channelId, logged.conversationId, logged.timestamp, logged.json);
    });
  }

  getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    return attempt('read transcript', () => {
      requireId(channelId, 'channelId');
      requireId(conversationId, 'conversationId');
      const scope = activitiesScope(channelId, conversationId);
      const [afterTs, afterSeq] = decodeToken(continuationToken, scope) ?? [
        Number.MIN_SAFE_INTEGER,
        0,
      ];
      const start = optionalTime(startDate, 'startDate') ?? Number.MIN_SAFE_INTEGER;
      const rows = this.#db
        .prepare<
          [string, string, number, number, number, number],
          { seq: number; ts: number; body: string }
        >(
          `SELECT seq, ts, body FROM transcript_activities
           WHERE channel_id = ? AND conversation_id = ? AND ts >= ? AND (ts, seq) > (?, ?)
           ORDER BY ts, seq LIMIT ?`,
        )
        .all(channelId, conversationId, start, afterTs, Number(afterSeq), this.#pageSize + 1);
      return pageOf(
        rows,
        this.#pageSize,
        scope,
        (row) => [row.ts, row.seq],
        (row) => toActivity(row.body),
      );
    });
  }

  listTranscripts(
    channelId: string,
    continuationToken?: string,
  ): Promise<PagedResult<TranscriptInfo>> {
    return attempt('list transcripts', () => {
      requireId(channelId, 'channelId');
      const scope = transcriptsScope(channelId);
      const afterId = String(decodeToken(continuationToken, scope)?.[1] ?? '');
      // Ordered by conversation id, as on MongoDB: a GROUP BY that walks the page index in order.
      const rows = this.#db
        .prepare<[string, string, number], { id: string; created: number }>(
          `SELECT conversation_id AS id, MIN(ts) AS created FROM transcript_activities
           WHERE channel_id = ? AND conversation_id > ?
           GROUP BY conversation_id
           ORDER BY conversation_id LIMIT ?`,
        )
        .all(channelId, afterId, this.#pageSize + 1);
      return pageOf(
        rows,
        this.#pageSize,
        scope,
        (row) => [row.created, row.id],
        (row) => ({ channelId, id: row.id, created: new Date(row.created) }),
      );
    });
  }

  searchConversations(
    query: TranscriptQuery,
    page: { limit: number; after?: string },
  ): Promise<ConversationPage> {
    return attempt('search transcripts', () => {
      const filter = transcriptFilter(query);
      const limit = searchLimit(page.limit);
      const scope = transcriptSearchScope(filter);
      const position = decodeConversationCursor(page.after, scope);
      const conditions = conversationConditions(filter);
      const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
      const having = position
        ? 'HAVING (MAX(ts), channel_id, conversation_id) < (:afterAt, :afterChannel, :afterId)'
        : '';
      const rows = this.#db
        .prepare<Record<string, string | number>, SummaryRow>(
          `SELECT channel_id AS channelId, conversation_id AS conversationId,
             MIN(ts) AS firstAt, MAX(ts) AS lastAt, COUNT(*) AS activities
           FROM transcript_activities ${where}
           GROUP BY channel_id, conversation_id ${having}
           ORDER BY lastAt DESC, channelId DESC, conversationId DESC LIMIT :limit`,
        )
        .all({
          ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)),
          ...(position && {
            afterAt: position.lastAt,
            afterChannel: position.channelId,
            afterId: position.conversationId,
          }),
          limit: limit + 1,
        });
      const { items, next } = pageFrom(rows, limit, (last) =>
        encodeConversationCursor(scope, last),
      );
      const conversations = items.map((row) => ({
        ...row,
        firstAt: new Date(row.firstAt).toISOString(),
        lastAt: new Date(row.lastAt).toISOString(),
      }));
      return next === undefined ? { conversations } : { conversations, next };
    });
  }

  deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    return attempt('delete transcript', () => {
      requireId(channelId, 'channelId');
      requireId(conversationId, 'conversationId');
      this.#db
        .prepare('DELETE FROM transcript_activities WHERE channel_id = ? AND conversation_id = ?')
        .run(channelId, conversationId);
    });
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    return attempt('delete old transcripts', () => {
      const limit = requiredTime(cutoff, 'cutoff');
      return this.#db.prepare('DELETE FROM transcript_activities WHERE ts < ?').run(limit).changes;
    });
  }

  activitiesOfUser(channelId: string, userId: string): Promise<Activity[]> {
    return attempt('read transcripts of user', () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      return this.#db
        .prepare<{ channelId: string; userId: string }, { body: string }>(
          `SELECT body FROM transcript_activities WHERE seq IN (${involving('seq')})
           ORDER BY ts, seq`,
        )
        .all({ channelId, userId })
        .map((row) => toActivity(row.body));
    });
  }

  deleteForUser(channelId: string, userId: string): Promise<number> {
    return attempt('delete transcripts of user', () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      // One statement: the conversations are found and deleted in the same write transaction.
      return this.#db
        .prepare<{ channelId: string; userId: string }>(
          `DELETE FROM transcript_activities
           WHERE channel_id = :channelId AND conversation_id IN (${involving('conversation_id')})`,
        )
        .run({ channelId, userId }).changes;
    });
  }
}
