import { randomBytes } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';
import {
  checkOptOutReason,
  isOptOutReason,
  orderedCounts,
  summaryDays,
  type OptOutReason,
  type OptOutReasonCount,
  type OptOutReasons,
} from '../../consent/opt-out-reasons.js';
import { DURABLE, mongoAttempt } from './mongo-errors.js';

/** One answer: the day and the reason, nothing else. */
interface ReasonDocument {
  _id: ObjectId;
  /** YYYY-MM-DD, UTC. */
  day: string;
  reason: OptOutReason;
}

interface GroupedCount {
  _id: { day: string; reason: string };
  count: number;
}

/**
 * The `_id` of an answer: an ObjectId whose time part is the start of the day and whose other
 * eight bytes are random. A driver-made ObjectId would carry the second of the answer (and a
 * counter giving the order of arrival): enough to join it back to the withdrawal in the ledger.
 */
function anonymousId(day: string): ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(Date.parse(`${day}T00:00:00.000Z`) / 1000), 0);
  randomBytes(8).copy(bytes, 4);
  return new ObjectId(bytes);
}

/**
 * Opt-out reasons on MongoDB (6-8) and FerretDB v1: one document inserted per answer, never
 * updated (FerretDB applies no update atomically, so a shared counter could lose answers), counted
 * by aggregation ($match, $group, $sum: all FerretDB v1 supports).
 */
export class MongoOptOutReasons implements OptOutReasons {
  readonly #answers: Collection<ReasonDocument>;

  constructor(db: Db) {
    this.#answers = db.collection<ReasonDocument>('opt_out_reasons');
  }

  /** Idempotent: safe at every start. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create opt-out reason indexes', async () => {
      await this.#answers.createIndex({ day: 1, reason: 1 });
    });
  }

  record(reason: OptOutReason, at: Date): Promise<void> {
    return mongoAttempt('record an opt-out reason', async () => {
      const day = checkOptOutReason(reason, at);
      await this.#answers.insertOne({ _id: anonymousId(day), day, reason }, DURABLE);
    });
  }

  summary(from: Date, to: Date): Promise<readonly OptOutReasonCount[]> {
    return mongoAttempt('summarise opt-out reasons', async () => {
      const { first, last } = summaryDays(from, to);
      const groups = await this.#answers
        .aggregate<GroupedCount>([
          { $match: { day: { $gte: first, $lte: last } } },
          { $group: { _id: { day: '$day', reason: '$reason' }, count: { $sum: 1 } } },
        ])
        .toArray();
      return orderedCounts(
        groups.flatMap(({ _id: { day, reason }, count }) =>
          isOptOutReason(reason) ? [{ day, reason, count }] : [],
        ),
      );
    });
  }
}
