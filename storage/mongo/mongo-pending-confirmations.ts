import type { Collection, Db } from 'mongodb';
import pMap from 'p-map';
import type { Locale } from '../../consent/catalogue.js';
import {
  checkPendingConfirmation,
  checkTakeLimit,
  DEFAULT_TAKE_EXPIRED_LIMIT,
  type PendingConfirmation,
  type PendingConfirmations,
} from '../../consent/confirmations.js';
import type { Subject } from '../../consent/subject.js';
import { DURABLE, isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/**
 * One pending confirmation. `_id` is the token hash (unique by construction). The subject is two
 * plain string fields, so ids with "." or "$" are values, never field names. Dates are canonical
 * ISO strings (checked on create): they compare as their instants, on MongoDB and FerretDB alike.
 */
interface ConfirmationDocument {
  _id: string;
  channelId: string;
  userId: string;
  purposeId: string;
  email: string;
  locale: Locale;
  createdAt: string;
  expiresAt: string;
}

/** Deletes sent at once by takeExpired: enough to be quick, few enough to leave the pool free. */
const DELETES_IN_FLIGHT = 16;

/**
 * Pending double opt-in confirmations on MongoDB (6-8) and FerretDB v1. Expiry is enforced by the
 * query (a token at or past its expiry never matches) and clean-up by the retention schedule, not a
 * TTL index: FerretDB v1 has none, and a TTL monitor runs only once a minute anyway.
 */
export class MongoPendingConfirmations implements PendingConfirmations {
  readonly #pending: Collection<ConfirmationDocument>;

  constructor(db: Db) {
    this.#pending = db.collection<ConfirmationDocument>('pending_confirmations');
  }

  /** Idempotent: safe at every start. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create confirmation indexes', async () => {
      await this.#pending.createIndex({ expiresAt: 1 });
      await this.#pending.createIndex({ channelId: 1, userId: 1 });
    });
  }

  create(confirmation: PendingConfirmation): Promise<void> {
    return mongoAttempt('create pending confirmation', async () => {
      checkPendingConfirmation(confirmation);
      const c = confirmation;
      try {
        await this.#pending.insertOne(
          {
            _id: c.tokenHash,
            channelId: c.subject.channelId,
            userId: c.subject.userId,
            purposeId: c.purposeId,
            email: c.email,
            locale: c.locale,
            createdAt: c.createdAt,
            expiresAt: c.expiresAt,
          },
          DURABLE,
        );
      } catch (error) {
        if (isDuplicateKey(error)) {
          throw new RangeError('confirmation: this token hash is already pending');
        }
        throw error;
      }
    });
  }

  consume(tokenHash: string, now: Date): Promise<PendingConfirmation | undefined> {
    return mongoAttempt('consume pending confirmation', async () => {
      // Not findOneAndDelete: FerretDB v1 returns the document to every concurrent caller of a
      // findAndModify remove (it ignores how many rows its delete removed). A delete's count is
      // exact on MongoDB and FerretDB alike, and documents are never updated, so the caller whose
      // delete removed the document is the one winner, and what it read is what it removed.
      const live = { _id: tokenHash, expiresAt: { $gt: now.toISOString() } };
      const doc = await this.#pending.findOne(live);
      if (!doc) return undefined;
      const { deletedCount } = await this.#pending.deleteOne(live, DURABLE);
      return deletedCount === 1 ? toConfirmation(doc) : undefined;
    });
  }

  takeExpired(
    now: Date,
    limit: number = DEFAULT_TAKE_EXPIRED_LIMIT,
  ): Promise<readonly PendingConfirmation[]> {
    return mongoAttempt('take expired confirmations', async () => {
      checkTakeLimit(limit);
      // As in consume: find, then delete each one by one; a document belongs to the caller whose
      // deleteOne removed it (deletedCount is exact on FerretDB too, findOneAndDelete is not).
      const expired = { expiresAt: { $lte: now.toISOString() } };
      const docs = await this.#pending
        .find(expired)
        .sort({ expiresAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      const results = await pMap(
        docs,
        (doc) => this.#pending.deleteOne({ _id: doc._id, ...expired }, DURABLE),
        { concurrency: DELETES_IN_FLIGHT },
      );
      // p-map answers in the documents' order, so the oldest expiry still comes first.
      return docs.flatMap((doc, i) =>
        results[i]?.deletedCount === 1 ? [toConfirmation(doc)] : [],
      );
    });
  }

  deleteForSubject(subject: Subject, purposeIds?: readonly string[]): Promise<number> {
    return mongoAttempt('delete confirmations of a subject', async () => {
      const result = await this.#pending.deleteMany(
        {
          channelId: subject.channelId,
          userId: subject.userId,
          ...(purposeIds ? { purposeId: { $in: [...purposeIds] } } : {}),
        },
        DURABLE,
      );
      return result.deletedCount;
    });
  }
}

function toConfirmation(doc: ConfirmationDocument): PendingConfirmation {
  return {
    tokenHash: doc._id,
    subject: { channelId: doc.channelId, userId: doc.userId },
    purposeId: doc.purposeId,
    email: doc.email,
    locale: doc.locale,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
  };
}
