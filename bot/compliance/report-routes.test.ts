import { tokenAuthenticator } from '../http/auth.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OptOutReasons } from '../../consent/opt-out-reasons.js';
import { StoreUnavailableError } from '../../consent/ledger.js';
import { MemoryOptOutReasons } from '../../storage/memory/memory-opt-out-reasons.js';
import type { ApiToken } from '../platform/config.js';
import { reportRoutes } from './report-routes.js';
import { recordingLog, routesOnFreePort } from '../../test/http-harness.js';

const COMPLIANCE = 'compliance-token-0123456789';
const AGENT = 'agent-token-0123456789abcdef';
const MARKETING = 'marketing-token-0123456789ab';
const TOKENS: readonly ApiToken[] = [
  { role: 'compliance', token: COMPLIANCE },
  { role: 'agent', token: AGENT },
  { role: 'marketing', token: MARKETING },
];

interface Running {
  readonly url: string;
  readonly reasons: OptOutReasons;
  readonly log: ReturnType<typeof recordingLog>;
  close(): Promise<void>;
}

/** The route on a real restify server, parsed as bot/http/server.ts parses, on a free port. */
async function start(reasons: OptOutReasons = new MemoryOptOutReasons()): Promise<Running> {
  const log = recordingLog();
  const routes = await routesOnFreePort(reportRoutes({ reasons, log }), {
    auth: tokenAuthenticator(TOKENS),
    log,
  });
  return { ...routes, reasons, log };
}

let running: Running;
beforeEach(async () => {
  running = await start();
});
afterEach(async () => {
  await running.close();
});

async function report(query: string, token: string | null = COMPLIANCE) {
  const response = await fetch(`${running.url}/api/reports/opt-out-reasons${query}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const zero = { 'too-many-messages': 0, 'not-relevant': 0, 'privacy-worries': 0, other: 0 };

describe('GET /api/reports/opt-out-reasons', () => {
  it('gives totals per reason and per day over the days asked, both included', async () => {
    const answers: [Parameters<OptOutReasons['record']>[0], string][] = [
      ['too-many-messages', '2026-10-31T23:59:59.999Z'],
      ['too-many-messages', '2026-11-01T00:00:00.000Z'],
      ['privacy-worries', '2026-11-01T12:00:00.000Z'],
      ['too-many-messages', '2026-11-01T18:00:00.000Z'],
      ['other', '2026-11-03T23:59:59.999Z'],
      ['not-relevant', '2026-11-04T00:00:00.000Z'],
    ];
    for (const [reason, at] of answers) await running.reasons.record(reason, new Date(at));

    const answer = await report('?from=2026-11-01&to=2026-11-03');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      from: '2026-11-01',
      to: '2026-11-03',
      total: 4,
      reasons: { ...zero, 'too-many-messages': 2, 'privacy-worries': 1, other: 1 },
      days: [
        {
          day: '2026-11-01',
          total: 3,
          reasons: { ...zero, 'too-many-messages': 2, 'privacy-worries': 1 },
        },
        { day: '2026-11-03', total: 1, reasons: { ...zero, other: 1 } },
      ],
    });
  });

  it('answers zeros for a range with no answers, and one day when from is to', async () => {
    expect((await report('?from=2026-01-01&to=2026-12-31')).body).toEqual({
      from: '2026-01-01',
      to: '2026-12-31',
      total: 0,
      reasons: zero,
      days: [],
    });
    await running.reasons.record('other', new Date('2026-11-02T10:00:00.000Z'));
    expect((await report('?from=2026-11-02&to=2026-11-02')).body).toMatchObject({
      total: 1,
      days: [{ day: '2026-11-02', total: 1 }],
    });
  });

  it('refuses missing or malformed days with 400 INVALID_DATE, and from after to with INVALID_RANGE', async () => {
    for (const query of [
      '',
      '?from=2026-11-01',
      '?to=2026-11-01',
      '?from=2026-11-1&to=2026-11-03',
      '?from=2026-02-30&to=2026-03-03',
      '?from=2026-11-01T00:00:00Z&to=2026-11-03',
      '?from=yesterday&to=today',
      '?from=2026-11-01&from=2026-11-02&to=2026-11-03',
    ]) {
      const answer = await report(query);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.body).toMatchObject({ code: 'INVALID_DATE' });
    }
    const backwards = await report('?from=2026-11-03&to=2026-11-02');
    expect(backwards.status).toBe(400);
    expect(backwards.body).toMatchObject({ code: 'INVALID_RANGE' });
  });

  it('names the field of an impossible day: month 00 or 13, day 32, Feb 30', async () => {
    for (const [query, name] of [
      ['?from=2026-13-01&to=2026-12-01', 'from'],
      ['?from=2026-00-01&to=2026-12-01', 'from'],
      ['?from=2026-11-01&to=2026-11-32', 'to'],
      ['?from=2026-02-01&to=2026-02-30', 'to'],
    ] as const) {
      const answer = await report(query);
      expect({ query, status: answer.status, body: answer.body }).toEqual({
        query,
        status: 400,
        body: {
          code: 'INVALID_DATE',
          message: expect.stringMatching(new RegExp(`^${name}: `)) as unknown,
          // The one shape of every validation failure: each problem, with its field.
          issues: [{ path: name, message: 'required, a real day (YYYY-MM-DD)' }],
        },
      });
    }
  });

  it('is for compliance only: 401 without a valid token, 403 for agents and marketing', async () => {
    const query = '?from=2026-11-01&to=2026-11-03';
    for (const token of [null, 'not-a-token-0123456789']) {
      const answer = await report(query, token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    for (const token of [AGENT, MARKETING]) {
      const answer = await report(query, token);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('logs the access by role and total', async () => {
    await running.reasons.record('other', new Date('2026-11-02T10:00:00.000Z'));
    await report('?from=2026-11-01&to=2026-11-03');
    expect(running.log.lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        level: 'info',
        event: 'api.report_read',
        role: 'compliance',
        report: 'opt-out-reasons',
        total: 1,
      },
    ]);
  });

  it('answers 503 STORE_UNAVAILABLE when the store cannot be read', async () => {
    await running.close();
    running = await start({
      record: () => Promise.reject(new StoreUnavailableError('down')),
      summary: () => Promise.reject(new StoreUnavailableError('down')),
    });
    const answer = await report('?from=2026-11-01&to=2026-11-03');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
