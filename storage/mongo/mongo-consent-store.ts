import type { Collection, Db, Filter } from 'mongodb';
import {
  LedgerConflictError,
  type AppendOptions,
  type ConsentDecision,
  type ConsentEvent,
  type ConsentLedger,
  type DecisionCount,
  type LedgerPage,
  type LedgerQuery,
  type LedgerSearch,
  type NoticeArchive,
  type NoticeRecord,
  type Period,
} from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
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
  DecisionTally,
  decodeEventCursor,
  encodeEventCursor,
  ledgerFilter,
  ledgerScope,
  pageFrom,
  periodOf,
  SCAN_BATCH,
  searchLimit,
  type LedgerFilter,
} from '../search-rules.js';
import { DURABLE, isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/** One ledger event. `_id` is subject#seq: the unique _id is what keeps the sequence gapless. */
interface EventDocument {
  _id: string;
  subjectKey: string;
  seq: number;
  deliveryKey: string;
  purposeId: string;
  recordedAt: string;
  event: ConsentEvent;
}

interface NoticeDocument {
  _id: string;
  notice: NoticeRecord;
  archivedAt: string;
}

/**
 * The field each equality filter compares. Those not kept at the top level are read inside the
 * event itself (`event.<field>`), so documents written before search existed match without a
 * backfill: no ledger document is ever updated, and a search reads the very values the hash chain
 * covers.
 */
const FILTER_FIELDS = {
  subjectKey: 'subjectKey',
  channelId: 'event.channelId',
  purposeId: 'purposeId',
  decision: 'event.decision',
  catalogueVersion: 'event.catalogueVersion',
  conversationId: 'event.conversationId',
} as const;

function mongoFilterOf(filter: LedgerFilter): Filter<EventDocument> {
  const query: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(FILTER_FIELDS)) {
    const value = filter[field as keyof typeof FILTER_FIELDS];
    if (value !== undefined) query[path] = value;
  }
  if (filter.from !== undefined || filter.to !== undefined) {
    query.recordedAt = {
      ...(filter.from === undefined ? {} : { $gte: filter.from }),
      ...(filter.to === undefined ? {} : { $lt: filter.to }),
    };
  }
  return query;
}

/** Below (or above) a keyset position of two fields, as one filter. */
function beyond(
  first: string,
  second: string,
  position: readonly [string, string | number],
  direction: '$lt' | '$gt',
): Record<string, unknown> {
  return {
    $or: [
      { [first]: { [direction]: position[0] } },
      { [first]: position[0], [second]: { [direction]: position[1] } },
    ],
  };
}

/** Two writers racing for the same seq: the loser re-reads and tries again. */
const APPEND_ATTEMPTS = 20;

/**
 * The ledger and notice archive on MongoDB (6-8) and FerretDB v1. No multi-document transactions:
 * each event is its own document, and a redelivered activity is recognised by a unique
 * (subject, delivery key) index, so an append interrupted half-way is completed, not duplicated,
 * when the same activity comes again. Only inserts against unique keys decide races: on FerretDB
 * v1 they are the one atomic compare-and-set.
 */
export class MongoConsentStore implements ConsentLedger, LedgerSearch, NoticeArchive {
  readonly #events: Collection<EventDocument>;
  readonly #notices: Collection<NoticeDocument>;

  readonly #options: ConsentStoreOptions;

  constructor(db: Db, options: ConsentStoreOptions = {}) {
    this.#options = options;
    this.#events = db.collection<EventDocument>('consent_events');
    this.#notices = db.collection<NoticeDocument>('notices');
  }

