import {
  checkPendingConfirmation,
  checkTakeLimit,
  DEFAULT_TAKE_EXPIRED_LIMIT,
  type PendingConfirmation,
  type PendingConfirmations,
} from '../../consent/confirmations.js';
import type { Locale } from '../../consent/catalogue.js';
import type { Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface ConfirmationRow {
  token_hash: string;
  channel_id: string;
  user_id: string;
  purpose_id: string;
  email: string;
  locale: Locale;
  created_at: string;
  expires_at: string;
}

const COLUMNS =
  'token_hash, channel_id, user_id, purpose_id, email, locale, created_at, expires_at';

/**
 * Pending double opt-in confirmations on the embedded store. Dates are canonical ISO strings
 * (checked on create), so comparing them as text compares the instants. Consuming is a single
 * DELETE ... RETURNING: only one caller can take a row out, however many race for it.
 */
export class SqlitePendingConfirmations implements PendingConfirmations {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS pending_confirmations (
      token_hash TEXT PRIMARY KEY,
      channel_id TEXT NOT NULL,
      user_id    TEXT NOT NULL,
      purpose_id TEXT NOT NULL,
      email      TEXT NOT NULL,
      locale     TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS pending_confirmations_expiry
      ON pending_confirmations (expires_at);
    CREATE INDEX IF NOT EXISTS pending_confirmations_subject
      ON pending_confirmations (channel_id, user_id)`);
  }

  create(confirmation: PendingConfirmation): Promise<void> {
    return attempt('create pending confirmation', () => {
      checkPendingConfirmation(confirmation);
      const c = confirmation;
      try {
        this.#db
          .prepare(`INSERT INTO pending_confirmations (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(
            c.tokenHash,
            c.subject.channelId,
            c.subject.userId,
            c.purposeId,
            c.email,
            c.locale,
            c.createdAt,
            c.expiresAt,
          );
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new RangeError('confirmation: this token hash is already pending');
        }
        throw error;
      }
    });
  }

  consume(tokenHash: string, now: Date): Promise<PendingConfirmation | undefined> {
    return attempt('consume pending confirmation', () => {
      const row = this.#db
        .prepare<[string, string], ConfirmationRow>(
          `DELETE FROM pending_confirmations WHERE token_hash = ? AND expires_at > ?
           RETURNING ${COLUMNS}`,
        )
        .get(tokenHash, now.toISOString());
      return row && toConfirmation(row);
    });
  }

  takeExpired(
    now: Date,
    limit: number = DEFAULT_TAKE_EXPIRED_LIMIT,
  ): Promise<readonly PendingConfirmation[]> {
    return attempt('take expired confirmations', () => {
      checkTakeLimit(limit);
      // One DELETE ... RETURNING: a row is handed to the one statement that removed it.
      const rows = this.#db
        .prepare<[string, number], ConfirmationRow>(
          `DELETE FROM pending_confirmations WHERE token_hash IN (
             SELECT token_hash FROM pending_confirmations WHERE expires_at <= ?
             ORDER BY expires_at, token_hash LIMIT ?)
           RETURNING ${COLUMNS}`,
        )
        .all(now.toISOString(), limit);
      // RETURNING gives rows in no promised order.
      return rows
        .map(toConfirmation)
        .sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : 0));
    });
  }

  deleteForSubject(subject: Subject, purposeIds?: readonly string[]): Promise<number> {
    return attempt('delete confirmations of a subject', () => {
      const ofPurposes = purposeIds ? ` AND purpose_id IN (SELECT value FROM json_each(?))` : '';
      return this.#db
        .prepare(
          `DELETE FROM pending_confirmations WHERE channel_id = ? AND user_id = ?${ofPurposes}`,
        )
        .run(subject.channelId, subject.userId, ...(purposeIds ? [JSON.stringify(purposeIds)] : []))
        .changes;
    });
  }
}

function toConfirmation(row: ConfirmationRow): PendingConfirmation {
  return {
    tokenHash: row.token_hash,
    subject: { channelId: row.channel_id, userId: row.user_id },
    purposeId: row.purpose_id,
    email: row.email,
    locale: row.locale,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
