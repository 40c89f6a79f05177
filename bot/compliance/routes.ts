import type { Request, Response, Server } from 'restify';
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
import type { Authenticator } from '../http/auth.js';
import { CSV_COLUMNS, csvLines, csvRow, jsonLines, receiptLines, streamLines } from './export.js';
import {
  conversationDigest,
  describe,
  LEDGER_FILTERS,
  ledgerFilterOf,
  pagingOf,
  periodOf,
  pseudonymOf,
  QueryError,
  queryOf,
  rangeOf,
  subjectFilterOf,
  type LedgerFilter,
  type Paging,
} from './params.js';
import { conversationTimeline } from './timeline.js';
import { ID_RULE, isId, admit, fail, recordAccess, type Caller } from '../http/http-common.js';
import { verifyLedger, type EventCheck } from '../proof/ledger-verification.js';
import { errorFields, type Logger } from '../platform/log.js';

export interface ComplianceRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger & LedgerSearch;
  readonly notices: NoticeArchive;
  readonly transcripts: TranscriptStoreWithRetention & TranscriptSearch;
  readonly accessLog: AccessLog;
  readonly reasons: OptOutReasons;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly auth: Authenticator;
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

/** A failure the handler turns into a 400 (bad input) or a 503 (store), never a 500. */
function failed(res: Response, log: Logger, event: string, error: unknown, paging?: Paging): void {
  if (error instanceof QueryError) {
    fail(res, 400, error.code, error.message);
    return;
  }
  // The stores refuse a cursor they did not issue (or issued for another query) with RangeError.
  if (error instanceof RangeError && paging?.after !== undefined) {
    fail(res, 400, 'INVALID_CURSOR', 'after must be the next value of a previous page');
    return;
  }
  log.error(event, errorFields(error));
  fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable; try again, it is safe to');
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

/**
 * The compliance officer's API: search the ledger and the transcripts, read one
 * conversation with the notices shown in it, export proof (JSON lines, CSV, Kantara receipts),
 * aggregate rates, verify the chains, and read the access log. Role `compliance` only; every
 * response is `no-store`. Every call that returns personal data leaves its trace in the access
 * log first (GDPR art. 5(2)), naming the person only by the ledger's pseudonym.
 */
export function registerComplianceRoutes(server: Server, deps: ComplianceRoutesDeps): void {
  const { ledger, log } = deps;

  /** Sets no-store, then admits: 401/403 come before any validation. */
  const route =
    (handler: (req: Request, res: Response, caller: Caller) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      res.header('Cache-Control', 'no-store');
      const caller = await admit(req, res, deps.auth, ['compliance']);
      if (!caller) return;
      await handler(req, res, caller);
    };

  server.get(
    '/api/compliance/events',
    route(async (req, res, caller) => {
      let paging: Paging | undefined;
      try {
        const raw = queryOf(req.query, [...LEDGER_FILTERS, 'limit', 'after']);
        const filter = ledgerFilterOf(raw, deps.ledgerSubjectOf);
        paging = pagingOf(raw);
        const page = await ledger.search(filter.query, paging);
        if (
          !(await recordAccess(res, deps.accessLog, caller, 'ledger.search', filter.target, {
            ...filter.detail,
            results: page.events.length,
          }))
        ) {
          return;
        }
        log.info('api.events_searched', { role: caller.role, events: page.events.length });
        res.send(200, { events: page.events, ...(page.next ? { next: page.next } : {}) });
      } catch (error) {
        failed(res, log, 'api.events_failed', error, paging);
      }
    }),
  );

  server.get(
    '/api/compliance/conversations',
    route(async (req, res, caller) => {
      let paging: Paging | undefined;
      try {
        const raw = queryOf(req.query, ['channelId', 'userId', 'from', 'to', 'limit', 'after']);
        const { channelId, subject } = subjectFilterOf(raw);
        const range = rangeOf(raw);
        paging = pagingOf(raw);
        const page = await deps.transcripts.searchConversations(
          {
            ...(channelId ? { channelId } : {}),
            ...(subject ? { userId: subject.userId } : {}),
            ...range,
          },
          paging,
        );
        const pseudonym = subject ? pseudonymOf(subject, deps.ledgerSubjectOf) : undefined;
        const { target, detail } = describe({
          ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
          ...range,
        });
        if (
          !(await recordAccess(res, deps.accessLog, caller, 'transcripts.search', target, {
            ...detail,
            results: page.conversations.length,
          }))
        ) {
          return;
        }
        log.info('api.conversations_searched', {
          role: caller.role,
          conversations: page.conversations.length,
        });
        res.send(200, {
          conversations: page.conversations,
          ...(page.next ? { next: page.next } : {}),
        });
      } catch (error) {
        failed(res, log, 'api.conversations_failed', error, paging);
      }
    }),
  );

  server.get(
    '/api/compliance/conversations/:channelId/:conversationId',
    route(async (req, res, caller) => {
      try {
        queryOf(req.query, []);
        const { channelId, conversationId } = (req.params ?? {}) as Record<string, unknown>;
        if (!isId(channelId) || !isId(conversationId)) {
          throw new QueryError(
            'INVALID_CONVERSATION',
            `channelId and conversationId must be ${ID_RULE}`,
          );
        }
        const timeline = await conversationTimeline(deps, channelId, conversationId);
        if (!timeline) {
          fail(res, 404, 'NOT_FOUND', 'no activity and no consent event in this conversation');
          return;
        }
        // The person of the conversation, by the ledger's pseudonym only.
        const person =
          timeline.ledgerSubject ??
          (timeline.personId
            ? pseudonymOf({ channelId, userId: timeline.personId }, deps.ledgerSubjectOf)
            : undefined);
        if (
          !(await recordAccess(
            res,
            deps.accessLog,
            caller,
            'transcript.read',
            person ? subjectKey(person) : '*',
            {
              channelId,
              conversation: conversationDigest(channelId, conversationId),
              items: timeline.items.length,
            },
          ))
        ) {
          return;
        }
        log.info('api.transcript_read', { role: caller.role, items: timeline.items.length });
        res.send(200, { channelId, conversationId, timeline: timeline.items });
      } catch (error) {
        failed(res, log, 'api.transcript_failed', error);
      }
    }),
  );

  /** The three exports: same filters as /events, no paging, oldest first, streamed. */
  const exportRoute = (
    path: string,
    format: string,
    spec: {
      contentType: string;
      filename: string;
      lines: (events: AsyncIterable<ConsentEvent>) => AsyncIterable<string>;
      failureLine: (code: string) => string;
    },
  ): void => {
    server.get(
      path,
      route(async (req, res, caller) => {
        let filter: LedgerFilter;
        try {
          const raw = queryOf(req.query, LEDGER_FILTERS);
          filter = ledgerFilterOf(raw, deps.ledgerSubjectOf);
        } catch (error) {
          failed(res, log, 'api.export_failed', error);
          return;
        }
        if (
          !(await recordAccess(
            res,
            deps.accessLog,
            caller,
            `export.${format}`,
            filter.target,
            filter.detail,
          ))
        ) {
          return;
        }
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
      }),
    );
  };

  const jsonFailure = (code: string): string =>
    `${JSON.stringify({ error: code, complete: false })}\n`;
  exportRoute('/api/compliance/export/events.jsonl', 'events.jsonl', {
    contentType: 'application/x-ndjson; charset=utf-8',
    filename: 'consent-events.jsonl',
    lines: jsonLines,
    failureLine: jsonFailure,
  });
  exportRoute('/api/compliance/export/events.csv', 'events.csv', {
    contentType: 'text/csv; charset=utf-8',
    filename: 'consent-events.csv',
    lines: csvLines,
    // A full-width row, so the file stays rectangular for RFC 4180 readers.
    failureLine: (code) =>
      csvRow([`#export incomplete: ${code}`, ...CSV_COLUMNS.slice(1).map(() => '')]),
  });
  exportRoute('/api/compliance/export/receipts.jsonl', 'receipts.jsonl', {
    contentType: 'application/x-ndjson; charset=utf-8',
    filename: 'consent-receipts.jsonl',
    lines: (events) =>
      receiptLines(events, {
        catalogue: deps.catalogue,
        ...(deps.controller ? { controller: deps.controller } : {}),
      }),
    failureLine: jsonFailure,
  });

  server.get(
    '/api/compliance/aggregates',
    route(async (req, res, caller) => {
      try {
        const raw = queryOf(req.query, ['from', 'to', 'period', 'purposeId']);
        const { from, to } = rangeOf(raw);
        if (!from || !to) {
          throw new QueryError('INVALID_DATE', 'from and to are required (YYYY-MM-DD or ISO)');
        }
        const period = periodOf(raw);
        const purposeId = raw.purposeId;
        if (purposeId !== undefined && !isId(purposeId)) {
          throw new QueryError('INVALID_QUERY', `purposeId must be ${ID_RULE}`);
        }
        const periods = periodsBetween(from, to, period);
        if (periods.length > MAX_PERIODS) {
          throw new QueryError('INVALID_RANGE', `at most ${MAX_PERIODS} periods; use period=month`);
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
        res.send(200, {
          from: from.toISOString(),
          to: to.toISOString(),
          period,
          purposes: seriesOf(counts, purposeIds, periods),
          optOutReasons: { totals },
        });
      } catch (error) {
        failed(res, log, 'api.aggregates_failed', error);
      }
    }),
  );

  server.get(
    '/api/compliance/verify',
    route(async (req, res, caller) => {
      try {
        const raw = queryOf(req.query, ['channelId', 'userId', 'from', 'to']);
        const { channelId, subject } = subjectFilterOf(raw);
        const pseudonym = subject ? pseudonymOf(subject, deps.ledgerSubjectOf) : undefined;
        const query = {
          ...(pseudonym ? { subject: pseudonym } : channelId ? { channelId } : {}),
          ...rangeOf(raw),
        };
        const report = await verifyLedger(ledger, query, {
          checkEvent: deps.checkEvents(),
          sealKey: deps.sealKey,
        });
        const { target, detail } = describe(query);
        if (
          !(await recordAccess(res, deps.accessLog, caller, 'ledger.verify', target, {
            ...detail,
            problems: report.problemCount,
          }))
        ) {
          return;
        }
        log.info('api.ledger_verified', {
          role: caller.role,
          scope: report.scope,
          subjects: report.subjects,
          events: report.events,
          problems: report.problemCount,
        });
        res.send(200, report);
      } catch (error) {
        failed(res, log, 'api.verify_failed', error);
      }
    }),
  );

  server.get(
    '/api/compliance/access-log',
    route(async (req, res, caller) => {
      let paging: Paging | undefined;
      try {
        const raw = queryOf(req.query, ['principal', 'from', 'to', 'limit', 'after']);
        const { principal } = raw;
        if (principal !== undefined && !isId(principal)) {
          throw new QueryError('INVALID_QUERY', `principal must be ${ID_RULE}`);
        }
        paging = pagingOf(raw);
        const page = await deps.accessLog.list(
          { ...(principal ? { principal } : {}), ...rangeOf(raw) },
          paging,
        );
        // Reading who read what is itself recorded, after the page was read, so it shows next time.
        const detail = { ...(principal ? { principal } : {}), results: page.records.length };
        if (!(await recordAccess(res, deps.accessLog, caller, 'access-log.read', '*', detail))) {
          return;
        }
        log.info('api.access_log_read', { role: caller.role, records: page.records.length });
        res.send(200, { records: page.records, ...(page.next ? { next: page.next } : {}) });
      } catch (error) {
        failed(res, log, 'api.access_log_failed', error, paging);
      }
    }),
  );
}
