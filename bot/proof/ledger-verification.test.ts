import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash, sealerOf } from '../../consent/chain.js';
import { CheckpointReader, CheckpointWriter } from '../../consent/checkpoint.js';
import { compareUtf8 } from '../../storage/transcript-rules.js';
import type { ConsentEvent, NoticeRecord } from '../../consent/ledger.js';
import { noticeHash } from '../../consent/notice.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { openEmbeddedStores, type Stores } from '../../storage/stores.js';
import {
  decision,
  get,
  problemAt,
  pseudonym,
  seedManyEvents,
  serveComplianceRoutes,
  tamperSqlite,
  tamperSqliteNotice,
  type VerifyBody,
} from '../../test/compliance-fixture.js';
import { catalogue, TEST_KEYS, temporaryFolder } from '../../test/harness.js';
import { COMPLIANCE, customer, startServer } from '../../test/http-harness.js';
import { verifyLedger } from './ledger-verification.js';
import { noticeArchiveCheck, proofChecks } from './proof-checks.js';

const DAVE: Subject = { channelId: 'webchat', userId: 'dave' };
const ERIN: Subject = { channelId: 'msteams', userId: 'erin' };
const day = (n: number): Date => new Date(Date.UTC(2026, 10, n, 12));

/** Real SQLite: 50 people with 6 events each, and two people with one event a day, 5 days. */
describe('verification of the ledger on SQLite, after tampering in the database file', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let stores: Stores;
  const eventOf = async (subject: Subject, seq: number): Promise<ConsentEvent> => {
    const event = (await stores.ledger.history(pseudonym(subject))).find((e) => e.seq === seq);
    if (!event) throw new Error('no such event');
    return event;
  };

  beforeEach(async () => {
    folder = temporaryFolder();
    stores = openEmbeddedStores(folder.path);
    await seedManyEvents(stores.ledger, 50, 6);
    for (let n = 1; n <= 5; n += 1) {
      for (const subject of [DAVE, ERIN]) {
        await stores.ledger.append(
          [decision(subject, { decision: n % 2 ? 'given' : 'withdrawn' })],
          day(n),
        );
      }
    }
  });
  afterEach(async () => {
    await stores.close();
    folder.remove();
  });

  it('finds an intact store intact, in every scope', async () => {
    expect(await verifyLedger(stores.ledger, {})).toEqual({
      scope: 'store',
      subjects: 52,
      events: 310,
      intact: true,
      problems: [],
      problemCount: 0,
    });
    // A window starting mid-chain is checked against the event before it: no false alarm.
    expect(await verifyLedger(stores.ledger, { from: day(3), to: day(5) })).toMatchObject({
      scope: 'range',
      subjects: 2,
      events: 4,
      intact: true,
    });
    expect(
      await verifyLedger(stores.ledger, { subject: pseudonym(DAVE), from: day(2) }),
    ).toMatchObject({ scope: 'subject', subjects: 1, events: 4, intact: true });
  });

  it('reports an altered, a deleted and a re-sealed event with where they are', async () => {
    const person7 = { channelId: 'webchat', userId: 'person-7' };
    const person9 = { channelId: 'webchat', userId: 'person-9' };
    const altered = await eventOf(person7, 3);
    const afterDeleted = await eventOf(person9, 3);
    const daveThird = await eventOf(DAVE, 3);
    const daveFourth = await eventOf(DAVE, 4);
    await stores.close();
    // A withdrawal turned into a consent; an event removed; and a forger who re-seals the event
    // they changed (a valid hash over new content) but cannot know what the next one points at.
    tamperSqlite(folder.path, pseudonym(person7), 3, (e) => ({ ...e, decision: 'given' }));
    tamperSqlite(folder.path, pseudonym(person9), 2, 'delete');
    tamperSqlite(folder.path, pseudonym(DAVE), 3, (e) => {
      const forged = { ...e, decision: 'refused' as const, prevHash: 'f'.repeat(64) };
      return { ...forged, hash: eventHash(forged) };
    });
    stores = openEmbeddedStores(folder.path);

    const whole = await verifyLedger(stores.ledger, {});
    expect(whole.intact).toBe(false);
    expect(whole.events).toBe(309);
    expect(whole.problems).toHaveLength(5);
    expect(whole.problems).toEqual(
      expect.arrayContaining([
        problemAt(person7, 'altered', altered),
        problemAt(person9, 'missing', afterDeleted),
        problemAt(person9, 'broken-link', afterDeleted),
        problemAt(DAVE, 'broken-link', daveThird),
        problemAt(DAVE, 'broken-link', daveFourth),
      ]),
    );

    // The window starts exactly at the re-sealed event: only the link to the event before the
    // window shows it.
    const edge = await verifyLedger(stores.ledger, { from: day(3), to: day(4) });
    expect(edge.problems).toEqual([problemAt(DAVE, 'broken-link', daveThird)]);
    const next = await verifyLedger(stores.ledger, { from: day(4) });
    expect(next.problems).toEqual([problemAt(DAVE, 'broken-link', daveFourth)]);
    expect((await verifyLedger(stores.ledger, { from: day(1), to: day(3) })).intact).toBe(true);

    const capped = await verifyLedger(stores.ledger, {}, { maxProblems: 2 });
    expect(capped.problems).toHaveLength(2);
    expect(capped.problemCount).toBe(5);

    // The same through the API, for a compliance officer.
    const api = await serveComplianceRoutes(stores);
    try {
      const reply = await get<VerifyBody>(
        api.url,
        `/api/compliance/verify?from=2026-11-03&to=2026-11-04`,
      );
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        scope: 'range',
        subjects: 2,
        events: 2,
        intact: false,
        problems: [problemAt(DAVE, 'broken-link', daveThird)],
        problemCount: 1,
      });
      const dave = await get<VerifyBody>(
        api.url,
        `/api/compliance/verify?channelId=webchat&userId=dave`,
      );
      expect(dave.body.problems).toEqual([
        problemAt(DAVE, 'broken-link', daveThird),
        problemAt(DAVE, 'broken-link', daveFourth),
      ]);
    } finally {
      await api.close();
    }
  });
});

