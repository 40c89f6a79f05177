import { createHash } from 'node:crypto';
import { DECISIONS, type Decision, type LedgerQuery, type Period } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { ID_RULE, isId } from '../http/http-common.js';

/**
 * Query strings of the compliance API, parsed by hand so that every bad value gets its own stable
 * code. Unknown or repeated parameters are refused too: a misspelt filter (`purpose=` for
 * `purposeId=`) would otherwise export the whole ledger when the officer meant one purpose.
 */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type RawQuery = Readonly<Record<string, string>>;

/** The query's parameters as single strings, or QueryError for an unknown or repeated one. */
export function queryOf(query: unknown, allowed: readonly string[]): RawQuery {
  const entries = Object.entries((query ?? {}) as Record<string, unknown>);
  const raw: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!allowed.includes(name)) {
      throw new QueryError(
        'INVALID_QUERY',
        `unknown parameter "${name}"; allowed: ${allowed.join(', ')}`,
      );
    }
    if (typeof value !== 'string') {
      throw new QueryError('INVALID_QUERY', `parameter "${name}" must be given once, as text`);
    }
    raw[name] = value;
  }
  return raw;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 section 5.6 `date-time`. The offset is required: without one, a date-time would mean the
// server's local time.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** A day of the proleptic Gregorian calendar: month 1 to 12, day 1 to the month's last. */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

/**
 * `YYYY-MM-DD` (UTC midnight) or an RFC 3339 date-time with an offset, each part in its range:
 * Date.parse alone rolls 2026-02-30 over to March and reads 24:00 as the next day, and an
 * impossible value must be the client's 400, never the server's error.
 */
export function parseInstant(value: string): Date | undefined {
  const day = DAY.exec(value);
  const time = day ? undefined : DATE_TIME.exec(value);
  // Groups that did not take part (no seconds, a `Z` offset) are undefined at run time: read as 0.
  const parts = (day ?? time)
    ?.slice(1)
    .map((part: string | undefined) => (part === undefined ? 0 : Number(part)));
  if (!parts) return undefined;
  const [year, month, date, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] =
    parts as [number, number, number, number?, number?, number?, number?, number?];
  if (!isCalendarDay(year, month, date)) return undefined;
  // RFC 3339: time-hour 00-23, time-minute 00-59, time-second 00-59 (leap seconds are refused:
  // ECMAScript dates cannot hold them); an offset's hours and minutes have the same bounds.
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return undefined;
  }
  const at = Date.parse(day ? `${value}T00:00:00.000Z` : value);
  return Number.isFinite(at) ? new Date(at) : undefined;
}

/** `from` or `to` as an instant; undefined when absent, QueryError naming the field when wrong. */
export function instantOf(raw: RawQuery, name: 'from' | 'to'): Date | undefined {
  const value = raw[name];
  if (value === undefined || value === '') return undefined;
  const instant = parseInstant(value);
  if (!instant) {
    throw new QueryError(
      'INVALID_DATE',
      `${name}: must be a real day (YYYY-MM-DD) or an RFC 3339 date-time with an offset ` +
        '(e.g. 2026-11-02T10:00:00Z or 2026-11-02T11:00:00+01:00)',
    );
  }
  return instant;
}

export interface Range {
  readonly from?: Date;
  readonly to?: Date;
}