  /** Idempotent: safe at every start. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create ledger indexes', async () => {
      await this.#events.createIndex({ subjectKey: 1, seq: 1 }, { unique: true }, undefined);
      await this.#events.createIndex(
        { subjectKey: 1, deliveryKey: 1 },
        { unique: true },
        undefined,
      );
      // Current status: the newest event of each purpose, one index lookup per purpose.
      await this.#events.createIndex({ subjectKey: 1, purposeId: 1, seq: -1 });
      await this.#events.createIndex({ purposeId: 1, recordedAt: 1 });
      // Compliance search: each filter, then newest first by (recordedAt, event.id).
      await this.#events.createIndex(
        { recordedAt: -1, 'event.id': -1 },
        { name: 'consent_events_time' },
        undefined,
      );
      for (const [field, path] of Object.entries(FILTER_FIELDS)) {
        if (field !== 'subjectKey') {
          await this.#events.createIndex(
            { [path]: 1, recordedAt: -1, 'event.id': -1 },
            { name: `consent_events_by_${field}` },
            undefined,
          );
        }
      }
      // Counting reads only these fields: a covered query on MongoDB.
      await this.#events.createIndex(
        { recordedAt: 1, purposeId: 1, 'event.decision': 1 },
        { name: 'consent_events_counts' },
        undefined,
      );
    });
  }

  append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
    options?: AppendOptions,
  ): Promise<readonly ConsentEvent[]> {
    if (decisions.length === 0) return Promise.resolve([]);
    return mongoAttempt('append consent events', () =>
      this.#append(decisions, recordedAt, options),
    );
  }

  async #append(
    decisions: readonly ConsentDecision[],
    at: Date,
    options: AppendOptions | undefined,
  ): Promise<ConsentEvent[]> {
    const key = singleSubjectKey(decisions);
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      const keys = decisions.map(deliveryKey);
      const recorded = new Map(
        (await this.#events.find({ subjectKey: key, deliveryKey: { $in: keys } }).toArray()).map(
          (doc) => [doc.deliveryKey, doc.event],
        ),
      );
      const redelivered = keys.flatMap((k) => recorded.get(k) ?? []);
      if (redelivered.length === keys.length) return redelivered;
      // Seq and chain link both come from this one read: a writer that raced it loses on _id.
      const last = await this.#events.findOne({ subjectKey: key }, { sort: { seq: -1 } });
      checkHead(last?.seq ?? 0, options);
      let seq = (last?.seq ?? 0) + 1;
      let prevHash = last?.event.hash ?? GENESIS_HASH;
      const fresh: EventDocument[] = [];
      const result = decisions.map((decision) => {
        const already = recorded.get(deliveryKey(decision));
        if (already) return already;
        const event = toEvent(decision, seq++, at, prevHash, this.#options.seal);
        prevHash = event.hash;
        fresh.push({
          _id: `${key}#${event.seq}`,
          subjectKey: key,
          seq: event.seq,
          deliveryKey: deliveryKey(event),
          purposeId: event.purposeId,
          recordedAt: event.recordedAt,
          event,
        });
        return event;
      });
      try {
        await this.#events.insertMany(fresh, { ordered: true, ...DURABLE });
      } catch (error) {
        // Another writer took the next seq (or recorded this very delivery) first. With an
        // expected head that is a conflict for the caller to decide on; without, read again.
        if (isDuplicateKey(error)) {
          if (options?.expectedHead === undefined) continue;
          throw new LedgerConflictError('ledger moved on while appending');
        }
        throw error;
      }
      return result;
    }
    throw new Error(`append: ${APPEND_ATTEMPTS} conflicting writers in a row`);
  }

  head(subject: Subject): Promise<number> {
    return mongoAttempt('read ledger head', async () => {
      const last = await this.#events.findOne(
        { subjectKey: subjectKey(subject) },
        { sort: { seq: -1 }, projection: { seq: 1 } },
      );
      return last?.seq ?? 0;
    });
  }

  history(subject: Subject): Promise<readonly ConsentEvent[]> {
    return mongoAttempt('read consent history', async () =>
      (
        await this.#events
          .find({ subjectKey: subjectKey(subject) })
          .sort({ seq: 1 })
          .toArray()
      ).map((doc) => doc.event),
    );
  }

  /**
   * Derived at read time from the events themselves, never from a projection updated in place:
   * FerretDB v1 does not apply a conditional update atomically, so a projection could go
   * backwards under concurrent writers and show "granted" after a withdrawal.
   */
  latest(subject: Subject): Promise<readonly ConsentEvent[]> {
    return mongoAttempt('read consent status', async () => {
      const key = subjectKey(subject);
      const purposes = await this.#events.distinct('purposeId', { subjectKey: key });
      const newest = await Promise.all(
        purposes.map((purposeId) =>
          this.#events.findOne({ subjectKey: key, purposeId }, { sort: { seq: -1 } }),
        ),
      );
      return newest.flatMap((doc) => (doc ? [doc.event] : [])).sort((a, b) => a.seq - b.seq);
    });
  }

