import { z } from 'zod';
import type { AccessLog } from '../../consent/access-log.js';
import type { Catalogue } from '../../consent/catalogue.js';
import {
  DECISIONS,
  type ConsentEvent,
  type ConsentLedger,
  type Decision,
  type DecisionCount,
  type LedgerSearch,
  type NoticeArchive,
  type Period,
} from '../../consent/ledger.js';
import { OPT_OUT_REASONS, type OptOutReasons } from '../../consent/opt-out-reasons.js';
import type { ControllerDetails } from '../../consent/receipts.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type {
  TranscriptSearch,
  TranscriptStoreWithRetention,
} from '../../storage/transcript-rules.js';
import { CSV_COLUMNS, csvLines, csvRow, jsonLines, receiptLines, streamLines } from './export.js';
import {
  accessLogQuery,
  aggregatesQuery,
  conversationDigest,
  conversationsQuery,
  describe,
  eventsQuery,
  ledgerFilterOf,
  ledgerQuery,
  verifyQuery,
} from './params.js';
import { conversationTimeline } from './timeline.js';
import {
  coded,
  error,
  HttpError,
  id,
  invalid,
  personOf,
  queryObject,
  route,
  type ResponseDoc,
  type Route,
} from '../http/route.js';
import { ConsentEventBody, count, isoTime } from '../http/schemas.js';
import { verifyLedger, type EventCheck } from '../proof/ledger-verification.js';
import type { Logger } from '../platform/log.js';

export interface ComplianceRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger & LedgerSearch;
  readonly notices: NoticeArchive;
  readonly transcripts: TranscriptStoreWithRetention & TranscriptSearch;
  readonly accessLog: AccessLog;
  readonly reasons: OptOutReasons;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
  /** Kantara v1.1 needs the controller's address and phone, which the data map does not hold. */
  readonly controller?: ControllerDetails;
  /** Extra checks of each event during /verify (transcript digests): a fresh one per walk. */
  readonly checkEvents: () => EventCheck;
  /** The ledger seal key: /verify names rewritten events (consent/chain.ts). */
  readonly sealKey: Buffer;
}

/** Longest series /aggregates draws: about ten years of days, or of months. */
const MAX_PERIODS = 3700;

/**
 * A page of a search. The stores refuse a cursor they did not issue (or issued for another query)
 * with a RangeError: the client's 400, not the store's failure.
 */
async function paged<T>(after: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (failure) {
    if (failure instanceof RangeError && after !== undefined) {
      throw invalid('INVALID_CURSOR', 'must be the next value of a previous page', 'after');
    }
    throw failure;
  }
}

