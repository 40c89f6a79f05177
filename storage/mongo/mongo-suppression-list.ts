import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import {
  checkSuppressionEntry,
  type SuppressionEntry,
  type SuppressionList,
} from '../../consent/suppression.js';
import { DURABLE, mongoAttempt } from './mongo-errors.js';

/** One listed identifier. `_id` is the hash: its unique index is what makes `add` idempotent. */
interface SuppressionDocument {
  _id: string;
  kind: SuppressionEntry['kind'];
  reason: SuppressionEntry['reason'];
  /** Canonical ISO string, like every date the Mongo stores keep. */
  addedAt: string;
}

/**
 * The suppression list on MongoDB (6-8) and FerretDB v1. Entries are inserted, never updated: an
 * insert that collides with a listed hash leaves the first entry as it was.
 */
export class MongoSuppressionList implements SuppressionList {
  readonly #entries: Collection<SuppressionDocument>;

  constructor(db: Db) {
    this.#entries = db.collection<SuppressionDocument>('suppression');
  }

  /** Idempotent: safe at every start. The hash needs no index of its own: it is the `_id`. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create suppression indexes', async () => {
      // Audits list what was suppressed, and when.
      await this.#entries.createIndex({ addedAt: 1 });
    });
  }

  add(entries: readonly SuppressionEntry[]): Promise<void> {
    return mongoAttempt('add suppression entries', async () => {
      for (const entry of entries) checkSuppressionEntry(entry);
      // The first of repeated hashes in one call wins, as it would over two calls.
      const docs = new Map<string, SuppressionDocument>();
      for (const { hash, kind, reason, addedAt } of entries) {
        if (!docs.has(hash)) docs.set(hash, { _id: hash, kind, reason, addedAt });
      }
      if (docs.size === 0) return;
      try {
        await this.#entries.insertMany([...docs.values()], { ordered: false, ...DURABLE });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
    });
  }

  anyOf(hashes: readonly string[]): Promise<readonly SuppressionEntry[]> {
    return mongoAttempt('read suppression entries', async () => {
      const wanted = [...new Set(hashes)];
      if (wanted.length === 0) return [];
      const docs = await this.#entries.find({ _id: { $in: wanted } }).toArray();
      const byHash = new Map(docs.map((doc) => [doc._id, doc]));
      return wanted.flatMap((hash) => {
        const doc = byHash.get(hash);
        return doc ? [{ hash, kind: doc.kind, reason: doc.reason, addedAt: doc.addedAt }] : [];
      });
    });
  }
}

/**
 * An unordered insert whose every failure is a duplicate key, with no write concern error: every
 * other entry was written, and the duplicates are already listed.
 */
function onlyDuplicates(error: unknown): boolean {
  if (!(error instanceof MongoBulkWriteError) || error.err) return false;
  const writeErrors = ([] as WriteError[]).concat(error.writeErrors);
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
}
