import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { AccessLog, AccessLogQuery, AccessRecord } from '../../consent/access-log.js';
import {
  accessFilter,
  accessScope,
  checkAccessRecord,
  decodeAccessCursor,
  encodeAccessCursor,
  pageFrom,
  searchLimit,
} from '../search-rules.js';
import { DURABLE, mongoAttempt } from './mongo-errors.js';

/**
 * One access. `_id` is made when it is recorded: the tie-breaker between accesses of the same
 * millisecond. The record is kept as JSON text: `detail` keys are the caller's, and MongoDB
 * refuses keys with "." or a leading "$" as field names.
 */
interface AccessDocument {
  _id: ObjectId;
  at: string;
  principal: string;
  record: string;
}

function objectIdOf(key: string | number): ObjectId {
  if (typeof key !== 'string' || !/^[0-9a-f]{24}$/.test(key)) {
    throw new RangeError('cursor is not an access-log cursor');
  }
  return new ObjectId(key);
}

/** The access log on MongoDB (6-8) and FerretDB v1, collection `access_log`. Insert only. */
export class MongoAccessLog implements AccessLog {
  readonly #log: Collection<AccessDocument>;

  constructor(db: Db) {
    this.#log = db.collection<AccessDocument>('access_log');
  }

  /** Idempotent: safe at every start. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create access log indexes', async () => {
      // Newest first, for everyone or for one principal: one index range per page.
      await this.#log.createIndex({ at: -1, _id: -1 }, { name: 'access_log_time' }, undefined);
      await this.#log.createIndex(
        { principal: 1, at: -1, _id: -1 },
        { name: 'access_log_principal' },
        undefined,
      );
    });
  }

  record(entry: AccessRecord): Promise<void> {
    return mongoAttempt('record access', async () => {
      const checked = checkAccessRecord(entry);
      await this.#log.insertOne(
        {
          _id: new ObjectId(),
          at: checked.at,
          principal: checked.principal,
          record: JSON.stringify(checked),
        },
        DURABLE,
      );
    });
  }

  list(
    query: AccessLogQuery,
    page: { limit: number; after?: string },
  ): Promise<{ readonly records: readonly AccessRecord[]; readonly next?: string }> {
    return mongoAttempt('list accesses', async () => {
      const filter = accessFilter(query);
      const limit = searchLimit(page.limit);
      const scope = accessScope(filter);
      const position = decodeAccessCursor(page.after, scope);
      const selection: Filter<AccessDocument> = {};
      if (filter.principal !== undefined) selection.principal = filter.principal;
      if (filter.from !== undefined || filter.to !== undefined) {
        selection.at = {
          ...(filter.from === undefined ? {} : { $gte: filter.from }),
          ...(filter.to === undefined ? {} : { $lt: filter.to }),
        };
      }
      if (position) {
        selection.$or = [
          { at: { $lt: position.at } },
          { at: position.at, _id: { $lt: objectIdOf(position.key) } },
        ];
      }
      const docs = await this.#log
        .find(selection)
        .sort({ at: -1, _id: -1 })
        .limit(limit + 1)
        .toArray();
      const { items, next } = pageFrom(docs, limit, (last) =>
        encodeAccessCursor(scope, last.at, last._id.toHexString()),
      );
      const records = items.map((doc) => JSON.parse(doc.record) as AccessRecord);
      return next === undefined ? { records } : { records, next };
    });
  }
}
