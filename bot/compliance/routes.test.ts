import type { Activity } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentEvent } from '../../consent/ledger.js';
import { validateKantaraReceipt } from '../../consent/receipts.js';
import { subjectKey } from '../../consent/subject.js';
import { MAX_SEARCH_LIMIT } from '../../storage/search-rules.js';
import { openEmbeddedStores, openMemoryStores } from '../../storage/stores.js';
import {
  ALICE,
  BOB,
  CAROL,
  FORMULA_CONVERSATION,
  get,
  NEWSLETTER_HASH,
  NEWSLETTER_NOTICE,
  parseCsv,
  pseudonym,
  seedSmallLedger,
  serveComplianceRoutes,
  T,
  type AccessLogBody,
  type AggregatesBody,
  type ComplianceStores,
  type ConversationsBody,
  type ErrorBody,
  type EventsBody,
  type TimelineBody,
  type VerifyBody,
  type RoutesUnderTest,
} from '../../test/compliance-fixture.js';
import { temporaryFolder } from '../../test/harness.js';
import { AGENT, COMPLIANCE, MARKETING } from '../../test/http-harness.js';
import { CSV_COLUMNS } from './export.js';
import { conversationDigest } from './params.js';
import type { ActivityItem, ConsentItem } from './timeline.js';

/** The embedded store in a folder of its own, removed when the stores close. */
function openSqlite(): ComplianceStores {
  const folder = temporaryFolder();
  const stores = openEmbeddedStores(folder.path);
  return {
    ...stores,
    close: async () => {
      await stores.close();
      folder.remove();
    },
  };
}

const BACKENDS: readonly [string, () => ComplianceStores][] = [
  ['memory', openMemoryStores],
  ['sqlite', openSqlite],
];

/** Matchers typed unknown: the body's fields are what is checked. */
const anyString: unknown = expect.any(String);
/** Every validation failure names its problems, each with the path of its field ('' for all). */
const anyIssue: unknown = { path: anyString, message: anyString };
const tokenPrincipal: unknown = expect.stringMatching(/^token:compliance:[0-9a-f]{12}$/);

const q = (params: Record<string, string>): string => `?${new URLSearchParams(params).toString()}`;
const ids = (events: readonly ConsentEvent[]): string[] => events.map((e) => e.id);

/** Every compliance route, each with a bad query: 401 and 403 must come before validation. */
const ROUTES = [
  '/api/compliance/events?limit=0',
  '/api/compliance/conversations?from=never',
  '/api/compliance/conversations/webchat/conv-alice?x=1',
  '/api/compliance/export/events.jsonl?decision=maybe',
  '/api/compliance/export/events.csv?userId=u',
  '/api/compliance/export/receipts.jsonl?to=2026-02-30',
  '/api/compliance/aggregates?period=week',
  '/api/compliance/verify?from=2026-12-01&to=2026-11-01',
  '/api/compliance/access-log?limit=9999',
];

