import type { Activity, PagedResult, TranscriptInfo } from 'botbuilder';
import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import {
  activitiesScope,
  decodeToken,
  optionalTime,
  pageOf,
  participantId,
  pageSizeOf,
  requiredTime,
  requireId,
  toActivity,
  toLogged,
  transcriptsScope,
  type Position,
  type TranscriptStoreOptions,
  type ConversationPage,
  type ConversationSummary,
  type TranscriptQuery,
  type TranscriptSearch,
  type TranscriptStoreWithRetention,
} from '../transcript-rules.js';
import {
  decodeConversationCursor,
  encodeConversationCursor,
  mostRecentFirst,
  pageFrom,
  searchLimit,
  transcriptFilter,
  transcriptSearchScope,
} from '../search-rules.js';
import { DURABLE, mongoAttempt } from './mongo-errors.js';

/**
 * One activity. `_id` is made by this process when it logs (time, process, counter), so among
 * activities of the same millisecond it follows the order they were logged: the tie-breaker of the
 * sort, unique across servers, with no counter to coordinate.
 */
interface TranscriptDocument {
  _id: ObjectId;
  channelId: string;
  conversationId: string;
  timestamp: Date;
  /** The activity as JSON text: its channelData may hold keys MongoDB refuses as field names. */
  activity: string;
  /**
   * `from.id` and `recipient.id` (null when absent), as two plain string fields, not an array:
   * what access and erasure search by. Absent only on documents logged before they existed
   * (filled in by ensureIndexes).
   */
  fromId?: string | null;
  recipientId?: string | null;
}

/** Documents whose participants ensureIndexes fills in per round trip. */
const BACKFILL_BATCH = 500;

/** listTranscripts: activities of one conversation read before skipping to the next one. */
const SKIP_AFTER = 64;

/** listTranscripts: the largest batch one page's query asks for. */
const LIST_BATCH_MAX = 1000;

/** Conversations whose activities one query reads, as an $or of (channel, conversation) pairs. */
const SUMMARY_BATCH = 100;

/** A conversation being summed up by a search. */
interface Tally {
  readonly channelId: string;
  readonly conversationId: string;
  first: number;
  last: number;
  activities: number;
}

const conversationKey = (doc: { channelId: string; conversationId: string }): string =>
  JSON.stringify([doc.channelId, doc.conversationId]);

interface ConversationRow {
  readonly _id: string;
  readonly created: Date;
}

function objectIdOf(position: Position): ObjectId {
  const hex = position[1];
  if (typeof hex !== 'string' || !/^[0-9a-f]{24}$/.test(hex)) {
    throw new RangeError('continuationToken is not a token this store issued');
  }
  return new ObjectId(hex);
}

/**
 * Transcripts on MongoDB (6-8) and FerretDB v1, collection `transcripts`. Retention is the
 * application's scheduled deleteOlderThan, not a TTL index: FerretDB has none.
 */
export class MongoTranscriptStore implements TranscriptStoreWithRetention, TranscriptSearch {
  readonly #transcripts: Collection<TranscriptDocument>;
  readonly #pageSize: number;
  readonly #now: () => Date;

  constructor(db: Db, options: TranscriptStoreOptions = {}) {
    this.#transcripts = db.collection<TranscriptDocument>('transcripts');
    this.#pageSize = pageSizeOf(options);
    this.#now = options.now ?? (() => new Date());
  }

