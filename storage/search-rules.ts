import type { AccessLogQuery, AccessRecord } from '../consent/access-log.js';
import type { ConsentEvent, DecisionCount, LedgerQuery, Period } from '../consent/ledger.js';
import { subjectKey } from '../consent/subject.js';
import {
  compareUtf8,
  decodeToken,
  encodeToken,
  optionalTime,
  type Position,
  type TranscriptQuery,
} from './transcript-rules.js';

/**
 * What the compliance-review ports (ledger search, transcript search, access log) share on every
 * backend: the page size rule, the query a cursor is bound to, and the keyset order.
 */

export const MAX_SEARCH_LIMIT = 1000;

/** Events read per batch by a scan: small enough for constant memory, large enough to be quick. */
export const SCAN_BATCH = 500;

export function searchLimit(limit: unknown): number {
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_SEARCH_LIMIT
  ) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  return limit;
}

/** A ledger query with every field checked, in the form the stores filter by. */
export interface LedgerFilter {
  readonly subjectKey?: string;
  readonly channelId?: string;
  readonly purposeId?: string;
  readonly decision?: string;
  readonly catalogueVersion?: string;
  readonly conversationId?: string;
  /** ISO times, compared as strings: recordedAt is always toISOString() (UTC, fixed width). */
  readonly from?: string;
  readonly to?: string;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RangeError(`${name} must be a string`);
  return value;
}

function optionalIso(value: unknown, name: string): string | undefined {
  const time = optionalTime(value, name);
  return time === undefined ? undefined : new Date(time).toISOString();
}

export function ledgerFilter(query: LedgerQuery): LedgerFilter {
  return {
    subjectKey: query.subject === undefined ? undefined : subjectKey(query.subject),
    channelId: optionalString(query.channelId, 'channelId'),
    purposeId: optionalString(query.purposeId, 'purposeId'),
    decision: optionalString(query.decision, 'decision'),
    catalogueVersion: optionalString(query.catalogueVersion, 'catalogueVersion'),
    conversationId: optionalString(query.conversationId, 'conversationId'),
    from: optionalIso(query.from, 'from'),
    to: optionalIso(query.to, 'to'),
  };
}

/** For the stores that filter in the application (memory). */
export function matchesLedger(event: ConsentEvent, filter: LedgerFilter): boolean {
  return (
    (filter.subjectKey === undefined || subjectKey(event.subject) === filter.subjectKey) &&
    (filter.channelId === undefined || event.channelId === filter.channelId) &&
    (filter.purposeId === undefined || event.purposeId === filter.purposeId) &&
    (filter.decision === undefined || event.decision === filter.decision) &&
    (filter.catalogueVersion === undefined || event.catalogueVersion === filter.catalogueVersion) &&
    (filter.conversationId === undefined || event.conversationId === filter.conversationId) &&
    (filter.from === undefined || event.recordedAt >= filter.from) &&
    (filter.to === undefined || event.recordedAt < filter.to)
  );
}

/**
 * A cursor's scope: the kind of list and every field of its query, so a cursor pages nothing but
 * the query that issued it (RangeError otherwise), as transcript tokens do.
 */
export function searchScope(kind: string, fields: object): readonly string[] {
  return [kind, JSON.stringify(Object.entries(fields).filter(([, v]) => v !== undefined))];
}

export const ledgerScope = (filter: LedgerFilter): readonly string[] =>
  searchScope('ledger.search', filter);

/** The last event of a page, by (recordedAt, id): what the next page starts below. */
export interface EventPosition {
  readonly recordedAt: string;
  readonly id: string;
}

export function encodeEventCursor(scope: readonly string[], event: EventPosition): string {
  return encodeToken(scope, [Date.parse(event.recordedAt), event.id]);
}

export function decodeEventCursor(
  token: string | undefined,
  scope: readonly string[],
): EventPosition | undefined {
  const position = decodeToken(token, scope);
  if (position === undefined) return undefined;
  if (typeof position[1] !== 'string') throw new RangeError('cursor is not a ledger cursor');
  return { recordedAt: new Date(position[0]).toISOString(), id: position[1] };
}

/** Newest first: recordedAt, then id, descending (UTF-8 byte order, as SQLite and MongoDB). */
export function newestFirst(a: EventPosition, b: EventPosition): number {
  return compareUtf8(b.recordedAt, a.recordedAt) || compareUtf8(b.id, a.id);
}

/** A page from up to limit + 1 fetched items, newest first. */
export function pageFrom<T>(
  fetched: readonly T[],
  limit: number,
  cursorOf: (last: T) => string,
): { readonly items: readonly T[]; readonly next?: string } {
  const items = fetched.slice(0, limit);
  const last = items.at(-1);
  return fetched.length > limit && last !== undefined ? { items, next: cursorOf(last) } : { items };
}

export function checkPeriod(period: unknown): Period {
  if (period !== 'day' && period !== 'month') throw new RangeError('period must be day or month');
  return period;
}

/** `YYYY-MM-DD` or `YYYY-MM` of an ISO time: the first 10 or 7 characters. */
export const periodLength = (period: Period): number => (period === 'day' ? 10 : 7);

export function periodOf(recordedAt: string, period: Period): string {
  return recordedAt.slice(0, periodLength(period));
}