/** `YYYY-MM-DD` or `YYYY-MM` of every period that overlaps [from, to). */
function periodsBetween(from: Date, to: Date, period: Period): string[] {
  const periods: string[] = [];
  const cursor = new Date(
    Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), period === 'day' ? from.getUTCDate() : 1),
  );
  while (cursor.getTime() < to.getTime() && periods.length <= MAX_PERIODS) {
    periods.push(cursor.toISOString().slice(0, period === 'day' ? 10 : 7));
    if (period === 'day') cursor.setUTCDate(cursor.getUTCDate() + 1);
    else cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return periods;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** Per purpose and period: how many of each decision, the consent rate and the withdrawal rate. */
function seriesOf(
  counts: readonly DecisionCount[],
  purposeIds: readonly string[],
  periods: readonly string[],
) {
  const byKey = new Map<string, number>();
  for (const c of counts) {
    const key = `${c.purposeId}\n${c.period}\n${c.decision}`;
    byKey.set(key, (byKey.get(key) ?? 0) + c.count);
  }
  return purposeIds.map((purposeId) => ({
    purposeId,
    series: periods.map((period) => {
      const n = Object.fromEntries(
        DECISIONS.map((d) => [d, byKey.get(`${purposeId}\n${period}\n${d}`) ?? 0]),
      ) as Record<Decision, number>;
      return {
        period,
        ...n,
        consentRate: ratio(n.given, n.given + n.refused),
        withdrawalRate: ratio(n.withdrawn, n.given + n.confirmed),
      };
    }),
  }));
}

const page = <T extends z.ZodType>(name: string, item: T) =>
  z.object({ [name]: z.array(item), next: z.string().optional() });

const streamed = (mediaType: string, cut: string): ResponseDoc => ({
  description: `Streamed. ${cut}.`,
  mediaType,
});

/**
 * The compliance officer's API: search the ledger and the transcripts, read one
 * conversation with the notices shown in it, export proof (JSON lines, CSV, Kantara receipts),
 * aggregate rates, verify the chains, and read the access log. Role `compliance` only; every
 * response is `no-store`. Every call that returns personal data leaves its trace in the access
 * log first (GDPR art. 5(2)), naming the person only by the ledger's pseudonym.
 */
export function complianceRoutes(deps: ComplianceRoutesDeps): Route[] {
  const { ledger, log } = deps;
  const common = {
    roles: ['compliance'],
    cache: 'no-store',
    // An unknown or repeated parameter; a field's own failures have their own codes.
    invalid: 'INVALID_QUERY',
  } as const;

  /** The three exports: same filters as /events, no paging, oldest first, streamed. */
  const exportRoute = (
    path: string,
    format: string,
    summary: string,
    responses: Record<number, ResponseDoc>,
    spec: {
      contentType: string;
      filename: string;
      lines: (events: AsyncIterable<ConsentEvent>) => AsyncIterable<string>;
      failureLine: (code: string) => string;
    },
  ): Route =>
    route({
      ...common,
      method: 'GET',
      path,
      summary,
      query: ledgerQuery,
      access: `export.${format}`,
      failure: 'api.export_failed',
      responses,
      handle: async ({ query }, { caller, access, res }) => {
        const filter = ledgerFilterOf(query, deps.ledgerSubjectOf);
        await access(filter.target, filter.detail);
        const { lines, ...rest } = spec;
        await streamLines(
          res,
          {
            ...rest,
            lines: lines(ledger.scan(filter.query, 'recorded')),
            format,
            role: caller.role,
          },
          log,
        );
        return undefined;
      },
    });

  const jsonFailure = (code: string): string =>
    `${JSON.stringify({ error: code, complete: false })}\n`;
  const jsonCut = streamed('application/x-ndjson', 'Ends with {"complete":false} if cut');

  return [
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/events',
      summary: 'Searches the consent ledger, newest first',
      query: eventsQuery,
      access: 'ledger.search',
      failure: 'api.events_failed',
      responses: {
        200: { description: 'One page of events', schema: page('events', ConsentEventBody) },
      },
      handle: async ({ query }, { caller, access }) => {
        const { limit, after, ...filters } = query;
        const filter = ledgerFilterOf(filters, deps.ledgerSubjectOf);
        const found = await paged(after, () =>
          ledger.search(filter.query, { limit, ...(after !== undefined ? { after } : {}) }),
        );
        await access(filter.target, { ...filter.detail, results: found.events.length });
        log.info('api.events_searched', { role: caller.role, events: found.events.length });
        return {
          status: 200,
          body: { events: found.events, ...(found.next ? { next: found.next } : {}) },
        };
      },
    }),
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/conversations',
      summary: 'Finds conversations, most recently active first',
      query: conversationsQuery,
      access: 'transcripts.search',
      failure: 'api.conversations_failed',
      responses: {
        200: {
          description: 'One page of conversations',
          schema: page(
            'conversations',
            z.object({
              channelId: z.string(),
              conversationId: z.string(),
              firstAt: isoTime,
              lastAt: isoTime,
              activities: count,
            }),
          ),
        },
      },
      handle: async ({ query }, { caller, access }) => {
        const { channelId, userId, from, to, limit, after } = query;
        const range = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
        const found = await paged(after, () =>
          deps.transcripts.searchConversations(
            { ...(channelId ? { channelId } : {}), ...(userId ? { userId } : {}), ...range },
            { limit, ...(after !== undefined ? { after } : {}) },
          ),
        );
        const pseudonym =
          channelId && userId ? personOf(deps.ledgerSubjectOf, { channelId, userId }) : undefined;
        const { target, detail } = describe({
          ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
          ...range,
        });
        await access(target, { ...detail, results: found.conversations.length });
        log.info('api.conversations_searched', {
          role: caller.role,
          conversations: found.conversations.length,
        });
        return {
          status: 200,
          body: {
            conversations: found.conversations,
            ...(found.next ? { next: found.next } : {}),
          },
        };
      },
    }),
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/conversations/:channelId/:conversationId',
      summary: 'One conversation as a timeline, with each decision and the notice shown',
      params: z.object({
        channelId: coded(id.meta({ description: 'The channel' }), 'INVALID_CONVERSATION'),
        conversationId: coded(id.meta({ description: 'The conversation' }), 'INVALID_CONVERSATION'),
      }),
      query: queryObject({}),
      access: 'transcript.read',
      failure: 'api.transcript_failed',
      responses: {
        200: {
          description: 'What was said both ways, and the decisions, in time order',
          schema: z.object({
            channelId: z.string(),
            conversationId: z.string(),
            timeline: z.array(
              z.union([
                z.object({
                  kind: z.literal('activity'),
                  at: isoTime,
                  direction: z.enum(['in', 'out']),
                  type: z.string(),
                  text: z.string().optional(),
                  name: z.string().optional(),
                  activityId: z.string().optional(),
                }),
                z.object({
                  kind: z.literal('consent'),
                  at: isoTime,
                  event: ConsentEventBody,
                  notice: z
                    .object({
                      text: z.string(),
                      locale: z.string(),
                      purposeVersion: z.int(),
                      catalogueVersion: z.string(),
                      hash: z.string(),
                    })
                    .nullable(),
                }),
              ]),
            ),
          }),
        },
        404: error('NOT_FOUND: nothing is stored for this conversation'),
      },
      handle: async ({ params: { channelId, conversationId } }, { caller, access }) => {
        const timeline = await conversationTimeline(deps, channelId, conversationId);
        if (!timeline) {
          throw new HttpError(
            404,
            'NOT_FOUND',
            'no activity and no consent event in this conversation',
          );
        }
        // The person of the conversation, by the ledger's pseudonym only.
        const person =
          timeline.ledgerSubject ??
          (timeline.personId
            ? personOf(deps.ledgerSubjectOf, { channelId, userId: timeline.personId })
            : undefined);
        await access(person ? subjectKey(person) : '*', {
          channelId,
          conversation: conversationDigest(channelId, conversationId),
          items: timeline.items.length,
        });
        log.info('api.transcript_read', { role: caller.role, items: timeline.items.length });
        return { status: 200, body: { channelId, conversationId, timeline: timeline.items } };
      },
    }),
    exportRoute(
      '/api/compliance/export/events.jsonl',
      'events.jsonl',
      'Streams every matching event, oldest first, one JSON object per line',
      { 200: jsonCut },
      {
        contentType: 'application/x-ndjson; charset=utf-8',
        filename: 'consent-events.jsonl',
        lines: jsonLines,
        failureLine: jsonFailure,
      },
    ),
    exportRoute(
      '/api/compliance/export/events.csv',
      'events.csv',
      'The same as CSV (RFC 4180; spreadsheet formulas neutralised)',
      { 200: streamed('text/csv', 'Ends with an "#export incomplete" row if cut') },
      {
        contentType: 'text/csv; charset=utf-8',
        filename: 'consent-events.csv',
        lines: csvLines,
        // A full-width row, so the file stays rectangular for RFC 4180 readers.
        failureLine: (code) =>
          csvRow([`#export incomplete: ${code}`, ...CSV_COLUMNS.slice(1).map(() => '')]),
      },
    ),
    exportRoute(
      '/api/compliance/export/receipts.jsonl',
      'receipts.jsonl',
      'A Kantara Consent Receipt v1.1 per consent given, one per line',
      {
        200: jsonCut,
        500: error('The controller has no postal address or phone (Kantara requires them)'),
      },
      {
        contentType: 'application/x-ndjson; charset=utf-8',
        filename: 'consent-receipts.jsonl',
        lines: (events) =>
          receiptLines(events, {
            catalogue: deps.catalogue,
            ...(deps.controller ? { controller: deps.controller } : {}),
          }),
        failureLine: jsonFailure,
      },
    ),
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/aggregates',
      summary: 'Decisions per purpose and period, consent and withdrawal rates, opt-out reasons',
      query: aggregatesQuery,
      failure: 'api.aggregates_failed',
      responses: {
        200: {
          description: 'Series per purpose; rates are null for a period without answers',
          schema: z.object({
            from: isoTime,
            to: isoTime,
            period: z.enum(['day', 'month']),
            purposes: z.array(
              z.object({
                purposeId: z.string(),
                series: z.array(
                  z.object({
                    period: z.string(),
                    ...Object.fromEntries(DECISIONS.map((d) => [d, count])),
                    consentRate: z.number().nullable(),
                    withdrawalRate: z.number().nullable(),
                  }),
                ),
              }),
            ),
            optOutReasons: z.object({ totals: z.record(z.string(), count) }),
          }),
        },
      },
      handle: async ({ query: { from, to, period, purposeId } }, { caller }) => {
        const periods = periodsBetween(from, to, period);
        if (periods.length > MAX_PERIODS) {
          throw invalid('INVALID_RANGE', `at most ${MAX_PERIODS} periods; use period=month`);
        }
        const counts = await ledger.countDecisions(
          { from, to, ...(purposeId ? { purposeId } : {}) },
          period,
        );
        // Opt-out reasons are kept by day only: the days the range touches, both included.
        const reasons = await deps.reasons.summary(from, new Date(to.getTime() - 1));
        const totals = Object.fromEntries(OPT_OUT_REASONS.map((r) => [r, 0])) as Record<
          string,
          number
        >;
        for (const { reason, count } of reasons) totals[reason] = (totals[reason] ?? 0) + count;
        const purposeIds = purposeId
          ? [purposeId]
          : [
              ...new Set([
                ...deps.catalogue.purposes.map((p) => p.id),
                ...counts.map((c) => c.purposeId),
              ]),
            ];
        log.info('api.aggregates_read', { role: caller.role, periods: periods.length });
        return {
          status: 200,
          body: {
            from: from.toISOString(),
            to: to.toISOString(),
            period,
            purposes: seriesOf(counts, purposeIds, periods),
            optOutReasons: { totals },
          },
        };
      },
    }),
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/verify',
      summary: 'Checks the hash chains, notices and transcripts of the store, a window, a person',
      query: verifyQuery,
      access: 'ledger.verify',
      failure: 'api.verify_failed',
      responses: {
        200: {
          description: 'Where each break is (the first 1,000; problemCount counts all)',
          schema: z.looseObject({
            scope: z.enum(['store', 'range', 'subject']),
            subjects: count,
            events: count,
            intact: z.boolean(),
            problemCount: count,
            problems: z.array(
              z.looseObject({
                subject: z.string(),
                kind: z.string(),
                seq: z.int(),
                eventId: z.string(),
              }),
            ),
          }),
        },
      },
      handle: async ({ query: { channelId, userId, from, to } }, { caller, access }) => {
        const pseudonym =
          channelId && userId ? personOf(deps.ledgerSubjectOf, { channelId, userId }) : undefined;
        const query = {
          ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        };
        const report = await verifyLedger(ledger, query, {
          checkEvent: deps.checkEvents(),
          sealKey: deps.sealKey,
        });
        const { target, detail } = describe(query);
        await access(target, { ...detail, problems: report.problemCount });
        log.info('api.ledger_verified', {
          role: caller.role,
          scope: report.scope,
          subjects: report.subjects,
          events: report.events,
          problems: report.problemCount,
        });
        return { status: 200, body: report };
      },
    }),
    route({
      ...common,
      method: 'GET',
      path: '/api/compliance/access-log',
      summary: 'Who read whose data, and when (people by pseudonym only)',
      query: accessLogQuery,
      access: 'access-log.read',
      failure: 'api.access_log_failed',
      responses: {
        200: {
          description: 'Newest first',
          schema: page(
            'records',
            z.object({
              at: isoTime,
              principal: z.string(),
              role: z.string(),
              action: z.string(),
              target: z.string(),
              detail: z
                .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
                .optional(),
            }),
          ),
        },
      },
      handle: async ({ query: { principal, from, to, limit, after } }, { caller, access }) => {
        const found = await paged(after, () =>
          deps.accessLog.list(
            {
              ...(principal ? { principal } : {}),
              ...(from ? { from } : {}),
              ...(to ? { to } : {}),
            },
            { limit, ...(after !== undefined ? { after } : {}) },
          ),
        );
        // Reading who read what is itself recorded, after the page was read, so it shows next time.
        await access('*', { ...(principal ? { principal } : {}), results: found.records.length });
        log.info('api.access_log_read', { role: caller.role, records: found.records.length });
        return {
          status: 200,
          body: { records: found.records, ...(found.next ? { next: found.next } : {}) },
        };
      },
    }),
  ];
}