  /** Idempotent: creating an index that exists with the same keys and name does nothing. */
  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create transcript indexes', async () => {
      // Every page, of activities or of the channel's list, is one range of this index.
      await this.#transcripts.createIndex(
        { channelId: 1, conversationId: 1, timestamp: 1, _id: 1 },
        { name: 'transcripts_page' },
        undefined,
      );
      // The retention clean-up deletes by age alone.
      await this.#transcripts.createIndex({ timestamp: 1 }, { name: 'transcripts_age' }, undefined);
      // Access and erasure find a person's activities by either side of the exchange.
      await this.#transcripts.createIndex(
        { channelId: 1, fromId: 1 },
        { name: 'transcripts_from' },
        undefined,
      );
      await this.#transcripts.createIndex(
        { channelId: 1, recipientId: 1 },
        { name: 'transcripts_recipient' },
        undefined,
      );
      await this.#backfillParticipants();
    });
  }

  /**
   * Activities logged before the participant fields existed get them from their JSON, so an
   * erasure never misses them. Setting a value computed from the document's own immutable JSON is
   * idempotent: two servers starting at once may both write it, with the same result.
   */
  async #backfillParticipants(): Promise<void> {
    for (;;) {
      const docs = await this.#transcripts
        .find({ fromId: { $exists: false } }, { projection: { activity: 1 } })
        .limit(BACKFILL_BATCH)
        .toArray();
      for (const doc of docs) {
        const activity = JSON.parse(doc.activity) as Partial<Activity>;
        await this.#transcripts.updateOne(
          { _id: doc._id },
          {
            $set: {
              fromId: participantId(activity.from),
              recipientId: participantId(activity.recipient),
            },
          },
          DURABLE,
        );
      }
      if (docs.length < BACKFILL_BATCH) return;
    }
  }

  logActivity(activity: Activity): Promise<void> {
    return mongoAttempt('log transcript activity', async () => {
      const logged = toLogged(activity, this.#now);
      await this.#transcripts.insertOne(
        {
          _id: new ObjectId(),
          channelId: logged.channelId,
          conversationId: logged.conversationId,
          timestamp: new Date(logged.timestamp),
          activity: logged.json,
          fromId: logged.fromId,
          recipientId: logged.recipientId,
        },
        DURABLE,
      );
    });
  }

  getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    return mongoAttempt('read transcript', async () => {
      requireId(channelId, 'channelId');
      requireId(conversationId, 'conversationId');
      const scope = activitiesScope(channelId, conversationId);
      const position = decodeToken(continuationToken, scope);
      const start = optionalTime(startDate, 'startDate');
      const filter: Filter<TranscriptDocument> = { channelId, conversationId };
      if (start !== undefined) filter.timestamp = { $gte: new Date(start) };
      if (position) {
        const time = new Date(position[0]);
        filter.$or = [
          { timestamp: { $gt: time } },
          { timestamp: time, _id: { $gt: objectIdOf(position) } },
        ];
      }
      const docs = await this.#transcripts
        .find(filter)
        .sort({ timestamp: 1, _id: 1 })
        .limit(this.#pageSize + 1)
        .toArray();
      return pageOf(
        docs,
        this.#pageSize,
        scope,
        (doc) => [doc.timestamp.getTime(), doc._id.toHexString()],
        (doc) => toActivity(doc.activity),
      );
    });
  }

  listTranscripts(
    channelId: string,
    continuationToken?: string,
  ): Promise<PagedResult<TranscriptInfo>> {
    return mongoAttempt('list transcripts', async () => {
      requireId(channelId, 'channelId');
      const scope = transcriptsScope(channelId);
      const position = decodeToken(continuationToken, scope);
      // FerretDB v1 has no $min, $first or $push in $group, so no aggregation. One query per page
      // reads the channel's activities in page-index order (conversation, time, id: on MongoDB one
      // range of "transcripts_page", no sort): the first activity of each conversation is its
      // creation time. A query per conversation cost a scan each on FerretDB, which pushes no
      // filter down (100 conversations took seconds). A long conversation is skipped by a new
      // query from the next conversation id, so a page never reads much more than it lists.
      const rows: ConversationRow[] = [];
      let after = position === undefined ? undefined : String(position[1]);
      for (;;) {
        let skipFrom: string | undefined;
        const cursor = this.#transcripts.find(
          after === undefined ? { channelId } : { channelId, conversationId: { $gt: after } },
          {
            sort: { conversationId: 1, timestamp: 1, _id: 1 },
            projection: { conversationId: 1, timestamp: 1 },
            batchSize: Math.min(LIST_BATCH_MAX, (this.#pageSize + 1) * 4),
          },
        );
        try {
          let more = 0;
          for await (const doc of cursor) {
            if (doc.conversationId === rows.at(-1)?._id) {
              more += 1;
              if (more < SKIP_AFTER) continue;
              skipFrom = doc.conversationId;
              break;
            }
            rows.push({ _id: doc.conversationId, created: doc.timestamp });
            more = 0;
            if (rows.length > this.#pageSize) break;
          }
        } finally {
          await cursor.close();
        }
        if (skipFrom === undefined) break;
        after = skipFrom;
      }
      return pageOf(
        rows,
        this.#pageSize,
        scope,
        (row) => [row.created.getTime(), row._id],
        (row) => ({ channelId, id: row._id, created: row.created }),
      );
    });
  }

  /**
   * FerretDB v1 has no $min or $max in $group, so conversations are summed up here, over a
   * projection of (channel, conversation, time): first the conversations that have an activity of
   * the person and one in the date range (each an index search: participants, age), then only
   * their activities (page index). Without those filters, every activity of the channel is read.
   * Memory follows the number of conversations, not of activities.
   */
  searchConversations(
    query: TranscriptQuery,
    page: { limit: number; after?: string },
  ): Promise<ConversationPage> {
    return mongoAttempt('search transcripts', async () => {
      const filter = transcriptFilter(query);
      const limit = searchLimit(page.limit);
      const scope = transcriptSearchScope(filter);
      const position = decodeConversationCursor(page.after, scope);
      const inChannel: Filter<TranscriptDocument> =
        filter.channelId === undefined ? {} : { channelId: filter.channelId };
      const narrowing: Filter<TranscriptDocument>[] = [];
      if (filter.userId !== undefined) {
        narrowing.push({ $or: [{ fromId: filter.userId }, { recipientId: filter.userId }] });
      }
      if (filter.from !== undefined || filter.to !== undefined) {
        narrowing.push({
          timestamp: {
            ...(filter.from === undefined ? {} : { $gte: new Date(filter.from) }),
            ...(filter.to === undefined ? {} : { $lt: new Date(filter.to) }),
          },
        });
      }
      let candidates: Set<string> | undefined;
      for (const condition of narrowing) {
        const found = new Set<string>();
        const cursor = this.#transcripts.find(
          { ...inChannel, ...condition },
          { projection: { _id: 0, channelId: 1, conversationId: 1 } },
        );
        for await (const doc of cursor) {
          const key = conversationKey(doc);
          if (candidates === undefined || candidates.has(key)) found.add(key);
        }
        candidates = found;
      }
      const tallies = new Map<string, Tally>();
      const count = async (selection: Filter<TranscriptDocument>): Promise<void> => {
        const cursor = this.#transcripts.find(selection, {
          projection: { _id: 0, channelId: 1, conversationId: 1, timestamp: 1 },
        });
        for await (const doc of cursor) {
          const key = conversationKey(doc);
          const time = doc.timestamp.getTime();
          const tally = tallies.get(key);
          if (tally) {
            tally.first = Math.min(tally.first, time);
            tally.last = Math.max(tally.last, time);
            tally.activities += 1;
          } else {
            tallies.set(key, { ...doc, first: time, last: time, activities: 1 });
          }
        }
      };
      if (candidates === undefined) {
        await count(inChannel);
      } else {
        const pairs = [...candidates].map((key) => JSON.parse(key) as [string, string]);
        for (let i = 0; i < pairs.length; i += SUMMARY_BATCH) {
          await count({
            $or: pairs
              .slice(i, i + SUMMARY_BATCH)
              .map(([channelId, conversationId]) => ({ channelId, conversationId })),
          });
        }
      }
      const positionOf = (t: Tally) => ({ ...t, lastAt: t.last });
      const fetched = [...tallies.values()]
        .filter((t) => position === undefined || mostRecentFirst(positionOf(t), position) > 0)
        .sort((a, b) => mostRecentFirst(positionOf(a), positionOf(b)))
        .slice(0, limit + 1);
      const { items, next } = pageFrom(fetched, limit, (last) =>
        encodeConversationCursor(scope, positionOf(last)),
      );
      const conversations = items.map((t): ConversationSummary => ({
        channelId: t.channelId,
        conversationId: t.conversationId,
        firstAt: new Date(t.first).toISOString(),
        lastAt: new Date(t.last).toISOString(),
        activities: t.activities,
      }));
      return next === undefined ? { conversations } : { conversations, next };
    });
  }

  deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    return mongoAttempt('delete transcript', async () => {
      requireId(channelId, 'channelId');
      requireId(conversationId, 'conversationId');
      await this.#transcripts.deleteMany({ channelId, conversationId }, DURABLE);
    });
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    return mongoAttempt('delete old transcripts', async () => {
      const limit = requiredTime(cutoff, 'cutoff');
      const result = await this.#transcripts.deleteMany(
        { timestamp: { $lt: new Date(limit) } },
        DURABLE,
      );
      return result.deletedCount;
    });
  }

  activitiesOfUser(channelId: string, userId: string): Promise<Activity[]> {
    return mongoAttempt('read transcripts of user', async () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      const docs = await this.#transcripts
        .find(involving(channelId, userId))
        .sort({ timestamp: 1, _id: 1 })
        .toArray();
      return docs.map((doc) => toActivity(doc.activity));
    });
  }

  deleteForUser(channelId: string, userId: string): Promise<number> {
    return mongoAttempt('delete transcripts of user', async () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      // No transaction (FerretDB has none): find the conversations, then delete them whole. An
      // activity logged in between into one of them goes too; a conversation the person starts
      // in between is not theirs yet to this call, and a second erasure takes it.
      const docs = await this.#transcripts
        .find(involving(channelId, userId), { projection: { conversationId: 1 } })
        .toArray();
      const conversationIds = [...new Set(docs.map((doc) => doc.conversationId))];
      if (conversationIds.length === 0) return 0;
      const result = await this.#transcripts.deleteMany(
        { channelId, conversationId: { $in: conversationIds } },
        DURABLE,
      );
      return result.deletedCount;
    });
  }
}

/** Activities of a channel in which the user is either side. */
function involving(channelId: string, userId: string): Filter<TranscriptDocument> {
  return { channelId, $or: [{ fromId: userId }, { recipientId: userId }] };
}
