import { z } from 'zod';
import {
  isDay,
  OPT_OUT_REASONS,
  type OptOutReason,
  type OptOutReasons,
} from '../../consent/opt-out-reasons.js';
import type { Logger } from '../platform/log.js';
import { coded, route, type Route } from '../http/route.js';
import { count } from '../http/schemas.js';

export interface ReportRoutesDeps {
  readonly reasons: OptOutReasons;
  readonly log: Logger;
}

type ReasonTotals = Record<OptOutReason, number>;

const zeroTotals = (): ReasonTotals =>
  Object.fromEntries(OPT_OUT_REASONS.map((reason) => [reason, 0])) as ReasonTotals;

const DAY_RULE = 'required, a real day (YYYY-MM-DD)';
const day = (description: string) =>
  coded(
    z
      .string({ error: DAY_RULE })
      .refine(isDay, { error: DAY_RULE })
      .meta({ description, format: 'date' }),
    'INVALID_DATE',
  );

const totals = z.object(Object.fromEntries(OPT_OUT_REASONS.map((r) => [r, count])));

/**
 * Reports for compliance. Opt-out reasons (learn from opt-outs) are read in aggregate
 * only: totals per reason, and per day, over a range of UTC days, both included. The store holds
 * nothing about who answered, so neither does the report.
 */
export function reportRoutes(deps: ReportRoutesDeps): Route[] {
  const { reasons, log } = deps;
  return [
    route({
      method: 'GET',
      path: '/api/reports/opt-out-reasons',
      summary: 'Why people left, in aggregate (day and reason only, never who)',
      roles: ['compliance'],
      query: z
        .object({ from: day('First UTC day, included'), to: day('Last UTC day, included') })
        .refine(({ from, to }) => !isDay(from) || !isDay(to) || from <= to, {
          error: 'from must not be after to',
          params: { code: 'INVALID_RANGE' },
        }),
      failure: 'api.report_failed',
      responses: {
        200: {
          description: 'Totals per reason and per day',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            total: count,
            reasons: totals,
            days: z.array(z.object({ day: z.string(), total: count, reasons: totals })),
          }),
        },
      },
      handle: async ({ query: { from, to } }, { caller }) => {
        const counts = await reasons.summary(
          new Date(`${from}T00:00:00.000Z`),
          new Date(`${to}T00:00:00.000Z`),
        );
        const totals = zeroTotals();
        const days = new Map<string, { day: string; total: number; reasons: ReasonTotals }>();
        for (const { day, reason, count } of counts) {
          totals[reason] += count;
          const entry = days.get(day) ?? { day, total: 0, reasons: zeroTotals() };
          entry.total += count;
          entry.reasons[reason] += count;
          days.set(day, entry);
        }
        const total = Object.values(totals).reduce((sum, n) => sum + n, 0);
        log.info('api.report_read', { role: caller.role, report: 'opt-out-reasons', total });
        return {
          status: 200,
          headers: { 'Cache-Control': 'no-store' },
          body: {
            from,
            to,
            total,
            reasons: totals,
            // Days with at least one answer, in order; a day absent had none.
            days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
          },
        };
      },
    }),
  ];
}
