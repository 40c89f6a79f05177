import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConsentEvent } from '../consent/ledger.js';
import { subjectKey } from '../consent/subject.js';
import {
  ALICE,
  BOB,
  NEWSLETTER_HASH,
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
  let databaseName = '';
  let api: RoutesUnderTest;
  let total = 0;
  beforeAll(async () => {
    const opened = await openTestMongoStores('compliance');
    stores = opened;
    databaseName = opened.databaseName;
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

  it('reports notices deleted from or rewritten in the archive, which MongoDB has no trigger to stop', async () => {
    const newsletterEvents = async (subject: typeof ALICE) =>
      (await stores.ledger.history(pseudonym(subject))).filter(
        (e) => e.noticeHash === NEWSLETTER_HASH,
      );
    const named = [...(await newsletterEvents(ALICE)), ...(await newsletterEvents(BOB))];
    expect(named).toHaveLength(2);
    const problems = (kind: string) =>
      named.map((e) => ({ subject: subjectKey(e.subject), kind, seq: e.seq, eventId: e.id }));
    const client = new MongoClient(inject('mongoUri'));
    try {
      // As storage/mongo/mongo-consent-store.ts files a notice: the text under its hash.
      const notices = client
        .db(databaseName)
        .collection<{ _id: string; notice: { text: string }; archivedAt: string }>('notices');
      const original = await notices.findOne({ _id: NEWSLETTER_HASH });
      expect(original).not.toBeNull();
      // Someone with write access to the database removes the notice two decisions were shown.
      await notices.deleteOne({ _id: NEWSLETTER_HASH });
      const deleted = await get<VerifyBody>(api.url, '/api/compliance/verify');
      expect(deleted.body).toMatchObject({ intact: false, problemCount: 2 });
      expect(deleted.body.problems).toEqual(expect.arrayContaining(problems('notice-missing')));
      const alice = await get<VerifyBody>(
        api.url,
        `/api/compliance/verify?channelId=${ALICE.channelId}&userId=${ALICE.userId}`,
      );
      expect(alice.body.problems).toEqual(problems('notice-missing').slice(0, 1));

      // ... or puts back other words under the same hash.
      await notices.insertOne({
        ...original!,
        notice: { ...original!.notice, text: 'Daily e-mails.' },
      });
      const altered = await get<VerifyBody>(api.url, '/api/compliance/verify');
      expect(altered.body.problems).toEqual(expect.arrayContaining(problems('notice-altered')));
      expect(altered.body.problemCount).toBe(2);

      await notices.replaceOne({ _id: NEWSLETTER_HASH }, original!);
      const restored = await get<VerifyBody>(api.url, '/api/compliance/verify');
      expect(restored.body).toMatchObject({ intact: true, problemCount: 0 });
    } finally {
      await client.close();
    }
  });
});
