import {
  checkAddressSubject,
  checkVerifiedAddress,
  type ContactAddresses,
  type VerifiedAddress,
} from '../../consent/contact-addresses.js';
import type { Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Verified addresses on the embedded store: one row per subject, replaced when the person confirms
 * another address, deleted on erasure. The subject is two columns, so no separator inside an id
 * can make two subjects one.
 */
export class SqliteContactAddresses implements ContactAddresses {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS contact_addresses (
      channel_id  TEXT NOT NULL,
      user_id     TEXT NOT NULL,
      email       TEXT NOT NULL,
      verified_at TEXT NOT NULL,
      PRIMARY KEY (channel_id, user_id)
    ) WITHOUT ROWID`);
  }

  set(subject: Subject, address: VerifiedAddress): Promise<void> {
    return attempt('write contact address', () => {
      checkVerifiedAddress(subject, address);
      this.#db
        .prepare<[string, string, string, string]>(
          `INSERT INTO contact_addresses (channel_id, user_id, email, verified_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (channel_id, user_id)
           DO UPDATE SET email = excluded.email, verified_at = excluded.verified_at`,
        )
        .run(subject.channelId, subject.userId, address.email, address.verifiedAt);
    });
  }

  get(subject: Subject): Promise<VerifiedAddress | undefined> {
    return attempt('read contact address', () => {
      checkAddressSubject(subject);
      const row = this.#db
        .prepare<[string, string], { email: string; verified_at: string }>(
          `SELECT email, verified_at FROM contact_addresses
           WHERE channel_id = ? AND user_id = ?`,
        )
        .get(subject.channelId, subject.userId);
      return row ? { email: row.email, verifiedAt: row.verified_at } : undefined;
    });
  }

  delete(subject: Subject): Promise<boolean> {
    return attempt('delete contact address', () => {
      checkAddressSubject(subject);
      const result = this.#db
        .prepare<[string, string]>(
          'DELETE FROM contact_addresses WHERE channel_id = ? AND user_id = ?',
        )
        .run(subject.channelId, subject.userId);
      return result.changes > 0;
    });
  }
}
