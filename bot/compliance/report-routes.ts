import type { Request, Response, Server } from 'restify';
import {
  isDay,
  OPT_OUT_REASONS,
  type OptOutReason,
  type OptOutReasons,
} from '../../consent/opt-out-reasons.js';
import type { Authenticator } from '../http/auth.js';
import { errorFields, type Logger } from '../platform/log.js';
import { admit, fail } from '../http/http-common.js';

export interface ReportRoutesDeps {
  readonly reasons: OptOutReasons;
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
  readonly log: Logger;
}

type ReasonTotals = Record<OptOutReason, number>;

const zeroTotals = (): ReasonTotals =>
  Object.fromEntries(OPT_OUT_REASONS.map((reason) => [reason, 0])) as ReasonTotals;

/**
 * Reports for compliance. Opt-out reasons (learn from opt-outs) are read in aggregate
 * only: totals per reason, and per day, over a range of UTC days, both included. The store holds
 * nothing about who answered, so neither does the report.
 */
export function registerReportRoutes(server: Server, deps: ReportRoutesDeps): void {
  const { reasons, log } = deps;

  server.get('/api/reports/opt-out-reasons', async (req: Request, res: Response) => {
    const access = await admit(req, res, deps.auth, ['compliance']);
    if (!access) return;
    const query = (req.query ?? {}) as Record<string, unknown>;
    const { from, to } = query;
    const wrong = (
      [
        ['from', from],
        ['to', to],
      ] as const
    ).find(([, value]) => typeof value !== 'string' || !isDay(value));
    if (wrong || typeof from !== 'string' || typeof to !== 'string') {
      const name = wrong?.[0] ?? 'from';
      fail(res, 400, 'INVALID_DATE', `${name}: required, a real day (YYYY-MM-DD)`);
      return;
    }
    if (from > to) {
      fail(res, 400, 'INVALID_RANGE', 'from must not be after to');
      return;
    }
    try {
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
      log.info('api.report_read', { role: access.role, report: 'opt-out-reasons', total });
      res.header('Cache-Control', 'no-store');
      res.send(200, {
        from,
        to,
        total,
        reasons: totals,
        // Days with at least one answer, in order; a day absent had none.
        days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
      });
    } catch (error) {
      log.error('api.report_failed', { report: 'opt-out-reasons', ...errorFields(error) });
      fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable, try again');
    }
  });
}