/** `from` inclusive, `to` exclusive; `from` must come before `to` when both are given. */
export function rangeOf(raw: RawQuery): Range {
  const from = instantOf(raw, 'from');
  const to = instantOf(raw, 'to');
  if (from && to && from.getTime() >= to.getTime()) {
    throw new QueryError('INVALID_RANGE', 'from must be before to (from is included, to is not)');
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface Paging {
  readonly limit: number;
  readonly after?: string;
}

export function pagingOf(raw: RawQuery): Paging {
  const { limit, after } = raw;
  let size = DEFAULT_LIMIT;
  if (limit !== undefined) {
    size = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(size >= 1 && size <= MAX_LIMIT)) {
      throw new QueryError('INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
  }
  if (after !== undefined && (after === '' || after.length > 2048)) {
    throw new QueryError('INVALID_CURSOR', 'after must be the next value of a previous page');
  }
  return { limit: size, ...(after !== undefined ? { after } : {}) };
}

function optionalId(raw: RawQuery, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (!isId(value)) throw new QueryError('INVALID_QUERY', `${name} must be ${ID_RULE}`);
  return value;
}

/** The raw ids of a subject filter: `userId` needs `channelId`, the ids are a channel's. */
export function subjectFilterOf(raw: RawQuery): {
  readonly channelId?: string;
  readonly subject?: Subject;
} {
  const channelId = optionalId(raw, 'channelId');
  const userId = raw.userId;
  if (userId === undefined) return channelId ? { channelId } : {};
  if (!channelId) {
    throw new QueryError('INVALID_SUBJECT', 'userId needs channelId: a user id is a channel’s');
  }
  if (!isId(userId)) throw new QueryError('INVALID_SUBJECT', `userId must be ${ID_RULE}`);
  return { channelId, subject: { channelId, userId } };
}

/** A ledger search, its access-log target and the filters as the access log may keep them. */
export interface LedgerFilter {
  readonly query: LedgerQuery;
  /** The pseudonymous subject key, or `*` for a search across people. */
  readonly target: string;
  /** The filters without personal data: the subject only by its pseudonym. */
  readonly detail: Readonly<Record<string, string>>;
}

export const LEDGER_FILTERS = [
  'channelId',
  'userId',
  'purposeId',
  'decision',
  'catalogueVersion',
  'conversationId',
  'from',
  'to',
] as const;

/** The ledger query of `/events` and the exports; pseudonymises the subject before any read. */
export function ledgerFilterOf(
  raw: RawQuery,
  ledgerSubjectOf: (subject: Subject) => Subject,
): LedgerFilter {
  const { channelId, subject } = subjectFilterOf(raw);
  const purposeId = optionalId(raw, 'purposeId');
  const catalogueVersion = optionalId(raw, 'catalogueVersion');
  const conversationId = optionalId(raw, 'conversationId');
  const decision = raw.decision;
  if (decision !== undefined && !(DECISIONS as readonly string[]).includes(decision)) {
    throw new QueryError('INVALID_DECISION', `decision must be one of ${DECISIONS.join(', ')}`);
  }
  const range = rangeOf(raw);
  const pseudonym = subject ? pseudonymOf(subject, ledgerSubjectOf) : undefined;
  const query: LedgerQuery = {
    ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
    ...(purposeId ? { purposeId } : {}),
    ...(decision ? { decision: decision as Decision } : {}),
    ...(catalogueVersion ? { catalogueVersion } : {}),
    ...(conversationId ? { conversationId } : {}),
    ...range,
  };
  return { query, ...describe(query) };
}

/** The subject as the ledger knows it; QueryError when the ids cannot name a person. */
export function pseudonymOf(subject: Subject, ledgerSubjectOf: (s: Subject) => Subject): Subject {
  try {
    return ledgerSubjectOf(subject);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new QueryError('INVALID_SUBJECT', 'these ids cannot name a person');
    }
    throw error;
  }
}

/**
 * A conversation as the access log names it: a hash of its ids. Channels may build conversation
 * ids from user ids, so the raw id stays out of the log; an auditor holding a conversation id can
 * still find its accesses by hashing it the same way.
 */
export function conversationDigest(channelId: string, conversationId: string): string {
  return createHash('sha256').update(`${channelId}|${conversationId}`).digest('hex').slice(0, 32);
}

/** Access-log target and detail of a (pseudonymised) ledger query. */
export function describe(query: LedgerQuery): Omit<LedgerFilter, 'query'> {
  const detail: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (name === 'subject') detail.subject = subjectKey(value as Subject);
    else if (name === 'conversationId') {
      const channelId = query.subject?.channelId ?? query.channelId ?? '';
      detail.conversation = conversationDigest(channelId, value as string);
    } else if (value instanceof Date) detail[name] = value.toISOString();
    else if (typeof value === 'string') detail[name] = value;
  }
  return { target: query.subject ? subjectKey(query.subject) : '*', detail };
}

export function periodOf(raw: RawQuery): Period {
  const period = raw.period ?? 'day';
  if (period !== 'day' && period !== 'month') {
    throw new QueryError('INVALID_PERIOD', 'period must be day or month');
  }
  return period;
}
