import { createHash } from 'node:crypto';
import { DECISIONS, type LedgerQuery } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { z } from 'zod';
import { MAX_SEARCH_LIMIT } from '../../storage/search-rules.js';
import { coded, id, personOf, queryObject } from '../http/route.js';

/**
 * Query strings of the compliance API and options of the verification command line
 * (tools/verify-ledger.ts): zod schemas, each bad value with its own stable code.
 */
const DATE_RULE =
  'must be a real day (YYYY-MM-DD) or an RFC 3339 date-time with an offset ' +
  '(e.g. 2026-11-02T10:00:00Z or 2026-11-02T11:00:00+01:00)';
const RANGE_RULE = 'from must be before to (from is included, to is not)';
const USER_NEEDS_CHANNEL = 'userId needs channelId: a user id is a channel’s';

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

/** A ledger search, its access-log target and the filters as the access log may keep them. */
export interface LedgerFilter {
  readonly query: LedgerQuery;
  /** The pseudonymous subject key, or `*` for a search across people. */
  readonly target: string;
  /** The filters without personal data: the subject only by its pseudonym. */
  readonly detail: Readonly<Record<string, string>>;
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

// ---- The API's query schemas ----

/** Pages of a search: the stores' own limit (storage/search-rules.ts), so the two agree. */
export const DEFAULT_LIMIT = 50;
const LIMIT_RULE = `must be an integer from 1 to ${MAX_SEARCH_LIMIT}`;
const CURSOR_RULE = 'must be the next value of a previous page';

const instant = (description: string) =>
  z
    .string()
    .transform((value, context): Date | undefined => {
      if (value === '') return undefined;
      const at = parseInstant(value);
      if (!at) context.addIssue({ code: 'custom', message: DATE_RULE });
      return at;
    })
    .meta({ description });

const anInstant = (description: string) => coded(instant(description).optional(), 'INVALID_DATE');
const filterId = (description: string) =>
  coded(id.meta({ description }).optional(), 'INVALID_QUERY');

const SUBJECT_FILTERS = {
  channelId: filterId('Only this channel'),
  userId: coded(
    id.meta({ description: "Only this person (the channel's id; needs channelId)" }).optional(),
    'INVALID_SUBJECT',
  ),
};
const RANGE = {
  from: anInstant(
    'Recorded at or after: a real day YYYY-MM-DD (UTC) or an RFC 3339 date-time with offset; ' +
      'anything else (month 13, 30 February, hour 25) is 400 INVALID_DATE',
  ),
  to: anInstant('Recorded before (excluded)'),
};
const LEDGER_FILTERS = {
  ...SUBJECT_FILTERS,
  purposeId: filterId('Only this purpose'),
  decision: coded(
    z.enum(DECISIONS, { error: `must be one of ${DECISIONS.join(', ')}` }).optional(),
    'INVALID_DECISION',
  ).meta({ description: 'Only this kind of decision' }),
  catalogueVersion: filterId('Only decisions on this version of the data map'),
  conversationId: filterId('Only decisions made in this conversation'),
  ...RANGE,
};
const PAGING = {
  limit: coded(
    z.coerce
      .number({ error: LIMIT_RULE })
      .int({ error: LIMIT_RULE })
      .min(1, { error: LIMIT_RULE })
      .max(MAX_SEARCH_LIMIT, { error: LIMIT_RULE })
      .default(DEFAULT_LIMIT)
      .meta({ description: `Page size, 1 to ${MAX_SEARCH_LIMIT} (${DEFAULT_LIMIT})` }),
    'INVALID_LIMIT',
  ),
  after: coded(
    z
      .string()
      .min(1, { error: CURSOR_RULE })
      .max(2048, { error: CURSOR_RULE })
      .optional()
      .meta({ description: 'The next cursor of the previous page' }),
    'INVALID_CURSOR',
  ),
};

type Checked = z.core.$RefinementCtx<{
  from?: Date | undefined;
  to?: Date | undefined;
  channelId?: string | undefined;
  userId?: string | undefined;
}>;

/** `from` before `to`; `userId` only with `channelId`: a user id is a channel's. */
function crossChecked(
  value: { from?: Date | undefined; to?: Date | undefined; channelId?: string; userId?: string },
  context: Checked,
): void {
  if (value.userId !== undefined && value.channelId === undefined) {
    context.addIssue({
      code: 'custom',
      message: USER_NEEDS_CHANNEL,
      params: { code: 'INVALID_SUBJECT' },
    });
  }
  if (value.from && value.to && value.from.getTime() >= value.to.getTime()) {
    context.addIssue({ code: 'custom', message: RANGE_RULE, params: { code: 'INVALID_RANGE' } });
  }
}

export const ledgerQuery = queryObject(LEDGER_FILTERS).superRefine(crossChecked);
export const eventsQuery = queryObject({ ...LEDGER_FILTERS, ...PAGING }).superRefine(crossChecked);
export const conversationsQuery = queryObject({
  ...SUBJECT_FILTERS,
  ...RANGE,
  ...PAGING,
}).superRefine(crossChecked);
export const verifyQuery = queryObject({ ...SUBJECT_FILTERS, ...RANGE }).superRefine(crossChecked);
export const accessLogQuery = queryObject({
  principal: filterId('One caller, e.g. jwt:<issuer>#<oid>'),
  ...RANGE,
  ...PAGING,
}).superRefine(crossChecked);
export const aggregatesQuery = queryObject({
  from: coded(
    instant('Start, included: YYYY-MM-DD or ISO date-time').pipe(
      z.date({ error: 'required (YYYY-MM-DD or ISO)' }),
    ),
    'INVALID_DATE',
  ),
  to: coded(
    instant('End, excluded').pipe(z.date({ error: 'required (YYYY-MM-DD or ISO)' })),
    'INVALID_DATE',
  ),
  period: coded(
    z
      .enum(['day', 'month'], { error: 'must be day or month' })
      .default('day')
      .meta({ description: 'day (default) or month' }),
    'INVALID_PERIOD',
  ),
  purposeId: filterId('One purpose only'),
}).superRefine(crossChecked);

/** The parsed filters of `/events` and the exports. */
export type LedgerFilters = z.output<typeof ledgerQuery>;

/** The ledger query of `/events` and the exports; pseudonymises the subject before any read. */
export function ledgerFilterOf(
  filters: LedgerFilters,
  ledgerSubjectOf: (subject: Subject) => Subject,
): LedgerFilter {
  const { channelId, userId, purposeId, decision, catalogueVersion, conversationId, from, to } =
    filters;
  const pseudonym =
    channelId && userId ? personOf(ledgerSubjectOf, { channelId, userId }) : undefined;
  const query: LedgerQuery = {
    ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
    ...(purposeId ? { purposeId } : {}),
    ...(decision ? { decision: decision } : {}),
    ...(catalogueVersion ? { catalogueVersion } : {}),
    ...(conversationId ? { conversationId } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
  return { query, ...describe(query) };
}
