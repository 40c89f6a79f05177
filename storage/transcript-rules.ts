import { createHash } from 'node:crypto';
import type { Activity, PagedResult, TranscriptStore } from 'botbuilder';

/**
 * Bot Framework's TranscriptStore plus the scheduled retention clean-up. No TTL index: FerretDB has
 * none, and a clean-up the application runs can be tested (GDPR art. 5(1)(e), storage limitation).
 */
export interface TranscriptStoreWithRetention extends TranscriptStore {
  /** Deletes every activity whose timestamp is before `cutoff`; resolves to how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
  /**
   * Access (GDPR art. 15): every stored activity of this channel in which the user is `from` or
   * `recipient` (what they said and what they were told), across conversations, in (timestamp,
   * insertion) order. Ids match exactly. RangeError for an empty id.
   */
  activitiesOfUser(channelId: string, userId: string): Promise<Activity[]>;
  /**
   * Erasure (GDPR art. 17): deletes every conversation of this channel in which the user is the
   * `from` or `recipient` of at least one activity, whole (the bot's replies quote the person too,
   * and other participants' messages in it are about them); resolves to how many activities went.
   * Idempotent. RangeError for an empty id.
   */
  deleteForUser(channelId: string, userId: string): Promise<number>;
}

/** One conversation as a transcript search lists it. */
export interface ConversationSummary {
  readonly channelId: string;
  readonly conversationId: string;
  /** ISO times of its first and last stored activity. */
  readonly firstAt: string;
  readonly lastAt: string;
  readonly activities: number;
}

/**
 * What compliance officers search transcripts by; given fields combine with AND. `userId` is the
 * channel's own id of a participant (`from` or `recipient`), as the transcript keeps it. A
 * conversation matches the date range when it has an activity with `from` <= timestamp < `to`.
 */
export interface TranscriptQuery {
  readonly channelId?: string;
  readonly userId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export interface ConversationPage {
  /** Most recently active first (lastAt, then channel and conversation id, descending). */
  readonly conversations: readonly ConversationSummary[];
  /** Opaque cursor for the next page; absent on the last page. */
  readonly next?: string;
}

/** Finding conversations for compliance review, index-backed on the durable stores. */
export interface TranscriptSearch {
  /** `limit` from 1 to 1000. RangeError for a bad cursor. */
  searchConversations(
    query: TranscriptQuery,
    page: { limit: number; after?: string },
  ): Promise<ConversationPage>;
}

export interface TranscriptStoreOptions {
  /** Items per page of getTranscriptActivities and listTranscripts. */
  readonly pageSize?: number;
  /** The clock that stamps activities logged without a timestamp. */
  readonly now?: () => Date;
}

export const DEFAULT_TRANSCRIPT_PAGE_SIZE = 20;

export function pageSizeOf(options: TranscriptStoreOptions): number {
  const size = options.pageSize ?? DEFAULT_TRANSCRIPT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new RangeError(`pageSize must be an integer from 1 to 1000, not ${String(size)}`);
  }
  return size;
}

/** What a store keeps of one activity: where it belongs, when, and the activity as JSON. */
export interface LoggedActivity {
  readonly channelId: string;
  readonly conversationId: string;
  /** Milliseconds since the epoch: the first sort key. */
  readonly timestamp: number;
  /**
   * The whole activity as a JSON string. Never a document: channelData may carry keys with "." or
   * a leading "$", which MongoDB and FerretDB refuse as field names, and nested arrays, which
   * FerretDB v1 refuses. A string keeps the activity exactly as the channel sent it.
   */
  readonly json: string;
  /** `from.id`, when it is a non-empty string: what activitiesOfUser and deleteForUser match. */
  readonly fromId: string | null;
  /** `recipient.id`, likewise. */
  readonly recipientId: string | null;
}

export function requireId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new RangeError(`${name} must be a non-empty string`);
  }
  return value;
}

function timeOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const time =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) throw new RangeError('activity.timestamp is not a valid date');
  return time;
}