const noticeOf = (purposeId: string, text: string): NoticeRecord => ({
  hash: noticeHash(text),
  purposeId,
  purposeVersion: 1,
  catalogueVersion: catalogue.version,
  locale: 'en',
  text,
});
const NEWSLETTER = noticeOf('newsletter', 'One e-mail a week with our new products.');
const ANALYTICS = noticeOf('analytics', 'We count visits to improve the shop. Ça compte.');

/** Real SQLite: decisions name archived notices by hash; then the archive is tampered with. */
describe('verification of the notices the ledger names, on SQLite', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let stores: Stores;
  const checks = () =>
    proofChecks({
      notices: stores.notices,
      transcripts: stores.transcripts,
      suppression: stores.suppression,
      suppressionSecret: TEST_KEYS.suppressionSecret,
      transcriptRetentionMs: 90 * 24 * 60 * 60 * 1000,
      now: () => new Date(),
    });

  beforeEach(async () => {
    folder = temporaryFolder();
    stores = openEmbeddedStores(folder.path);
    await seedManyEvents(stores.ledger, 20, 3);
    for (const notice of [NEWSLETTER, ANALYTICS]) await stores.notices.archive(notice);
    for (let n = 1; n <= 3; n += 1) {
      await stores.ledger.append([decision(DAVE, { noticeHash: NEWSLETTER.hash })], day(n));
      await stores.ledger.append(
        [decision(ERIN, { purposeId: 'analytics', noticeHash: ANALYTICS.hash })],
        day(n),
      );
    }
  });
  afterEach(async () => {
    await stores.close();
    folder.remove();
  });

  it('reports a deleted notice as notice-missing and a rewritten one as notice-altered, per event', async () => {
    expect(await verifyLedger(stores.ledger, {}, { checkEvent: checks() })).toMatchObject({
      subjects: 22,
      events: 66,
      intact: true,
    });
    const daves = await stores.ledger.history(pseudonym(DAVE));
    const erins = await stores.ledger.history(pseudonym(ERIN));
    await stores.close();
    // The database administrator drops the triggers, deletes one notice and rewords the other:
    // the chains are untouched, so without this check the store would still read as intact.
    tamperSqliteNotice(folder.path, NEWSLETTER.hash, 'delete');
    tamperSqliteNotice(folder.path, ANALYTICS.hash, (text) => text.replace('visits', 'you'));
    stores = openEmbeddedStores(folder.path);
    expect((await verifyLedger(stores.ledger, {})).intact).toBe(true);

    const expected = [
      ...daves.map((e) => problemAt(DAVE, 'notice-missing', e)),
      ...erins.map((e) => problemAt(ERIN, 'notice-altered', e)),
    ];
    const whole = await verifyLedger(stores.ledger, {}, { checkEvent: checks() });
    expect(whole).toMatchObject({ intact: false, problemCount: 6 });
    expect(whole.problems).toEqual(expect.arrayContaining(expected));

    // A cache of one notice still gives every event its finding, in constant memory.
    const tiny = await verifyLedger(
      stores.ledger,
      {},
      { checkEvent: noticeArchiveCheck(stores.notices, 1) },
    );
    expect(tiny.problems).toEqual(expect.arrayContaining(expected));
    expect(tiny.problemCount).toBe(6);

    const api = await serveComplianceRoutes(stores);
    try {
      const store = await get<VerifyBody>(api.url, '/api/compliance/verify');
      expect(store.status).toBe(200);
      expect(store.body).toMatchObject({ scope: 'store', intact: false, problemCount: 6 });
      expect(store.body.problems).toEqual(expect.arrayContaining(expected));
      const dave = await get<VerifyBody>(
        api.url,
        '/api/compliance/verify?channelId=webchat&userId=dave',
      );
      expect(dave.body).toMatchObject({ scope: 'subject', intact: false });
      expect(dave.body.problems).toEqual(daves.map((e) => problemAt(DAVE, 'notice-missing', e)));
    } finally {
      await api.close();
    }
  });
});