/**
 * Adds up counts per (period, purpose, decision), sorted by period, purpose, decision ascending:
 * the order every backend returns.
 */
export class DecisionTally {
  readonly #counts = new Map<string, DecisionCount>();

  add(period: string, purposeId: string, decision: string, count = 1): void {
    const key = JSON.stringify([period, purposeId, decision]);
    const seen = this.#counts.get(key);
    this.#counts.set(key, {
      period,
      purposeId,
      decision: decision as DecisionCount['decision'],
      count: (seen?.count ?? 0) + count,
    });
  }

  counts(): readonly DecisionCount[] {
    return [...this.#counts.values()].sort(
      (a, b) =>
        compareUtf8(a.period, b.period) ||
        compareUtf8(a.purposeId, b.purposeId) ||
        compareUtf8(a.decision, b.decision),
    );
  }
}

/** A transcript query with every field checked. */
export interface TranscriptFilter {
  readonly channelId?: string;
  readonly userId?: string;
  readonly from?: number;
  readonly to?: number;
}

export function transcriptFilter(query: TranscriptQuery): TranscriptFilter {
  return {
    channelId: optionalString(query.channelId, 'channelId'),
    userId: optionalString(query.userId, 'userId'),
    from: optionalTime(query.from, 'from'),
    to: optionalTime(query.to, 'to'),
  };
}

/** The last conversation of a page, by (lastAt, channelId, conversationId). */
export interface ConversationPosition {
  readonly lastAt: number;
  readonly channelId: string;
  readonly conversationId: string;
}

export const transcriptSearchScope = (filter: TranscriptFilter): readonly string[] =>
  searchScope('transcripts.search', filter);

export function encodeConversationCursor(
  scope: readonly string[],
  position: ConversationPosition,
): string {
  return encodeToken(scope, [
    position.lastAt,
    JSON.stringify([position.channelId, position.conversationId]),
  ]);
}

export function decodeConversationCursor(
  token: string | undefined,
  scope: readonly string[],
): ConversationPosition | undefined {
  const position = decodeToken(token, scope);
  if (position === undefined) return undefined;
  let ids: unknown;
  try {
    ids = typeof position[1] === 'string' ? JSON.parse(position[1]) : undefined;
  } catch {
    ids = undefined;
  }
  if (
    !Array.isArray(ids) ||
    ids.length !== 2 ||
    typeof ids[0] !== 'string' ||
    typeof ids[1] !== 'string'
  ) {
    throw new RangeError('cursor is not a conversation cursor');
  }
  return { lastAt: position[0], channelId: ids[0], conversationId: ids[1] };
}

/** Most recently active first: lastAt, then channel id, then conversation id, descending. */
export function mostRecentFirst(a: ConversationPosition, b: ConversationPosition): number {
  return (
    b.lastAt - a.lastAt ||
    compareUtf8(b.channelId, a.channelId) ||
    compareUtf8(b.conversationId, a.conversationId)
  );
}

/** An access-log query with every field checked. */
export interface AccessFilter {
  readonly principal?: string;
  readonly from?: string;
  readonly to?: string;
}

export function accessFilter(query: AccessLogQuery): AccessFilter {
  return {
    principal: optionalString(query.principal, 'principal'),
    from: optionalIso(query.from, 'from'),
    to: optionalIso(query.to, 'to'),
  };
}

export const accessScope = (filter: AccessFilter): readonly string[] =>
  searchScope('access-log', filter);

/** Keyset position of an access record: its time, then the store's own insertion key. */
export function encodeAccessCursor(scope: readonly string[], at: string, key: Position[1]): string {
  return encodeToken(scope, [Date.parse(at), key]);
}

export function decodeAccessCursor(
  token: string | undefined,
  scope: readonly string[],
): { readonly at: string; readonly key: Position[1] } | undefined {
  const position = decodeToken(token, scope);
  return position && { at: new Date(position[0]).toISOString(), key: position[1] };
}

const nonEmpty = (value: unknown, name: string): void => {
  if (typeof value !== 'string' || value === '') {
    throw new RangeError(`access record ${name} must be a non-empty string`);
  }
};

/**
 * Checks an access record before it is stored. `at` must be a canonical ISO time (toISOString), so
 * the stores can order records by comparing it as a string; `detail` must be flat.
 */
export function checkAccessRecord(entry: AccessRecord): AccessRecord {
  const given: unknown = entry;
  if (!given || typeof given !== 'object') throw new RangeError('access record is required');
  nonEmpty(entry.at, 'at');
  if (Number.isNaN(Date.parse(entry.at)) || new Date(entry.at).toISOString() !== entry.at) {
    throw new RangeError('access record at must be an ISO time as toISOString() writes it');
  }
  for (const field of ['principal', 'role', 'action', 'target'] as const) {
    nonEmpty(entry[field], field);
  }
  const detail: unknown = entry.detail;
  if (detail !== undefined) {
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
      throw new RangeError('access record detail must be a flat record');
    }
    for (const value of Object.values(detail)) {
      const ok =
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value));
      if (!ok) {
        throw new RangeError('access record detail values must be strings, numbers or booleans');
      }
    }
  }
  const { at, principal, role, action, target } = entry;
  return detail === undefined
    ? { at, principal, role, action, target }
    : { at, principal, role, action, target, detail: entry.detail };
}