/** A participant's id as the stores index it: a non-empty string, or null. */
export function participantId(account: unknown): string | null {
  const id: unknown =
    account && typeof account === 'object' ? (account as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * Validates an activity and turns it into what the stores keep. An activity without a timestamp
 * gets the logging time, so every stored activity can be ordered and expired.
 */
export function toLogged(activity: Partial<Activity> | undefined, now: () => Date): LoggedActivity {
  if (!activity || typeof activity !== 'object') throw new RangeError('activity is required');
  const channelId = requireId(activity.channelId, 'activity.channelId');
  const conversationId = requireId(activity.conversation?.id, 'activity.conversation.id');
  const timestamp = timeOf(activity.timestamp) ?? now().getTime();
  const json = JSON.stringify({ ...activity, timestamp: new Date(timestamp).toISOString() });
  return {
    channelId,
    conversationId,
    timestamp,
    json,
    fromId: participantId(activity.from),
    recipientId: participantId(activity.recipient),
  };
}

/** Back to an Activity, with its dates as Date objects as botbuilder's type declares them. */
export function toActivity(json: string): Activity {
  const activity = JSON.parse(json) as Activity & Record<string, unknown>;
  for (const field of ['timestamp', 'localTimestamp', 'expiration'] as const) {
    const value: unknown = activity[field];
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
      activity[field] = new Date(value);
    }
  }
  return activity;
}

/** Milliseconds of an optional date argument; anything but a valid Date is the caller's error. */
export function optionalTime(date: unknown, name: string): number | undefined {
  if (date === undefined || date === null) return undefined;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
  return date.getTime();
}

/** Milliseconds of a required date argument. */
export function requiredTime(date: unknown, name: string): number {
  const time = optionalTime(date, name);
  if (time === undefined) throw new RangeError(`${name} must be a valid Date`);
  return time;
}

/**
 * Keyset paging: a token names the last item of its page, so the next page is one index range
 * scan however deep, and activities logged meanwhile neither shift nor repeat items. Activities
 * are ordered by (timestamp, insertion order); a channel's transcripts by conversation id (UTF-8
 * byte order, like botbuilder's blob transcript store, which lists by blob name). The token also
 * carries a hash of what it pages (this conversation's activities, or this channel's list), so it
 * cannot page anything else, and it stays opaque.
 */
export type Position = readonly [time: number, tieBreaker: string | number];

const TOKEN_VERSION = 1;

function scopeHash(scope: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(scope)).digest('base64url').slice(0, 22);
}

export const activitiesScope = (channelId: string, conversationId: string): readonly string[] => [
  'activities',
  channelId,
  conversationId,
];

export const transcriptsScope = (channelId: string): readonly string[] => [
  'transcripts',
  channelId,
];

export function encodeToken(scope: readonly string[], position: Position): string {
  return Buffer.from(
    JSON.stringify([TOKEN_VERSION, scopeHash(scope), position[0], position[1]]),
  ).toString('base64url');
}

/** The position a token names, or undefined for no token. A token of anything else: RangeError. */
export function decodeToken(token: unknown, scope: readonly string[]): Position | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  let decoded: unknown;
  try {
    decoded =
      typeof token === 'string'
        ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
        : undefined;
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 4 ||
    decoded[0] !== TOKEN_VERSION ||
    typeof decoded[2] !== 'number' ||
    !Number.isFinite(decoded[2]) ||
    (typeof decoded[3] !== 'string' && typeof decoded[3] !== 'number')
  ) {
    throw new RangeError('continuationToken is not a token this store issued');
  }
  if (decoded[1] !== scopeHash(scope)) {
    throw new RangeError('continuationToken belongs to another transcript or channel');
  }
  return [decoded[2], decoded[3]];
}

/**
 * A page from up to pageSize + 1 fetched items: the extra one only says that another page exists.
 * The last page has no token. botbuilder types it `string`, but its own stores return undefined
 * there, and callers test it for truthiness; an empty string would be a token that pages nothing.
 */
export function pageOf<T, R>(
  fetched: readonly T[],
  pageSize: number,
  scope: readonly string[],
  positionOf: (item: T) => Position,
  toItem: (item: T) => R,
): PagedResult<R> {
  const items = fetched.slice(0, pageSize);
  const last = items.at(-1);
  const more = fetched.length > pageSize && last !== undefined;
  return {
    items: items.map(toItem),
    continuationToken: (more ? encodeToken(scope, positionOf(last)) : undefined) as string,
  };
}

/** Orders strings by their UTF-8 bytes, as SQLite (BINARY) and MongoDB (simple) compare them. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