describe.each(BACKENDS)('compliance routes on %s', (_name, open) => {
  let stores: ComplianceStores;
  let api: RoutesUnderTest;
  beforeEach(async () => {
    stores = open();
    await seedSmallLedger(stores);
    api = await serveComplianceRoutes(stores);
  });
  afterEach(async () => {
    await api.close();
    await stores.close();
  });

  const history = async (): Promise<ConsentEvent[]> => {
    const all: ConsentEvent[] = [];
    for await (const event of stores.ledger.scan({}, 'recorded')) all.push(event);
    return all;
  };

  describe.each(ROUTES)('%s', (path) => {
    it('401 without a token, 403 for an agent or a marketing token, 400 only for compliance', async () => {
      const anonymous = await get(api.url, path, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      for (const token of [AGENT, MARKETING]) {
        const forbidden = await get(api.url, path, token);
        expect(forbidden.status).toBe(403);
        expect(forbidden.body).toMatchObject({ code: anyString });
        expect(forbidden.text).not.toContain('alice');
      }
      const refused = await get(api.url, path, COMPLIANCE);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect((await stores.accessLog.list({}, { limit: 10 })).records).toEqual([]);
    });
  });

  describe('impossible dates in from and to', () => {
    // Each is well formed but names no instant: a month 00 or 13, a day 32 or Feb 30, an hour 25,
    // a minute 60 or an offset beyond RFC 3339's 23:59. The client's mistake, so 400, never 5xx.
    const IMPOSSIBLE = [
      '2026-13-01',
      '2026-00-10',
      '2026-11-32',
      '2026-02-30',
      '2027-02-29',
      '2026-11-02T25:00:00Z',
      '2026-11-02T24:00:00Z',
      '2026-11-02T10:60:00Z',
      '2026-02-30T10:00:00Z',
      '2026-11-02T10:00:00+25:00',
      '2026-11-02T10:00:00+01:60',
      '2026-13-02T10:00:00+01:00',
    ];
    const PATHS = [
      '/api/compliance/events',
      '/api/compliance/conversations',
      '/api/compliance/export/events.jsonl',
      '/api/compliance/export/events.csv',
      '/api/compliance/export/receipts.jsonl',
      '/api/compliance/aggregates',
      '/api/compliance/verify',
      '/api/compliance/access-log',
    ];
    it.each(['from', 'to'])('answer 400 INVALID_DATE naming %s on every route', async (name) => {
      for (const path of PATHS) {
        for (const value of IMPOSSIBLE) {
          // aggregates needs both ends: the other one is valid and far from the bad one.
          const other: Record<string, string> =
            name === 'from' ? { to: '2100-01-01' } : { from: '1990-01-01' };
          const params = path.endsWith('aggregates')
            ? { ...other, [name]: value }
            : { [name]: value };
          const reply = await get(api.url, `${path}${q(params)}`);
          expect({ path, value, status: reply.status, body: reply.body }).toEqual({
            path,
            value,
            status: 400,
            body: {
              code: 'INVALID_DATE',
              message: expect.stringMatching(new RegExp(`^${name}: `)) as unknown,
              issues: [{ path: name, message: anyString }],
            },
          });
        }
      }
    });

    it('still take the real days and date-times next to them', async () => {
      for (const value of [
        '2024-02-29',
        '2026-11-02T23:59:59.999999999Z',
        '2026-11-02T10:00-23:59',
      ]) {
        const reply = await get(api.url, `/api/compliance/events${q({ from: value })}`);
        expect({ value, status: reply.status }).toEqual({ value, status: 200 });
      }
    });
  });

  describe('GET /api/compliance/events', () => {
    it('takes pages as large as the stores give: one limit for the route and the store', async () => {
      for (const path of ['events', 'conversations', 'access-log']) {
        const largest = await get(
          api.url,
          `/api/compliance/${path}${q({ limit: String(MAX_SEARCH_LIMIT) })}`,
        );
        expect({ path, status: largest.status }).toEqual({ path, status: 200 });
      }
    });

    it('lists every event newest first, no-store, and pages with next', async () => {
      const all = await history();
      const first = await get<EventsBody>(api.url, '/api/compliance/events');
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(ids(first.body.events)).toEqual(ids(all).reverse());
      expect(first.body.next).toBeUndefined();

      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await get<EventsBody>(
          api.url,
          `/api/compliance/events${q({ limit: '2', ...(after ? { after } : {}) })}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.events.length).toBeLessThanOrEqual(2);
        seen.push(...ids(page.body.events));
        after = page.body.next;
      } while (after);
      expect(seen).toEqual(ids(all).reverse());
    });

    it('filters by person (raw ids), channel, purpose, decision, version, conversation and dates', async () => {
      const all = await history();
      const expectFilter = async (
        params: Record<string, string>,
        keep: (e: ConsentEvent) => boolean,
      ): Promise<void> => {
        const reply = await get<EventsBody>(api.url, `/api/compliance/events${q(params)}`);
        expect(reply.status, JSON.stringify(params)).toBe(200);
        const expected = ids(all.filter(keep)).reverse();
        expect(expected.length).toBeGreaterThan(0);
        expect(ids(reply.body.events), JSON.stringify(params)).toEqual(expected);
      };
      const alice = pseudonym(ALICE);
      await expectFilter(
        ALICE as unknown as Record<string, string>,
        (e) => e.subject.userId === alice.userId,
      );
      await expectFilter(
        CAROL as unknown as Record<string, string>,
        (e) => e.channelId === 'msteams',
      );
      await expectFilter({ channelId: 'webchat' }, (e) => e.channelId === 'webchat');
      await expectFilter({ purposeId: 'analytics' }, (e) => e.purposeId === 'analytics');
      await expectFilter({ decision: 'withdrawn' }, (e) => e.decision === 'withdrawn');
      await expectFilter({ catalogueVersion: all[0]!.catalogueVersion }, () => true);
      await expectFilter(
        { conversationId: 'conv-alice' },
        (e) => e.conversationId === 'conv-alice',
      );
      // from inclusive, to exclusive; a day means UTC midnight, a date-time needs an offset.
      await expectFilter(
        { from: '2026-11-03', to: '2026-11-04T08:00:00.000Z' },
        (e) => e.recordedAt === T.bobGiven.toISOString(),
      );
      await expectFilter(
        { from: '2026-11-02T10:30:00+01:00', channelId: 'webchat', purposeId: 'newsletter' },
        (e) =>
          e.channelId === 'webchat' &&
          e.purposeId === 'newsletter' &&
          e.recordedAt >= T.aliceGiven.toISOString(),
      );
      const nobody = await get<EventsBody>(
        api.url,
        `/api/compliance/events${q({ channelId: 'webchat', userId: 'nobody' })}`,
      );
      expect(nobody.body).toEqual({ events: [] });
    });

    it.each([
      [{ from: '2026-02-30' }, 'INVALID_DATE'],
      [{ from: '2026-11-02T10:00:00' }, 'INVALID_DATE'],
      [{ to: 'yesterday' }, 'INVALID_DATE'],
      [{ from: '2026-11-05', to: '2026-11-05' }, 'INVALID_RANGE'],
      [{ from: '2026-11-06', to: '2026-11-05' }, 'INVALID_RANGE'],
      [{ limit: '0' }, 'INVALID_LIMIT'],
      [{ limit: String(MAX_SEARCH_LIMIT + 1) }, 'INVALID_LIMIT'],
      [{ limit: '2.5' }, 'INVALID_LIMIT'],
      [{ after: 'not-a-cursor' }, 'INVALID_CURSOR'],
      [{ userId: 'alice-raw-id' }, 'INVALID_SUBJECT'],
      [{ decision: 'maybe' }, 'INVALID_DECISION'],
      [{ purpose: 'newsletter' }, 'INVALID_QUERY'],
    ])('400 for %j: %s', async (params, code) => {
      const reply = await get(api.url, `/api/compliance/events${q(params)}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ code, message: anyString, issues: [anyIssue] });
    });

    it('400 for a repeated parameter, and for a cursor of another query', async () => {
      const repeated = await get(api.url, '/api/compliance/events?purposeId=a&purposeId=b');
      expect(repeated.body.code).toBe('INVALID_QUERY');
      const page = await get<EventsBody>(api.url, `/api/compliance/events${q({ limit: '1' })}`);
      const other = await get(
        api.url,
        `/api/compliance/events${q({ limit: '1', purposeId: 'analytics', after: page.body.next ?? '' })}`,
      );
      expect(other.status).toBe(400);
      expect(other.body.code).toBe('INVALID_CURSOR');
    });

    it('leaves a pseudonymous trace in the access log before answering', async () => {
      const reply = await get(
        api.url,
        `/api/compliance/events${q({ ...ALICE, purposeId: 'newsletter' })}`,
      );
      expect(reply.status).toBe(200);
      const { records } = await stores.accessLog.list({}, { limit: 10 });
      expect(records).toEqual([
        {
          at: anyString,
          principal: tokenPrincipal,
          role: 'compliance',
          action: 'ledger.search',
          target: subjectKey(pseudonym(ALICE)),
          detail: {
            subject: subjectKey(pseudonym(ALICE)),
            purposeId: 'newsletter',
            results: 2,
          },
        },
      ]);
      expect(JSON.stringify(records)).not.toContain(ALICE.userId);
      expect(api.log.lines.join('\n')).not.toContain(ALICE.userId);

      const listed = await get<AccessLogBody>(api.url, '/api/compliance/access-log');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({ records });
    });

    it('503 and no data when the access log cannot keep the trace', async () => {
      const failing = await serveComplianceRoutes(stores, {
        accessLog: {
          record: () => Promise.reject(new Error('disk full')),
          list: (query, page) => stores.accessLog.list(query, page),
        },
      });
      try {
        const reply = await get<ErrorBody & Partial<EventsBody>>(
          failing.url,
          '/api/compliance/events',
        );
        expect(reply.status).toBe(503);
        expect(reply.body.code).toBe('STORE_UNAVAILABLE');
        expect(reply.body.events).toBeUndefined();
        const exported = await get(failing.url, '/api/compliance/export/events.jsonl');
        expect(exported.status).toBe(503);
        expect(exported.text).not.toContain('recordedAt');
      } finally {
        await failing.close();
      }
    });
  });

  describe('conversations', () => {
    it('lists conversations, most recently active first, filtered by person and dates', async () => {
      const all = await get<ConversationsBody>(api.url, '/api/compliance/conversations');
      expect(all.status).toBe(200);
      expect(all.body.conversations).toEqual([
        {
          channelId: 'webchat',
          conversationId: 'conv-alice',
          firstAt: new Date(T.aliceGiven.getTime() - 2000).toISOString(),
          lastAt: new Date(T.aliceWithdrawn.getTime() + 1).toISOString(),
          activities: 5,
        },
        {
          channelId: 'webchat',
          conversationId: 'conv-bob-raw-id',
          firstAt: T.bobGiven.toISOString(),
          lastAt: T.bobGiven.toISOString(),
          activities: 1,
        },
      ]);
      const bobs = await get<ConversationsBody>(
        api.url,
        `/api/compliance/conversations${q({ ...BOB })}`,
      );
      expect(
        bobs.body.conversations.map((c: { conversationId: string }) => c.conversationId),
      ).toEqual(['conv-bob-raw-id']);
      const range = await get<ConversationsBody>(
        api.url,
        `/api/compliance/conversations${q({ from: '2026-11-05', to: '2026-11-06' })}`,
      );
      expect(range.body.conversations).toHaveLength(1);
      const paged = await get<ConversationsBody>(
        api.url,
        `/api/compliance/conversations${q({ limit: '1' })}`,
      );
      expect(paged.body.conversations).toHaveLength(1);
      const next = await get<ConversationsBody>(
        api.url,
        `/api/compliance/conversations${q({ limit: '1', after: paged.body.next ?? '' })}`,
      );
      expect(next.body.conversations[0]?.conversationId).toBe('conv-bob-raw-id');
      expect(next.body.next).toBeUndefined();

      const { records } = await stores.accessLog.list({}, { limit: 10 });
      expect(records.map((r) => [r.action, r.target])).toContainEqual([
        'transcripts.search',
        subjectKey(pseudonym(BOB)),
      ]);
    });

    it('shows one conversation as a timeline: what was said, and each decision with its notice', async () => {
      const reply = await get<TimelineBody>(
        api.url,
        '/api/compliance/conversations/webchat/conv-alice',
      );
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const { timeline } = reply.body;
      expect(reply.body.channelId).toBe('webchat');
      expect(reply.body.conversationId).toBe('conv-alice');
      const summary = timeline.map((item) =>
        item.kind === 'activity'
          ? `${item.direction} ${item.type} ${item.text ?? item.name ?? ''}`
          : `consent ${item.event.purposeId} ${item.event.decision}`,
      );
      expect(summary).toEqual([
        'in event webchat/join',
        'in message yes to the newsletter',
        'consent newsletter given',
        'consent analytics refused',
        'out message Noted: newsletter on.',
        'in message stop',
        'consent newsletter withdrawn',
        'out message Done: you will get nothing more.',
      ]);
      const given = timeline[2] as ConsentItem;
      expect(given.at).toBe(T.aliceGiven.toISOString());
      expect(given.notice).toEqual({
        text: NEWSLETTER_NOTICE,
        locale: 'en',
        purposeVersion: 1,
        catalogueVersion: given.event.catalogueVersion,
        hash: NEWSLETTER_HASH,
      });
      expect((timeline[6] as ConsentItem).notice).toBeNull();
      expect(timeline[1]).toEqual({
        kind: 'activity',
        at: T.aliceGiven.toISOString(),
        direction: 'in',
        type: 'message',
        text: 'yes to the newsletter',
        activityId: 'a2',
      });
      // Nothing but the contract's fields: no channelData, no names of the participants.
      expect(reply.text).not.toContain('must-not-leave-the-store');
      expect(reply.text).not.toContain('Alice Martin');

      const { records } = await stores.accessLog.list({}, { limit: 10 });
      expect(records[0]).toEqual({
        at: anyString,
        principal: tokenPrincipal,
        role: 'compliance',
        action: 'transcript.read',
        target: subjectKey(pseudonym(ALICE)),
        detail: {
          channelId: 'webchat',
          conversation: conversationDigest('webchat', 'conv-alice'),
          items: 8,
        },
      });
      expect(JSON.stringify(records)).not.toContain('conv-alice');
    });

    it('reads every page of a long conversation', async () => {
      const at = Date.parse('2026-11-10T10:00:00.000Z');
      for (let i = 0; i < 45; i += 1) {
        await stores.transcripts.logActivity({
          type: 'message',
          id: `long-${i}`,
          text: `message ${i}`,
          channelId: 'webchat',
          conversation: { id: 'conv-long', isGroup: false, name: '', conversationType: 'personal' },
          from: { id: i % 2 ? 'consent-bot' : BOB.userId, name: '' },
          recipient: { id: i % 2 ? BOB.userId : 'consent-bot', name: '' },
          serviceUrl: 'http://127.0.0.1:1',
          timestamp: new Date(at + i * 1000),
        } as Activity);
      }
      const reply = await get<TimelineBody>(
        api.url,
        '/api/compliance/conversations/webchat/conv-long',
      );
      expect(reply.body.timeline.map((item) => (item as ActivityItem).text)).toEqual(
        Array.from({ length: 45 }, (_, i) => `message ${i}`),
      );
      // No roles in these activities: the bot is the recipient of the first one.
      expect(reply.body.timeline.map((item) => (item as ActivityItem).direction)).toEqual(
        Array.from({ length: 45 }, (_, i) => (i % 2 ? 'out' : 'in')),
      );
    });

    it('shows a conversation known only from the ledger, and 404 for an unknown one', async () => {
      const carol = await get<TimelineBody>(
        api.url,
        `/api/compliance/conversations/msteams/${encodeURIComponent(FORMULA_CONVERSATION)}`,
      );
      expect(carol.status).toBe(200);
      expect(carol.body.timeline).toHaveLength(1);
      expect((carol.body.timeline[0] as ConsentItem).event.subject).toEqual(pseudonym(CAROL));
      const unknown = await get(api.url, '/api/compliance/conversations/webchat/nothing-here');
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
    });
  });

  describe('exports', () => {
    it('events.jsonl: one event per line, oldest first, as an attachment', async () => {
      const reply = await get(
        api.url,
        `/api/compliance/export/events.jsonl${q({ channelId: 'webchat' })}`,
      );
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(reply.headers.get('content-disposition')).toBe(
        'attachment; filename="consent-events.jsonl"',
      );
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const lines = reply.text.split('\n');
      expect(lines.pop()).toBe('');
      const events = lines.map((line) => JSON.parse(line) as ConsentEvent);
      expect(events).toEqual((await history()).filter((e) => e.channelId === 'webchat'));
      const { records } = await stores.accessLog.list({}, { limit: 10 });
      expect(records[0]).toMatchObject({
        action: 'export.events.jsonl',
        target: '*',
        detail: { channelId: 'webchat' },
      });
    });

    it('events.csv: RFC 4180 with the contract header, and formulas shown as text', async () => {
      const reply = await get(api.url, '/api/compliance/export/events.csv');
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const [header, ...rows] = parseCsv(reply.text);
      expect(header).toEqual([...CSV_COLUMNS]);
      const all = await history();
      expect(rows.map((r) => r[0])).toEqual(ids(all));
      const carol = rows.find((r) => r[2] === 'msteams')!;
      expect(carol[11]).toBe(`'${FORMULA_CONVERSATION}`);
      expect(carol[3]).toBe(pseudonym(CAROL).userId);
      expect(rows[0]).toEqual(
        CSV_COLUMNS.map((column) =>
          column === 'subject' ? all[0]!.subject.userId : String(all[0]![column] ?? ''),
        ),
      );
      expect(reply.text).not.toContain(ALICE.userId);
    });

    it('receipts.jsonl: one valid Kantara v1.1 receipt per consent given', async () => {
      const reply = await get(api.url, '/api/compliance/export/receipts.jsonl');
      expect(reply.status).toBe(200);
      const receipts = reply.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const given = (await history()).filter(
        (e) => e.decision === 'given' || e.decision === 'confirmed',
      );
      expect(receipts).toHaveLength(given.length);
      for (const receipt of receipts) expect(validateKantaraReceipt(receipt)).toEqual([]);
      expect(receipts.map((r) => r.piiPrincipalId)).toEqual(given.map((e) => e.subject.userId));
    });

    it('receipts.jsonl: 500 RECEIPT_INCOMPLETE before any byte when the controller is not configured', async () => {
      const bare = await serveComplianceRoutes(stores, { controller: undefined });
      try {
        const reply = await get(bare.url, '/api/compliance/export/receipts.jsonl');
        expect(reply.status).toBe(500);
        expect(reply.body.code).toBe('RECEIPT_INCOMPLETE');
      } finally {
        await bare.close();
      }
    });
  });

  describe('GET /api/compliance/aggregates', () => {
    it('counts decisions per day and purpose, with consent and withdrawal rates', async () => {
      await stores.reasons.record('too-many-messages', T.aliceWithdrawn);
      await stores.reasons.record('other', new Date('2026-11-30T10:00:00Z'));
      const reply = await get<AggregatesBody>(
        api.url,
        `/api/compliance/aggregates${q({ from: '2026-11-02', to: '2026-11-06' })}`,
      );
      expect(reply.status).toBe(200);
      expect(reply.body.from).toBe('2026-11-02T00:00:00.000Z');
      expect(reply.body.period).toBe('day');
      const seriesOf = (purposeId: string) =>
        reply.body.purposes.find((p) => p.purposeId === purposeId)?.series ?? [];
      const newsletter = seriesOf('newsletter');
      expect(newsletter.map((s) => s.period)).toEqual([
        '2026-11-02',
        '2026-11-03',
        '2026-11-04',
        '2026-11-05',
      ]);
      expect(newsletter[0]).toEqual({
        period: '2026-11-02',
        given: 1,
        refused: 0,
        withdrawn: 0,
        confirmed: 0,
        expired: 0,
        consentRate: 1,
        withdrawalRate: 0,
      });
      expect(newsletter[3]).toMatchObject({
        withdrawn: 1,
        consentRate: null,
        withdrawalRate: null,
      });
      expect(seriesOf('analytics')[0]).toMatchObject({ refused: 1, consentRate: 0 });
      expect(reply.body.optOutReasons.totals).toEqual({
        'too-many-messages': 1,
        'not-relevant': 0,
        'privacy-worries': 0,
        other: 0,
      });
      const months = await get<AggregatesBody>(
        api.url,
        `/api/compliance/aggregates${q({ from: '2026-11-01', to: '2027-01-01', period: 'month', purposeId: 'analytics' })}`,
      );
      expect(months.body.purposes).toEqual([
        {
          purposeId: 'analytics',
          series: [
            expect.objectContaining({ period: '2026-11', given: 1, refused: 1, consentRate: 0.5 }),
            expect.objectContaining({ period: '2026-12', given: 1, consentRate: 1 }),
          ],
        },
      ]);
    });

    it.each([
      [{}, 'INVALID_DATE'],
      [{ from: '2026-11-01' }, 'INVALID_DATE'],
      [{ from: '2026-11-01', to: '2026-12-01', period: 'week' }, 'INVALID_PERIOD'],
      [{ from: '2000-01-01', to: '2026-01-01' }, 'INVALID_RANGE'],
    ])('400 for %j: %s', async (params, code) => {
      const reply = await get(api.url, `/api/compliance/aggregates${q(params)}`);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe(code);
    });
  });

  describe('GET /api/compliance/verify', () => {
    it('verifies the whole store, a range and one person', async () => {
      const store = await get<VerifyBody>(api.url, '/api/compliance/verify');
      expect(store.status).toBe(200);
      expect(store.body).toEqual({
        scope: 'store',
        subjects: 3,
        events: 7,
        intact: true,
        problems: [],
        problemCount: 0,
      });
      const range = await get<VerifyBody>(
        api.url,
        `/api/compliance/verify${q({ from: '2026-11-04', to: '2026-12-01' })}`,
      );
      expect(range.body).toMatchObject({ scope: 'range', subjects: 2, events: 2, intact: true });
      const alice = await get<VerifyBody>(api.url, `/api/compliance/verify${q({ ...ALICE })}`);
      expect(alice.body).toMatchObject({ scope: 'subject', subjects: 1, events: 3, intact: true });
      const { records } = await stores.accessLog.list({}, { limit: 10 });
      expect(records[0]).toMatchObject({
        action: 'ledger.verify',
        target: subjectKey(pseudonym(ALICE)),
      });
    });

    it('runs the extra per-event check in the same walk and reports where it fails', async () => {
      const checked = await serveComplianceRoutes(stores, {
        checkEvents: () => (event) =>
          event.purposeId === 'analytics' ? ['transcript-mismatch'] : [],
      });
      try {
        const reply = await get<VerifyBody>(checked.url, '/api/compliance/verify');
        expect(reply.body.intact).toBe(false);
        const analytics = (await history()).filter((e) => e.purposeId === 'analytics');
        expect(reply.body.problems).toEqual(
          expect.arrayContaining(
            analytics.map((e) => ({
              subject: subjectKey(e.subject),
              kind: 'transcript-mismatch',
              seq: e.seq,
              eventId: e.id,
            })),
          ),
        );
        expect(reply.body.problemCount).toBe(analytics.length);
      } finally {
        await checked.close();
      }
    });
  });
});