describe('verification of the notice shown in a real conversation', () => {
  it('the per-person route names the decision whose notice was deleted from the archive', async () => {
    const folder = temporaryFolder();
    const running = await startServer({ DATA_DIR: folder.path });
    try {
      const person = customer(running.url, 'noticed-user', 'en');
      await person.join();
      await person.say('no');
      const subject = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'noticed-user' });
      const [refusal] = await running.stores.ledger.history(subject);
      expect(refusal?.noticeHash).toMatch(/^[0-9a-f]{64}$/);
      const verify = async () => {
        const response = await fetch(`${running.url}/api/subjects/webchat/noticed-user/verify`, {
          headers: { authorization: `Bearer ${COMPLIANCE}` },
        });
        expect(response.status).toBe(200);
        return (await response.json()) as VerifyBody;
      };
      expect(await verify()).toMatchObject({ intact: true, problems: [] });

      tamperSqliteNotice(folder.path, refusal!.noticeHash!, (text) => `${text} (amended)`);
      expect(await verify()).toMatchObject({
        intact: false,
        problems: [{ kind: 'notice-altered', seq: refusal!.seq, eventId: refusal!.id }],
      });
      tamperSqliteNotice(folder.path, refusal!.noticeHash!, 'delete');
      expect(await verify()).toMatchObject({
        intact: false,
        problems: [{ kind: 'notice-missing', seq: refusal!.seq, eventId: refusal!.id }],
      });
    } finally {
      await running.close();
      folder.remove();
    }
  });
});

