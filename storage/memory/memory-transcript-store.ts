import type { Activity, PagedResult, TranscriptInfo } from 'botbuilder';
import { attempt } from '../errors.js';
import {
  activitiesScope,
  compareUtf8,
  decodeToken,
  pageOf,
  pageSizeOf,
  requireId,
  toActivity,
  toLogged,
  transcriptsScope,
  optionalTime,
  requiredTime,
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

interface Entry {
  readonly timestamp: number;
  /** Insertion order: the tie-breaker between activities of the same millisecond. */
  readonly seq: number;
  readonly json: string;
  readonly fromId: string | null;
  readonly recipientId: string | null;
}

const involves = (entry: Entry, userId: string): boolean =>
  entry.fromId === userId || entry.recipientId === userId;

const byTimeThenSeq = (a: Entry, b: Entry): number => a.timestamp - b.timestamp || a.seq - b.seq;

const after = (entry: Entry, position: Position | undefined): boolean =>
  position === undefined ||
  entry.timestamp > position[0] ||
  (entry.timestamp === position[0] && entry.seq > Number(position[1]));

/**
 * Transcripts in memory, for tests. Activities are kept as JSON strings and parsed on every read,
 * like the durable stores, so a serialisation bug shows here first.
 */
export class MemoryTranscriptStore implements TranscriptStoreWithRetention, TranscriptSearch {
  /** channelId -> conversationId -> entries sorted by (timestamp, seq). */
  readonly #channels = new Map<string, Map<string, Entry[]>>();
  readonly #pageSize: number;
  readonly #now: () => Date;
  #seq = 0;

  constructor(options: TranscriptStoreOptions = {}) {
    this.#pageSize = pageSizeOf(options);
    this.#now = options.now ?? (() => new Date());
  }

  logActivity(activity: Activity): Promise<void> {
    return attempt('log transcript activity', () => {
      const logged = toLogged(activity, this.#now);
      const channel = this.#channels.get(logged.channelId) ?? new Map<string, Entry[]>();
      const entries = channel.get(logged.conversationId) ?? [];
      this.#seq += 1;
      const entry: Entry = {
        timestamp: logged.timestamp,
        seq: this.#seq,
        json: logged.json,
        fromId: logged.fromId,
        recipientId: logged.recipientId,
      };
      // Later seq: the new entry goes after every entry of the same or an earlier time.
      const at = entries.findIndex((e) => e.timestamp > entry.timestamp);
      entries.splice(at === -1 ? entries.length : at, 0, entry);
      channel.set(logged.conversationId, entries);
      this.#channels.set(logged.channelId, channel);
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
      const position = decodeToken(continuationToken, scope);
      const start = optionalTime(startDate, 'startDate') ?? -Infinity;
      const entries = this.#channels.get(channelId)?.get(conversationId) ?? [];
      const fetched: Entry[] = [];
      for (const entry of entries) {
        if (fetched.length > this.#pageSize) break;
        if (entry.timestamp >= start && after(entry, position)) fetched.push(entry);
      }
      return pageOf(
        fetched,
        this.#pageSize,
        scope,
        (e) => [e.timestamp, e.seq],
        (e) => toActivity(e.json),
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
      const position = decodeToken(continuationToken, scope);
      const all = [...(this.#channels.get(channelId) ?? new Map<string, Entry[]>())]
        .flatMap(([id, entries]) => {
          const first = entries[0];
          return first ? [{ id, created: first.timestamp }] : [];
        })
        .sort((a, b) => compareUtf8(a.id, b.id));
      const fetched = all
        .filter((t) => position === undefined || compareUtf8(t.id, String(position[1])) > 0)
        .slice(0, this.#pageSize + 1);
      return pageOf(
        fetched,
        this.#pageSize,
        scope,
        (t) => [t.created, t.id],
        (t) => ({ channelId, id: t.id, created: new Date(t.created) }),
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
      const from = filter.from ?? -Infinity;
      const to = filter.to ?? Infinity;
      const summaries: ConversationSummary[] = [];
      for (const [channelId, conversations] of this.#channels) {
        if (filter.channelId !== undefined && channelId !== filter.channelId) continue;
        for (const [conversationId, entries] of conversations) {
          const first = entries[0];
          const last = entries.at(-1);
          if (!first || !last) continue;
          const { userId } = filter;
          if (userId !== undefined && !entries.some((e) => involves(e, userId))) continue;
          if (!entries.some((e) => e.timestamp >= from && e.timestamp < to)) continue;
          const here = { lastAt: last.timestamp, channelId, conversationId };
          if (position !== undefined && mostRecentFirst(here, position) <= 0) continue;
          summaries.push({
            channelId,
            conversationId,
            firstAt: new Date(first.timestamp).toISOString(),
            lastAt: new Date(last.timestamp).toISOString(),
            activities: entries.length,
          });
        }
      }
      const positionOf = (s: ConversationSummary) => ({ ...s, lastAt: Date.parse(s.lastAt) });
      const fetched = summaries
        .sort((a, b) => mostRecentFirst(positionOf(a), positionOf(b)))
        .slice(0, limit + 1);
      const { items, next } = pageFrom(fetched, limit, (last) =>
        encodeConversationCursor(scope, positionOf(last)),
      );
      return next === undefined ? { conversations: items } : { conversations: items, next };
    });
  }

  deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    return attempt('delete transcript', () => {
      requireId(channelId, 'channelId');
      requireId(conversationId, 'conversationId');
      this.#channels.get(channelId)?.delete(conversationId);
    });
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    return attempt('delete old transcripts', () => {
      const limit = requiredTime(cutoff, 'cutoff');
      let deleted = 0;
      for (const channel of this.#channels.values()) {
        for (const [conversationId, entries] of channel) {
          const kept = entries.filter((e) => e.timestamp >= limit);
          deleted += entries.length - kept.length;
          if (kept.length === 0) channel.delete(conversationId);
          else channel.set(conversationId, kept);
        }
      }
      return deleted;
    });
  }

  activitiesOfUser(channelId: string, userId: string): Promise<Activity[]> {
    return attempt('read transcripts of user', () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      const conversations = this.#channels.get(channelId) ?? new Map<string, Entry[]>();
      return [...conversations.values()]
        .flatMap((entries) => entries.filter((e) => involves(e, userId)))
        .sort(byTimeThenSeq)
        .map((e) => toActivity(e.json));
    });
  }

  deleteForUser(channelId: string, userId: string): Promise<number> {
    return attempt('delete transcripts of user', () => {
      requireId(channelId, 'channelId');
      requireId(userId, 'userId');
      const conversations = this.#channels.get(channelId);
      let deleted = 0;
      for (const [conversationId, entries] of conversations ?? []) {
        if (entries.some((e) => involves(e, userId))) {
          deleted += entries.length;
          conversations?.delete(conversationId);
        }
      }
      return deleted;
    });
  }
}
