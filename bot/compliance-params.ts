import { createHash } from 'node:crypto';
import { DECISIONS, type Decision, type LedgerQuery, type Period } from '../consent/ledger.js';
import { subjectKey, type Subject } from '../consent/subject.js';
import { isId } from './http-common.js';

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
// An offset is required: a date-time without one would mean the server's local time.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `YYYY-MM-DD` (UTC midnight) or an ISO date-time with an offset; undefined when absent. */
export function instantOf(raw: RawQuery, name: 'from' | 'to'): Date | undefined {
  const value = raw[name];
  if (value === undefined || value === '') return undefined;
  const day = DAY.exec(value);
  const time = day
    ? Date.parse(`${value}T00:00:00.000Z`)
    : DATE_TIME.test(value)
      ? Date.parse(value)
      : NaN;
  // Date.parse rolls 2026-02-30 over to March: a real day prints back as itself.
  const real = day ? new Date(time).toISOString().startsWith(value) : Number.isFinite(time);
  if (!Number.isFinite(time) || !real) {
    throw new QueryError(
      'INVALID_DATE',
      `${name} must be a day (YYYY-MM-DD) or an ISO date-time with an offset`,
    );
  }
  return new Date(time);
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
  if (!isId(value)) throw new QueryError('INVALID_QUERY', `${name} must be 1 to 1024 characters`);
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
  if (!isId(userId)) throw new QueryError('INVALID_SUBJECT', 'userId must be 1 to 1024 characters');
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