/** The real server, which seals what it appends: a rewrite in the database file is named. */
describe('verification through the API of a sealed ledger, after a rewrite in the database', () => {
  it('names the rewritten event forged, per person and in /api/compliance/verify', async () => {
    const folder = temporaryFolder();
    const server = await startServer({ DATA_DIR: folder.path });
    try {
      for (let n = 1; n <= 4; n += 1) {
        await server.stores.ledger.append(
          [decision(DAVE, { decision: n === 2 ? 'withdrawn' : 'given' })],
          day(n),
        );
      }
      const daves = await server.stores.ledger.history(pseudonym(DAVE));
      expect(daves.every((e) => typeof e.seal === 'string')).toBe(true);
      // The withdrawal (seq 2) becomes a consent, every hash after it recomputed.
      let prevHash = daves[0]!.hash;
      for (const event of daves.slice(1)) {
        const changed = {
          ...event,
          prevHash,
          ...(event.seq === 2 ? { decision: 'given' as const } : {}),
        };
        const rewritten = { ...changed, hash: eventHash(changed) };
        prevHash = rewritten.hash;
        tamperSqlite(folder.path, pseudonym(DAVE), event.seq, () => rewritten);
      }
      const key = subjectKey(pseudonym(DAVE));
      const expected = [2, 3, 4].map((seq) => ({
        subject: key,
        kind: 'forged',
        seq,
        eventId: daves[seq - 1]!.id,
      }));
      const person = await get<VerifyBody>(server.url, '/api/subjects/webchat/dave/verify');
      expect(person.status).toBe(200);
      // The per-person route names events only: the subject is the one asked about.
      expect(person.body).toMatchObject({
        intact: false,
        problems: expected.map(({ subject: _subject, ...problem }) => problem),
      });
      const whole = await get<VerifyBody>(server.url, '/api/compliance/verify');
      expect(whole.body).toMatchObject({ scope: 'store', intact: false, problems: expected });
    } finally {
      await server.close();
      folder.remove();
    }
  });
});

/**
 * Stripping every seal of a chain passes it off as one written before sealing. A `sealed`
 * checkpoint closes that: whatever is appended after it must carry seals.
 */
describe('verification against a sealed checkpoint, on SQLite', () => {
  it('flags events without seals appended since, in old chains and in new ones', async () => {
    const folder = temporaryFolder();
    const seal = sealerOf(TEST_KEYS.sealKey);
    // Chains written before sealing existed: no seals.
    const before = openEmbeddedStores(folder.path);
    await seedManyEvents(before.ledger, 3, 2);
    await before.close();
    const server = openEmbeddedStores(folder.path, { seal });
    // Someone with write access but without the key: correct hashes, no seals.
    const intruder = openEmbeddedStores(folder.path);
    try {
      const writer = new CheckpointWriter();
      const lines = [writer.header(new Date('2026-11-29T10:00:00Z'), { sealed: true })];
      const taken = await verifyLedger(
        server.ledger,
        {},
        {
          sealKey: TEST_KEYS.sealKey,
          onHead: (head, events) => {
            lines.push(writer.head(head, events));
          },
        },
      );
      lines.push(writer.trailer(taken.problemCount).line);
      const against = () => {
        const reader = new CheckpointReader(
          lines.map((line) => line.trimEnd()),
          compareUtf8,
        );
        return {
          sealKey: TEST_KEYS.sealKey,
          against: reader.heads(),
          againstSealed: () => reader.header?.sealed === true,
        };
      };

      // The server goes on, sealing: an old chain grows, a new person arrives. All fine.
      const person1 = { channelId: 'webchat', userId: 'person-1' };
      await server.ledger.append([decision(person1, { decision: 'withdrawn' })], day(20));
      await server.ledger.append([decision(DAVE)], day(20));
      expect(await verifyLedger(server.ledger, {}, against())).toMatchObject({ intact: true });

      // A forged consent appended to an old unsealed chain, and a whole new chain, without seals.
      const person2 = { channelId: 'msteams', userId: 'person-2' };
      const [forged] = await intruder.ledger.append([decision(person2)], day(21));
      const [invented] = await intruder.ledger.append([decision(ERIN)], day(21));
      // Without the checkpoint, both look like events written before sealing.
      expect(await verifyLedger(server.ledger, {}, { sealKey: TEST_KEYS.sealKey })).toMatchObject({
        intact: true,
      });
      const report = await verifyLedger(server.ledger, {}, against());
      expect(report.problems).toEqual(
        expect.arrayContaining([
          {
            subject: subjectKey(pseudonym(person2)),
            kind: 'unsealed-since-checkpoint',
            seq: 3,
            eventId: forged!.id,
          },
          {
            subject: subjectKey(pseudonym(ERIN)),
            kind: 'unsealed-since-checkpoint',
            seq: 1,
            eventId: invented!.id,
          },
        ]),
      );
      expect(report.problemCount).toBe(2);
    } finally {
      await intruder.close();
      await server.close();
      folder.remove();
    }
  });
});
