import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentEvent } from '../consent/ledger.js';
import {
  ALICE,
  get,
  parseCsv,
  pseudonym,
  seedManyEvents,
  seedSmallLedger,
  serveComplianceRoutes,
  type ComplianceStores,
  type EventsBody,
  type RoutesUnderTest,
  type TimelineBody,
  type VerifyBody,
} from './compliance-fixture.js';
import { openTestMongoStores } from './mongo-database.js';

/** A smoke test on the MongoDB wire (FerretDB here, MongoDB 6-8 in production). */
describe('compliance routes on MongoDB (FerretDB)', () => {
  let stores: ComplianceStores;
  let api: RoutesUnderTest;
  let total = 0;
  beforeAll(async () => {
    stores = await openTestMongoStores('compliance');
    await seedSmallLedger(stores);
    total = 7 + (await seedManyEvents(stores.ledger, 40, 5));
    api = await serveComplianceRoutes(stores);
  });
  afterAll(async () => {
    await api.close();
    await stores.close();
  });

  it('searches by person and pages through everything, newest first', async () => {
    const alice = await get<EventsBody>(
      api.url,
      `/api/compliance/events?channelId=webchat&userId=${ALICE.userId}`,
    );
    // Newest first; seq 1 and 2 were recorded in the same instant, so their order is the ids'.
    expect(alice.body.events[0]?.seq).toBe(3);
    expect(alice.body.events.map((e) => e.seq).sort()).toEqual([1, 2, 3]);
    expect(alice.body.events.every((e) => e.subject.userId === pseudonym(ALICE).userId)).toBe(true);
    const seen: ConsentEvent[] = [];
    let after: string | undefined;
    do {
      const page = await get<EventsBody>(
        api.url,
        `/api/compliance/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      seen.push(...page.body.events);
      after = page.body.next;
    } while (after);
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
  });

  it('streams the whole ledger as JSON lines and CSV, oldest first', async () => {
    const jsonl = await get(api.url, '/api/compliance/export/events.jsonl');
    expect(jsonl.status).toBe(200);
    const events = jsonl.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ConsentEvent);
    expect(events).toHaveLength(total);
    expect(events.every((e, i) => i === 0 || events[i - 1]!.recordedAt <= e.recordedAt)).toBe(true);
    const csv = parseCsv((await get(api.url, '/api/compliance/export/events.csv')).text);
    expect(csv).toHaveLength(total + 1);
  });

  it('shows a timeline and verifies the store', async () => {
    const view = await get<TimelineBody>(
      api.url,
      '/api/compliance/conversations/webchat/conv-alice',
    );
    expect(view.body.timeline).toHaveLength(8);
    const verify = await get<VerifyBody>(api.url, '/api/compliance/verify');
    expect(verify.body).toMatchObject({
      scope: 'store',
      subjects: 43,
      events: total,
      intact: true,
    });
  });
});