  search(query: LedgerQuery, page: { limit: number; after?: string }): Promise<LedgerPage> {
    return mongoAttempt('search consent events', async () => {
      const filter = ledgerFilter(query);
      const limit = searchLimit(page.limit);
      const scope = ledgerScope(filter);
      const position = decodeEventCursor(page.after, scope);
      const base = mongoFilterOf(filter);
      const docs = await this.#events
        .find(
          position
            ? {
                $and: [
                  base,
                  beyond('recordedAt', 'event.id', [position.recordedAt, position.id], '$lt'),
                ],
              }
            : base,
        )
        .sort({ recordedAt: -1, 'event.id': -1 })
        .limit(limit + 1)
        .toArray();
      const { items, next } = pageFrom(
        docs.map((doc) => doc.event),
        limit,
        (last) => encodeEventCursor(scope, last),
      );
      return next === undefined ? { events: items } : { events: items, next };
    });
  }

  /** Keyset batches, each one range of an index: memory stays at one batch. */
  async *scan(query: LedgerQuery, order: 'recorded' | 'chain'): AsyncIterable<ConsentEvent> {
    const base = mongoFilterOf(ledgerFilter(query));
    const [first, second] =
      order === 'chain' ? (['subjectKey', 'seq'] as const) : (['recordedAt', 'event.id'] as const);
    let position: readonly [string, string | number] | undefined;
    for (;;) {
      const docs = await mongoAttempt('scan consent events', () =>
        this.#events
          .find(position ? { $and: [base, beyond(first, second, position, '$gt')] } : base)
          .sort({ [first]: 1, [second]: 1 })
          .limit(SCAN_BATCH)
          .toArray(),
      );
      for (const doc of docs) yield doc.event;
      const last = docs.at(-1);
      if (last === undefined || docs.length < SCAN_BATCH) return;
      position = order === 'chain' ? [last.subjectKey, last.seq] : [last.recordedAt, last.event.id];
    }
  }

  /**
   * Counted in the application over a stream of three fields: FerretDB v1 has no $substrBytes (nor
   * any string operator) to group by day or month in an aggregation. Memory stays at the tally.
   */
  countDecisions(query: LedgerQuery, period: Period): Promise<readonly DecisionCount[]> {
    return mongoAttempt('count consent decisions', async () => {
      const filter = ledgerFilter(query);
      checkPeriod(period);
      const tally = new DecisionTally();
      const cursor = this.#events.find(mongoFilterOf(filter), {
        projection: { _id: 0, recordedAt: 1, purposeId: 1, 'event.decision': 1 },
        batchSize: SCAN_BATCH,
      });
      for await (const doc of cursor) {
        tally.add(periodOf(doc.recordedAt, period), doc.purposeId, doc.event.decision);
      }
      return tally.counts();
    });
  }

  archive(notice: NoticeRecord): Promise<void> {
    return mongoAttempt('archive notice', async () => {
      try {
        await this.#notices.insertOne(
          { _id: notice.hash, notice, archivedAt: new Date().toISOString() },
          DURABLE,
        );
      } catch (error) {
        // Notices never change: the first text archived under a hash stays; a second is no error.
        if (!isDuplicateKey(error)) throw error;
      }
    });
  }

  get(hash: string): Promise<NoticeRecord | undefined> {
    return mongoAttempt('read notice', async () => {
      const doc = await this.#notices.findOne({ _id: hash });
      return doc?.notice;
    });
  }
}
