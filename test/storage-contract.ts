import type { StoreItem, StoreItems } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import {
  deriveStatuses,
  LedgerConflictError,
  type ConsentDecision,
  type ConsentEvent,
  type Decision,
  type LedgerQuery,
  type NoticeRecord,
} from '../consent/ledger.js';
import type { Subject } from '../consent/subject.js';
import { eventHash, GENESIS_HASH, sealerOf, verifyChain } from '../consent/chain.js';
import { catalogue } from './catalogue.js';
import { ETagConflictError } from '../storage/errors.js';
import type { StoreOptions, Stores } from '../storage/stores.js';
import { expectCallerError } from './rejection.js';

/**
 * Contract suites every storage backend runs unchanged (test/contracts.test.ts). A backend passes
 * or it does not: there is no branch on the backend's name in here.
 */
export type OpenStores = (options?: StoreOptions) => Promise<Stores> | Stores;

export const AT = new Date('2026-11-02T09:30:00.000Z');

/** Any eTag the backend chose: its value is the backend's business, its type is the contract's. */
const anyString: unknown = expect.any(String);

export function subjectOf(userId: string, channelId = 'webchat'): Subject {
  return { channelId, userId };
}

let activityCounter = 0;

/** A decision as the conversation records it; each call is a new activity unless told otherwise. */
export function decisionOf(
  subject: Subject,
  overrides: Partial<Omit<ConsentDecision, 'subject'>> = {},
): ConsentDecision {
  activityCounter += 1;
  return {
    subject,
    purposeId: 'newsletter',
    decision: 'given',
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    noticeHash: 'a'.repeat(64),
    locale: 'en',
    channelId: subject.channelId,
    conversationId: 'conversation-1',
    activityId: `activity-${activityCounter}`,
    source: 'conversation',
    explicit: false,
    ...overrides,
  };
}

function noticeOf(hash: string, text: string, locale: Locale = 'en'): NoticeRecord {
  return {
    hash,
    purposeId: 'newsletter',
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    locale,
    text,
  };
}

/** Opens fresh stores before each test and closes them after; `current()` is the open one. */
export function freshStores(open: OpenStores): () => Stores {
  let stores: Stores | undefined;
  beforeEach(async () => {
    stores = await open();
  });
  afterEach(async () => {
    await stores?.close();
    stores = undefined;
  });
  return () => {
    if (!stores) throw new Error('stores are opened in beforeEach');
    return stores;
  };
}

export function describeConsentLedgerContract(name: string, open: OpenStores): void {
  describe(`ConsentLedger and NoticeArchive contract: ${name}`, () => {
    const current = freshStores(open);

    describe('sealing', () => {
      const sealKey = Buffer.from('the ledger seal key of this contract, 32+ bytes');
      const seal = sealerOf(sealKey);

      it('seals every event it appends when opened with a sealer, and stores the seal', async () => {
        const stores = await open({ seal });
        try {
          const alice = subjectOf('alice');
          const appended = [
            ...(await stores.ledger.append(
              [decisionOf(alice), decisionOf(alice, { purposeId: 'analytics' })],
              AT,
            )),
            ...(await stores.ledger.append([decisionOf(alice, { decision: 'withdrawn' })], AT)),
          ];
          for (const event of appended) {
            expect(event.seal).toBe(seal(event.hash));
            expect(event.hash).toBe(eventHash(event));
          }
          const stored = await stores.ledger.history(alice);
          expect(stored).toEqual(appended);
          expect(stored.map((e) => e.seal)).toEqual(appended.map((e) => seal(e.hash)));
          const scanned = [];
          for await (const event of stores.ledger.scan({}, 'chain')) scanned.push(event);
          expect(scanned).toEqual(appended);
          expect(verifyChain(stored, { sealKey })).toEqual([]);
        } finally {
          await stores.close();
        }
      });

      it('seals nothing when opened without a sealer', async () => {
        const [event] = await current().ledger.append([decisionOf(subjectOf('bob'))], AT);
        expect(event).toBeDefined();
        expect(event).not.toHaveProperty('seal');
      });
    });

    describe('append and history', () => {
      it('assigns seq 1..n per subject without gaps', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const first = await ledger.append(
          [
            decisionOf(alice, { purposeId: 'newsletter' }),
            decisionOf(alice, { purposeId: 'analytics' }),
          ],
          AT,
        );
        const second = await ledger.append([decisionOf(alice, { purposeId: 'location' })], AT);
        expect(first.map((e) => e.seq)).toEqual([1, 2]);
        expect(second.map((e) => e.seq)).toEqual([3]);
        expect((await ledger.history(alice)).map((e) => e.seq)).toEqual([1, 2, 3]);
      });

      it('numbers each subject independently', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const bob = subjectOf('bob');
        const aliceOnTeams = subjectOf('alice', 'msteams');
        await ledger.append([decisionOf(alice)], AT);
        await ledger.append([decisionOf(bob)], AT);
        await ledger.append([decisionOf(alice, { purposeId: 'analytics' })], AT);
        await ledger.append([decisionOf(aliceOnTeams)], AT);
        expect((await ledger.history(alice)).map((e) => e.seq)).toEqual([1, 2]);
        expect((await ledger.history(bob)).map((e) => e.seq)).toEqual([1]);
        expect((await ledger.history(aliceOnTeams)).map((e) => e.seq)).toEqual([1]);
        expect(await ledger.history(subjectOf('nobody'))).toEqual([]);
      });

      it('returns history oldest first, JSON-equal to what append returned', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const appended = [
          ...(await ledger.append([decisionOf(alice, { purposeId: 'newsletter' })], AT)),
          ...(await ledger.append(
            [
              decisionOf(alice, {
                purposeId: 'location',
                explicit: true,
                locale: 'fr',
                noticeHash: null,
              }),
            ],
            new Date(AT.getTime() + 60_000),
          )),
          ...(await ledger.append(
            [
              decisionOf(alice, {
                purposeId: 'newsletter',
                decision: 'withdrawn',
                source: 'opt-out',
              }),
            ],
            new Date(AT.getTime() + 120_000),
          )),
        ];
        const history = await ledger.history(alice);
        expect(history.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(JSON.parse(JSON.stringify(history))).toEqual(JSON.parse(JSON.stringify(appended)));
        expect(new Set(history.map((e) => e.id)).size).toBe(3);
      });

      it('keeps every field of the decision and records the time as an ISO string', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const decision = decisionOf(alice, {
          purposeId: 'location',
          explicit: true,
          locale: 'fr',
          source: 'api',
        });
        const [event] = await ledger.append([decision], AT);
        expect(event).toMatchObject({ ...decision, seq: 1, recordedAt: AT.toISOString() });
        expect(typeof event?.recordedAt).toBe('string');
        expect(new Date(event?.recordedAt ?? '').toISOString()).toBe(event?.recordedAt);
        expect(typeof event?.id).toBe('string');
        expect(event?.id).not.toBe('');
      });

      it('resolves [] for an empty append and records nothing', async () => {
        const { ledger } = current();
        await expect(ledger.append([], AT)).resolves.toEqual([]);
        expect(await ledger.history(subjectOf('alice'))).toEqual([]);
      });
    });

    describe('redelivery (idempotency by conversation, activity and purpose)', () => {
      it('returns the existing event for a redelivered decision and adds nothing', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const decision = decisionOf(alice, { activityId: 'act-1' });
        const [first] = await ledger.append([decision], AT);
        const [again] = await ledger.append([decision], new Date(AT.getTime() + 5_000));
        expect(again).toEqual(first);
        expect(await ledger.history(alice)).toHaveLength(1);
      });

      it('records only the new decision when a redelivery is mixed with it in one batch', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const old = decisionOf(alice, { activityId: 'act-1', purposeId: 'newsletter' });
        const [first] = await ledger.append([old], AT);
        const fresh = decisionOf(alice, { activityId: 'act-2', purposeId: 'analytics' });
        const result = await ledger.append([old, fresh], AT);
        expect(result).toHaveLength(2);
        expect(result[0]).toEqual(first);
        expect(result[1]).toMatchObject({ purposeId: 'analytics', seq: 2 });
        expect((await ledger.history(alice)).map((e) => [e.seq, e.purposeId])).toEqual([
          [1, 'newsletter'],
          [2, 'analytics'],
        ]);
      });

      it('treats another purpose of the same activity as a new event', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        await ledger.append(
          [decisionOf(alice, { activityId: 'act-1', purposeId: 'newsletter' })],
          AT,
        );
        const [other] = await ledger.append(
          [decisionOf(alice, { activityId: 'act-1', purposeId: 'analytics' })],
          AT,
        );
        expect(other?.seq).toBe(2);
        expect(await ledger.history(alice)).toHaveLength(2);
      });

      it('records another decision that reuses an activity id: a stop is never taken for a yes', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const [given] = await ledger.append([decisionOf(alice, { activityId: 'reused' })], AT);
        const [stop] = await ledger.append(
          [decisionOf(alice, { activityId: 'reused', decision: 'withdrawn', source: 'opt-out' })],
          AT,
        );
        expect(stop).toMatchObject({ decision: 'withdrawn', seq: 2 });
        expect(stop?.id).not.toBe(given?.id);
        expect(deriveStatuses(catalogue, await ledger.latest(alice))[0]).toMatchObject({
          purposeId: 'newsletter',
          status: 'withdrawn',
        });
      });

      it('treats the same activity id in another conversation as a new event', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const [first] = await ledger.append(
          [decisionOf(alice, { activityId: '1', conversationId: 'conversation-a' })],
          AT,
        );
        const [second] = await ledger.append(
          [decisionOf(alice, { activityId: '1', conversationId: 'conversation-b' })],
          AT,
        );
        expect(second?.seq).toBe(2);
        expect(second?.id).not.toBe(first?.id);
        expect(await ledger.history(alice)).toHaveLength(2);
      });
    });

    describe('compare-and-append (expectedHead)', () => {
      it('tells the head: 0 for a new subject, then the seq of the last event', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        expect(await ledger.head(alice)).toBe(0);
        await ledger.append([decisionOf(alice), decisionOf(alice, { purposeId: 'analytics' })], AT);
        expect(await ledger.head(alice)).toBe(2);
        expect(await ledger.head(subjectOf('bob'))).toBe(0);
      });

      it('appends on the head it was told, and refuses a stale one, writing nothing', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const [given] = await ledger.append([decisionOf(alice)], AT, { expectedHead: 0 });
        expect(given?.seq).toBe(1);
        // A stop lands (no expectation: a withdrawal is always recorded) ...
        await ledger.append([decisionOf(alice, { decision: 'withdrawn' })], AT);
        // ... and a "yes" decided on the view before it must not land after it.
        const stale = ledger.append([decisionOf(alice, { purposeId: 'analytics' })], AT, {
          expectedHead: 1,
        });
        await expect(stale).rejects.toBeInstanceOf(LedgerConflictError);
        await expect(stale).rejects.toMatchObject({ code: 'LEDGER_CONFLICT' });
        expect((await ledger.history(alice)).map((e) => e.decision)).toEqual([
          'given',
          'withdrawn',
        ]);
        const [fresh] = await ledger.append([decisionOf(alice, { purposeId: 'analytics' })], AT, {
          expectedHead: 2,
        });
        expect(fresh?.seq).toBe(3);
      });

      it('answers a redelivery with its events even on a stale head', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const decision = decisionOf(alice, { activityId: 'redelivered' });
        const [first] = await ledger.append([decision], AT, { expectedHead: 0 });
        await ledger.append([decisionOf(alice, { purposeId: 'analytics' })], AT);
        const [again] = await ledger.append([decision], AT, { expectedHead: 0 });
        expect(again).toEqual(first);
        expect(await ledger.history(alice)).toHaveLength(2);
      });

      it('lets exactly one of several appends on the same head win', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        await ledger.append([decisionOf(alice)], AT);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            ledger.append([decisionOf(alice, { activityId: `same-head-${i}` })], AT, {
              expectedHead: 1,
            }),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(outcome.reason).toBeInstanceOf(LedgerConflictError);
          }
        }
        expect((await ledger.history(alice)).map((e) => e.seq)).toEqual([1, 2]);
      });
    });

    describe('atomicity and concurrency', () => {
      it('rejects decisions of two subjects in one call with RangeError and records nothing', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const bob = subjectOf('bob');
        // A synchronous throw would escape callers that only handle rejections.
        let call: Promise<unknown> | undefined;
        expect(() => {
          call = ledger.append([decisionOf(alice), decisionOf(bob)], AT);
        }).not.toThrow();
        await expect(call).rejects.toThrow(RangeError);
        expect(await ledger.history(alice)).toEqual([]);
        expect(await ledger.history(bob)).toEqual([]);
      });

      it('never shows an older decision as current, whatever order concurrent writers finish in', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        for (let round = 0; round < 5; round++) {
          await Promise.all(
            (['given', 'withdrawn', 'refused', 'given', 'withdrawn'] as const).map((decision, i) =>
              ledger.append(
                [decisionOf(alice, { decision, activityId: `race-${round}-${i}` })],
                AT,
              ),
            ),
          );
          const history = await ledger.history(alice);
          const newest = history.at(-1);
          expect(await ledger.latest(alice)).toEqual([newest]);
        }
      });

      it('keeps the events of each subject a valid hash chain, whatever the interleaving', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const bob = subjectOf('bob');
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            ledger.append(
              [
                decisionOf(i % 2 ? alice : bob, { activityId: `chain-${i}` }),
                ...(i % 3 === 0
                  ? [
                      decisionOf(i % 2 ? alice : bob, {
                        activityId: `chain-${i}`,
                        purposeId: 'analytics',
                      }),
                    ]
                  : []),
              ],
              AT,
            ),
          ),
        );
        for (const subject of [alice, bob]) {
          const history = await ledger.history(subject);
          expect(history.length).toBeGreaterThan(5);
          expect(history[0]?.prevHash).toBe(GENESIS_HASH);
          expect(verifyChain(history)).toEqual([]);
        }
      });

      it('records one event when the same activity is delivered 10 times at once', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const once = decisionOf(alice, { activityId: 'delivered-many-times' });
        const results = await Promise.all(
          Array.from({ length: 10 }, () => ledger.append([once], AT)),
        );
        expect(new Set(results.flat().map((e) => e.id)).size).toBe(1);
        expect(await ledger.history(alice)).toHaveLength(1);
      });

      it('gives 20 concurrent appends to one subject seqs 1..20 without duplicates', async () => {
        const { ledger } = current();
        const alice = subjectOf('alice');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            ledger.append([decisionOf(alice, { activityId: `concurrent-${i}` })], AT),
          ),
        );
        const seqs = results.flat().map((e) => e.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        expect((await ledger.history(alice)).map((e) => e.seq)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      });
    });

    it.each(['user|with/slash', 'é', '👩‍💻 emoji', 'a"b', "o'brien\\n", ' padded '])(
      'round trips the user id %j',
      async (userId) => {
        const { ledger } = current();
        const subject = subjectOf(userId);
        const [event] = await ledger.append([decisionOf(subject)], AT);
        expect(event?.subject).toEqual(subject);
        const history = await ledger.history(subject);
        expect(history).toHaveLength(1);
        expect(history[0]?.subject.userId).toBe(userId);
        // Similar ids must not share a history.
        expect(await ledger.history(subjectOf(`${userId}x`))).toEqual([]);
      },
    );

    it('latest() returns the newest event of each purpose, the same as derived from history', async () => {
      const { ledger } = current();
      const alice = subjectOf('alice');
      expect(await ledger.latest(alice)).toEqual([]);
      const decisions: [string, Decision][] = [
        ['newsletter', 'given'],
        ['analytics', 'refused'],
        ['newsletter', 'withdrawn'],
        ['analytics', 'given'],
        ['location', 'given'],
        ['newsletter', 'given'],
      ];
      for (const [purposeId, decision] of decisions) {
        await ledger.append([decisionOf(alice, { purposeId, decision })], AT);
      }
      const latest = await ledger.latest(alice);
      const byPurpose = Object.fromEntries(latest.map((e) => [e.purposeId, [e.decision, e.seq]]));
      expect(byPurpose).toEqual({
        newsletter: ['given', 6],
        analytics: ['given', 4],
        location: ['given', 5],
      });
      const history = await ledger.history(alice);
      expect(deriveStatuses(catalogue, latest)).toEqual(deriveStatuses(catalogue, history));
      expect(await ledger.latest(subjectOf('bob'))).toEqual([]);
    });

    describe('derived status over stored history', () => {
      const statusOf = async (stores: Stores, subject: Subject, purposeId: string) => {
        const history = await stores.ledger.history(subject);
        return deriveStatuses(catalogue, history).find((s) => s.purposeId === purposeId)?.status;
      };
      const decide = (stores: Stores, subject: Subject, purposeId: string, decision: Decision) =>
        stores.ledger.append([decisionOf(subject, { purposeId, decision })], AT);

      it('derives withdrawn after given then withdrawn, and keeps both events', async () => {
        const stores = current();
        const alice = subjectOf('alice');
        await decide(stores, alice, 'newsletter', 'given');
        await decide(stores, alice, 'newsletter', 'withdrawn');
        expect(await statusOf(stores, alice, 'newsletter')).toBe('withdrawn');
        expect((await stores.ledger.history(alice)).map((e) => e.decision)).toEqual([
          'given',
          'withdrawn',
        ]);
      });

      it('lets the later event win, per purpose', async () => {
        const stores = current();
        const alice = subjectOf('alice');
        await decide(stores, alice, 'analytics', 'refused');
        await decide(stores, alice, 'newsletter', 'refused');
        await decide(stores, alice, 'analytics', 'given');
        expect(await statusOf(stores, alice, 'analytics')).toBe('granted');
        expect(await statusOf(stores, alice, 'newsletter')).toBe('refused');
        expect(await statusOf(stores, alice, 'location')).toBe('unknown');
      });
    });

    describe('notice archive', () => {
      it('returns what was archived', async () => {
        const { notices } = current();
        const notice = noticeOf('h'.repeat(64), 'Weekly newsletter\nMay we send it? « é » 👍');
        await notices.archive(notice);
        expect(await notices.get(notice.hash)).toEqual(notice);
      });

      it('keeps the first record when another one comes with the same hash', async () => {
        const { notices } = current();
        const first = noticeOf('same-hash', 'The text the person read.');
        await notices.archive(first);
        await notices.archive({
          ...noticeOf('same-hash', 'A rewritten text.', 'fr'),
          purposeVersion: 2,
        });
        expect(await notices.get('same-hash')).toEqual(first);
      });

      it('returns undefined for an unknown hash', async () => {
        const { notices } = current();
        await notices.archive(noticeOf('known', 'text'));
        expect(await notices.get('unknown')).toBeUndefined();
      });
    });
  });
}

/** Bot Framework `Storage` semantics, in the spirit of botbuilder-js's storageBaseTests. */
export function describeBotStateContract(name: string, open: OpenStores): void {
  describe(`Bot state (botbuilder Storage) contract: ${name}`, () => {
    const current = freshStores(open);

    const readOne = async (key: string): Promise<StoreItem | undefined> =>
      (await current().botState.read([key]))[key] as StoreItem | undefined;

    const etagOf = async (key: string): Promise<string> => {
      const item = await readOne(key);
      expect(typeof item?.eTag).toBe('string');
      return item?.eTag ?? '';
    };

    it('reads missing keys as an empty object', async () => {
      const { botState } = current();
      expect(await botState.read(['missing', 'also-missing'])).toEqual({});
      expect(await botState.read([])).toEqual({});
    });

    it('reads back a written item with a string eTag', async () => {
      const { botState } = current();
      await botState.write({ greeting: { text: 'hello', count: 1 } });
      const items = await botState.read(['greeting', 'missing']);
      expect(Object.keys(items)).toEqual(['greeting']);
      expect(items.greeting).toEqual({ text: 'hello', count: 1, eTag: anyString });
      expect(await etagOf('greeting')).not.toBe('');
    });

    it('round trips nested objects and arrays', async () => {
      const { botState } = current();
      const item = {
        conversation: { state: { step: 'asking', pending: ['newsletter', 'analytics'] } },
        list: [1, 'two', { three: [3, null, true] }, []],
        empty: {},
        text: 'quotes " and \\ and « é » 👍',
      };
      await botState.write({ nested: item });
      expect(await readOne('nested')).toEqual({ ...item, eTag: anyString });
    });

    it('writes unconditionally with eTag "*" and with no eTag', async () => {
      const { botState } = current();
      await botState.write({ item: { value: 1 } });
      await botState.write({ item: { value: 2, eTag: '*' } });
      expect(await readOne('item')).toMatchObject({ value: 2 });
      await botState.write({ item: { value: 3 } });
      expect(await readOne('item')).toMatchObject({ value: 3 });
      await botState.write({ fresh: { value: 'new', eTag: '*' } });
      expect(await readOne('fresh')).toMatchObject({ value: 'new' });
    });

    it('accepts a write with the current eTag and changes the eTag', async () => {
      const { botState } = current();
      await botState.write({ item: { value: 1 } });
      const before = await etagOf('item');
      await botState.write({ item: { value: 2, eTag: before } });
      const after = await etagOf('item');
      expect(after).not.toBe(before);
      expect(await readOne('item')).toEqual({ value: 2, eTag: after });
    });

    it('rejects a write with a stale eTag with ETagConflictError and keeps the stored item', async () => {
      const { botState } = current();
      await botState.write({ item: { value: 1 } });
      const stale = await etagOf('item');
      await botState.write({ item: { value: 2, eTag: stale } });
      const stored = await readOne('item');
      let call: Promise<void> | undefined;
      expect(() => {
        call = botState.write({ item: { value: 3, eTag: stale } });
      }).not.toThrow();
      await expect(call).rejects.toBeInstanceOf(ETagConflictError);
      expect(await readOne('item')).toEqual(stored);
    });

    it('deletes an item, and deleting a missing key is fine', async () => {
      const { botState } = current();
      await botState.write({ keep: { value: 1 }, drop: { value: 2 } });
      await botState.delete(['drop']);
      expect(Object.keys(await botState.read(['keep', 'drop']))).toEqual(['keep']);
      await expect(botState.delete(['drop', 'never-written'])).resolves.toBeUndefined();
      await botState.write({ drop: { value: 'again' } });
      expect(await readOne('drop')).toMatchObject({ value: 'again' });
    });

    describe('eTags across a delete', () => {
      it('refuses an eTag from before a delete once the item is re-created', async () => {
        const { botState } = current();
        await botState.write({ item: { value: 1 } });
        const beforeDelete = await etagOf('item');
        await botState.delete(['item']);
        await botState.write({ item: { value: 're-created' } });
        const recreated = await readOne('item');
        // The holder of the old eTag read an item that no longer exists: its write must not
        // overwrite the new one (the lost update optimistic concurrency is there to prevent).
        await expect(
          botState.write({ item: { value: 'stale', eTag: beforeDelete } }),
        ).rejects.toBeInstanceOf(ETagConflictError);
        expect(await readOne('item')).toEqual(recreated);
      });

      it('never gives a key the same eTag twice, across writes, deletes and re-creations', async () => {
        const { botState } = current();
        const seen: string[] = [];
        for (let cycle = 0; cycle < 3; cycle++) {
          await botState.write({ item: { cycle, step: 'created' } });
          seen.push(await etagOf('item'));
          await botState.write({ item: { cycle, step: 'updated', eTag: seen.at(-1) } });
          seen.push(await etagOf('item'));
          await botState.write({ item: { cycle, step: 'overwritten', eTag: '*' } });
          seen.push(await etagOf('item'));
          await botState.delete(['item']);
          expect(await botState.read(['item'])).toEqual({});
        }
        expect(new Set(seen).size).toBe(seen.length);
        // None of them is accepted by the item as it is now.
        await botState.write({ item: { value: 'current' } });
        const now = await readOne('item');
        for (const eTag of seen) {
          await expect(botState.write({ item: { value: 'old', eTag } })).rejects.toBeInstanceOf(
            ETagConflictError,
          );
        }
        expect(await readOne('item')).toEqual(now);
      });

      it('lets a write racing a delete and a re-creation land before the delete or fail', async () => {
        const { botState } = current();
        for (let round = 0; round < 5; round++) {
          await botState.write({ race: { round, value: 'original' } });
          const eTag = await etagOf('race');
          const [write] = await Promise.allSettled([
            botState.write({ race: { round, value: 'late write', eTag } }),
            (async () => {
              await botState.delete(['race']);
              await botState.write({ race: { round, value: 're-created' } });
            })(),
          ]);
          // Either order is fine, but the re-created item is never lost to the older eTag.
          if (write.status === 'rejected') expect(write.reason).toBeInstanceOf(ETagConflictError);
          expect(await readOne('race')).toMatchObject({ round, value: 're-created' });
          await botState.delete(['race']);
        }
      });
    });

    describe("a caller's mistake is rejected, never thrown, never called an outage", () => {
      const notKeys: [string, unknown][] = [
        ['null', null],
        ['undefined', undefined],
        ['a string (it would be iterated character by character)', 'key'],
        ['an object', { key: true }],
        ['an array holding null', ['key', null]],
        ['an array holding a number', [1]],
      ];

      it.each(notKeys)('read(%s) rejects with a RangeError', async (label, keys) => {
        const { botState } = current();
        await expectCallerError(() => botState.read(keys as string[]), `read(${label})`);
      });

      it.each(notKeys)(
        'delete(%s) rejects with a RangeError and deletes nothing',
        async (label, keys) => {
          const { botState } = current();
          await botState.write({ key: { value: 1 }, k: { value: 2 } });
          const before = await botState.read(['key', 'k']);
          await expectCallerError(() => botState.delete(keys as string[]), `delete(${label})`);
          expect(await botState.read(['key', 'k'])).toEqual(before);
        },
      );

      it.each([
        ['null', null],
        ['undefined', undefined],
        ['a string', 'changes'],
        ['a number', 42],
      ] as [string, unknown][])('write(%s) rejects with a RangeError', async (label, changes) => {
        const { botState } = current();
        await expectCallerError(() => botState.write(changes as StoreItems), `write(${label})`);
      });

      it('takes write([]) and write({}) as no changes, as botbuilder callers expect', async () => {
        const { botState } = current();
        await expect(botState.write([])).resolves.toBeUndefined();
        await expect(botState.write({})).resolves.toBeUndefined();
      });
    });

    it.each(['a/b', 'c:d', 'ü', 'with spaces', 'webchat/conversations/x|y/user\\z'])(
      'works with the key %j',
      async (key) => {
        const { botState } = current();
        await botState.write({ [key]: { key } });
        expect(await readOne(key)).toEqual({ key, eTag: anyString });
        const etag = await etagOf(key);
        await botState.write({ [key]: { key, changed: true, eTag: etag } });
        expect(await readOne(key)).toMatchObject({ key, changed: true });
        await botState.delete([key]);
        expect(await botState.read([key])).toEqual({});
      },
    );

    it('lets exactly one of 10 concurrent writers with the same eTag win', async () => {
      const { botState } = current();
      for (let round = 0; round < 3; round++) {
        await botState.write({ race: { round, writer: -1 } });
        const eTag = await etagOf('race');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, writer) =>
            botState.write({ race: { round, writer, eTag } }),
          ),
        );
        const won = outcomes.flatMap((o, writer) => (o.status === 'fulfilled' ? [writer] : []));
        expect(won).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            expect(outcome.reason).toBeInstanceOf(ETagConflictError);
        }
        expect(await readOne('race')).toMatchObject({ round, writer: won[0] });
      }
    });

    it('writes nothing of a batch when one item has a stale eTag (all or nothing)', async () => {
      const { botState } = current();
      await botState.write({ first: { value: 1 }, second: { value: 1 } });
      const stale = await etagOf('second');
      await botState.write({ second: { value: 2, eTag: stale } });
      const before = await botState.read(['first', 'second', 'third']);
      await expect(
        botState.write({
          first: { value: 'changed' },
          third: { value: 'new' },
          second: { value: 'stale write', eTag: stale },
        }),
      ).rejects.toBeInstanceOf(ETagConflictError);
      expect(await botState.read(['first', 'second', 'third'])).toEqual(before);
    });
  });
}

/** A moment of the ledger-search fixtures. */
const when = (iso: string): Date => new Date(iso);

/**
 * The ledger-search fixture: who decided what, where and when. Times straddle a month and a day
 * boundary by one millisecond, so `from`/`to` bounds and period grouping are tested exactly.
 */
const LEDGER_FIXTURE = [
  {
    user: 'alice',
    channel: 'webchat',
    at: '2026-01-31T23:59:59.999Z',
    conversation: 'c-a1',
    catalogue: 'v1',
    decisions: [
      ['newsletter', 'given'],
      ['analytics', 'refused'],
    ],
  },
  {
    user: 'bob',
    channel: 'webchat',
    at: '2026-02-01T00:00:00.000Z',
    conversation: 'c-b1',
    catalogue: 'v1',
    decisions: [['newsletter', 'refused']],
  },
  {
    user: 'carol',
    channel: 'msteams',
    at: '2026-02-01T00:00:00.000Z',
    conversation: 'c-c1',
    catalogue: 'v2',
    decisions: [['newsletter', 'given']],
  },
  {
    user: 'alice',
    channel: 'webchat',
    at: '2026-02-01T12:00:00.000Z',
    conversation: 'c-a2',
    catalogue: 'v2',
    decisions: [['newsletter', 'withdrawn']],
  },
  {
    user: 'bob',
    channel: 'webchat',
    at: '2026-02-01T12:00:00.000Z',
    conversation: 'c-b2',
    catalogue: 'v2',
    decisions: [['newsletter', 'given']],
  },
  {
    user: 'bob',
    channel: 'webchat',
    at: '2026-02-02T08:00:00.000Z',
    conversation: 'c-b1',
    catalogue: 'v1',
    decisions: [['analytics', 'given']],
  },
  {
    user: 'carol',
    channel: 'msteams',
    at: '2026-03-15T10:00:00.000Z',
    conversation: 'c-c1',
    catalogue: 'v2',
    decisions: [
      ['analytics', 'given'],
      ['newsletter', 'withdrawn'],
    ],
  },
  {
    user: 'alice',
    channel: 'webchat',
    at: '2026-03-15T10:00:00.000Z',
    conversation: 'c-a2',
    catalogue: 'v2',
    decisions: [['analytics', 'confirmed']],
  },
] as const;

/** Newest first, as search returns: recordedAt, then id, descending (ASCII, so `<` is bytes). */
const newestFirst = (a: ConsentEvent, b: ConsentEvent): number =>
  a.recordedAt === b.recordedAt ? (a.id < b.id ? 1 : -1) : a.recordedAt < b.recordedAt ? 1 : -1;

export function describeLedgerSearchContract(name: string, open: OpenStores): void {
  describe(`LedgerSearch contract: ${name}`, () => {
    const current = freshStores(open);

    /** Appends the fixture; resolves to every event recorded. */
    const seed = async (): Promise<ConsentEvent[]> => {
      const events: ConsentEvent[] = [];
      for (const row of LEDGER_FIXTURE) {
        const subject = subjectOf(row.user, row.channel);
        const decisions = row.decisions.map(([purposeId, decision]) =>
          decisionOf(subject, {
            purposeId,
            decision,
            conversationId: row.conversation,
            catalogueVersion: row.catalogue,
          }),
        );
        events.push(...(await current().ledger.append(decisions, when(row.at))));
      }
      return events;
    };

    /** Every page of a search, following cursors, with how many pages it took. */
    const searchAll = async (query: LedgerQuery, limit: number) => {
      const events: ConsentEvent[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await current().ledger.search(query, after ? { limit, after } : { limit });
        events.push(...page.events);
        after = page.next;
        pages += 1;
      } while (after && pages < 100);
      return { events, pages };
    };

    const scanAll = async (query: LedgerQuery, order: 'recorded' | 'chain') => {
      const events: ConsentEvent[] = [];
      for await (const event of current().ledger.scan(query, order)) events.push(event);
      return events;
    };

    it('finds every event newest first, by recordedAt then id, JSON-equal to what append returned', async () => {
      const appended = await seed();
      const page = await current().ledger.search({}, { limit: 1000 });
      expect(page.next).toBeUndefined();
      expect(page.events).toHaveLength(10);
      expect(page.events).toEqual([...appended].sort(newestFirst));
      expect(page.events.map((e) => e.recordedAt.slice(0, 10))).toEqual([
        ...Array<string>(3).fill('2026-03-15'),
        '2026-02-02',
        ...Array<string>(4).fill('2026-02-01'),
        ...Array<string>(2).fill('2026-01-31'),
      ]);
    });

    it('filters by each field alone', async () => {
      const appended = await seed();
      const cases: [LedgerQuery, (e: ConsentEvent) => boolean, number][] = [
        [{ subject: subjectOf('alice') }, (e) => e.subject.userId === 'alice', 4],
        [{ subject: subjectOf('carol', 'msteams') }, (e) => e.subject.userId === 'carol', 3],
        [{ subject: subjectOf('carol') }, () => false, 0],
        [{ channelId: 'msteams' }, (e) => e.channelId === 'msteams', 3],
        [{ purposeId: 'analytics' }, (e) => e.purposeId === 'analytics', 4],
        [{ decision: 'withdrawn' }, (e) => e.decision === 'withdrawn', 2],
        [{ catalogueVersion: 'v1' }, (e) => e.catalogueVersion === 'v1', 4],
        [{ conversationId: 'c-b1' }, (e) => e.conversationId === 'c-b1', 2],
        [{ from: when('2026-02-01T12:00:00.000Z') }, (e) => e.recordedAt >= '2026-02-01T12', 6],
        [{ to: when('2026-02-01T00:00:00.000Z') }, (e) => e.recordedAt < '2026-02-01', 2],
      ];
      for (const [query, keep, count] of cases) {
        const { events } = await current().ledger.search(query, { limit: 1000 });
        expect(events, JSON.stringify(query)).toHaveLength(count);
        expect(events, JSON.stringify(query)).toEqual(appended.filter(keep).sort(newestFirst));
      }
    });

    it('combines filters with AND', async () => {
      const appended = await seed();
      const { events } = await current().ledger.search(
        {
          purposeId: 'newsletter',
          decision: 'given',
          catalogueVersion: 'v2',
          from: when('2026-02-01T00:00:00.000Z'),
          to: when('2026-03-01T00:00:00.000Z'),
        },
        { limit: 10 },
      );
      expect(events.map((e) => [e.subject.userId, e.conversationId])).toEqual([
        ['bob', 'c-b2'],
        ['carol', 'c-c1'],
      ]);
      const aliceInA2 = await current().ledger.search(
        { subject: subjectOf('alice'), conversationId: 'c-a2', channelId: 'webchat' },
        { limit: 10 },
      );
      expect(aliceInA2.events).toEqual(
        appended
          .filter((e) => e.subject.userId === 'alice' && e.conversationId === 'c-a2')
          .sort(newestFirst),
      );
      expect(aliceInA2.events.map((e) => e.decision)).toEqual(['confirmed', 'withdrawn']);
    });

    it('takes `from` inclusive and `to` exclusive, to the millisecond', async () => {
      await seed();
      const midnight = when('2026-02-01T00:00:00.000Z');
      const search = (query: LedgerQuery) =>
        current()
          .ledger.search(query, { limit: 100 })
          .then((p) => p.events.map((e) => e.recordedAt));
      expect(await search({ from: midnight, to: when('2026-02-01T00:00:00.001Z') })).toEqual([
        '2026-02-01T00:00:00.000Z',
        '2026-02-01T00:00:00.000Z',
      ]);
      expect(await search({ from: when('2026-01-31T23:59:59.999Z'), to: midnight })).toEqual([
        '2026-01-31T23:59:59.999Z',
        '2026-01-31T23:59:59.999Z',
      ]);
      expect(await search({ from: midnight, to: midnight })).toEqual([]);
    });

    it('pages through everything without gaps or repeats, the last page without a cursor', async () => {
      const appended = await seed();
      for (const limit of [1, 2, 3, 10, 11]) {
        const { events, pages } = await searchAll({}, limit);
        expect(events).toEqual([...appended].sort(newestFirst));
        expect(pages).toBe(Math.ceil(10 / limit));
      }
      const filtered = await searchAll({ purposeId: 'newsletter' }, 2);
      expect(filtered.events).toEqual(
        appended.filter((e) => e.purposeId === 'newsletter').sort(newestFirst),
      );
    });

    it('keeps paging exact while new events are appended', async () => {
      const appended = await seed();
      const first = await current().ledger.search({}, { limit: 4 });
      // Newer events (above the cursor) and older ones (below it) arrive between two pages.
      const dave = subjectOf('dave');
      const newer = await current().ledger.append(
        [decisionOf(dave)],
        when('2026-04-01T00:00:00.000Z'),
      );
      const older = await current().ledger.append(
        [decisionOf(dave, { purposeId: 'analytics' })],
        when('2025-12-01T00:00:00.000Z'),
      );
      const seen = [...first.events];
      let after = first.next;
      while (after) {
        const page = await current().ledger.search({}, { limit: 4, after });
        seen.push(...page.events);
        after = page.next;
      }
      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(newer[0]?.id);
      expect(seen).toEqual([...appended, ...older].sort(newestFirst));
    });

    it('refuses a cursor of another query, or one it did not issue, with a RangeError', async () => {
      await seed();
      const page = await current().ledger.search({ purposeId: 'newsletter' }, { limit: 2 });
      const { next } = page;
      expect(next).toEqual(expect.any(String));
      const search = (query: LedgerQuery, after: string) =>
        current().ledger.search(query, { limit: 2, after });
      await expect(search({ purposeId: 'analytics' }, next ?? '')).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(search({}, next ?? '')).rejects.toBeInstanceOf(RangeError);
      await expect(
        search({ purposeId: 'newsletter', from: when('2026-01-01T00:00:00.000Z') }, next ?? ''),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(search({ purposeId: 'newsletter' }, 'not-a-cursor')).rejects.toBeInstanceOf(
        RangeError,
      );
      // The same query takes it.
      expect((await search({ purposeId: 'newsletter' }, next ?? '')).events).toHaveLength(2);
    });

    it('refuses a limit outside 1..1000 with a RangeError', async () => {
      await seed();
      for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
        await expect(current().ledger.search({}, { limit })).rejects.toBeInstanceOf(RangeError);
      }
      expect((await current().ledger.search({}, { limit: 1 })).events).toHaveLength(1);
    });

    it('scans everything in recorded and in chain order, over more than one batch', async () => {
      const appended = await seed();
      // 1,100 more events, each append sharing one recordedAt: the id breaks ties across batches.
      const purposes = Array.from({ length: 55 }, (_, i) => `bulk-${i}`);
      for (let round = 0; round < 20; round += 1) {
        const subject = subjectOf(`bulk-${round % 3}`);
        appended.push(
          ...(await current().ledger.append(
            purposes.map((purposeId) => decisionOf(subject, { purposeId })),
            when(`2026-05-0${1 + (round % 5)}T00:00:00.000Z`),
          )),
        );
      }
      const recorded = await scanAll({}, 'recorded');
      expect(recorded).toHaveLength(1110);
      expect(recorded).toEqual([...appended].sort(newestFirst).reverse());
      const chain = await scanAll({}, 'chain');
      const chainKey = (e: ConsentEvent) => `${e.subject.channelId}|${e.subject.userId}`;
      expect(chain).toHaveLength(1110);
      expect(chain).toEqual(
        [...appended].sort((a, b) =>
          chainKey(a) === chainKey(b) ? a.seq - b.seq : chainKey(a) < chainKey(b) ? -1 : 1,
        ),
      );
      expect(verifyChain(chain.filter((e) => e.subject.userId === 'bulk-1'))).toEqual([]);
      const filtered = await scanAll(
        { purposeId: 'newsletter', to: when('2026-03-01') },
        'recorded',
      );
      expect(filtered.map((e) => e.recordedAt)).toEqual([
        '2026-01-31T23:59:59.999Z',
        '2026-02-01T00:00:00.000Z',
        '2026-02-01T00:00:00.000Z',
        '2026-02-01T12:00:00.000Z',
        '2026-02-01T12:00:00.000Z',
      ]);
      expect(await scanAll({ subject: subjectOf('nobody') }, 'chain')).toEqual([]);
    });

    it('counts decisions per month and per day, exactly, sorted by period, purpose, decision', async () => {
      await seed();
      const count = (period: string, purposeId: string, decision: Decision, n: number) => ({
        period,
        purposeId,
        decision,
        count: n,
      });
      expect(await current().ledger.countDecisions({}, 'month')).toEqual([
        count('2026-01', 'analytics', 'refused', 1),
        count('2026-01', 'newsletter', 'given', 1),
        count('2026-02', 'analytics', 'given', 1),
        count('2026-02', 'newsletter', 'given', 2),
        count('2026-02', 'newsletter', 'refused', 1),
        count('2026-02', 'newsletter', 'withdrawn', 1),
        count('2026-03', 'analytics', 'confirmed', 1),
        count('2026-03', 'analytics', 'given', 1),
        count('2026-03', 'newsletter', 'withdrawn', 1),
      ]);
      expect(
        await current().ledger.countDecisions(
          { purposeId: 'newsletter', from: when('2026-02-01'), to: when('2026-03-01') },
          'day',
        ),
      ).toEqual([
        count('2026-02-01', 'newsletter', 'given', 2),
        count('2026-02-01', 'newsletter', 'refused', 1),
        count('2026-02-01', 'newsletter', 'withdrawn', 1),
      ]);
      expect(
        await current().ledger.countDecisions({ subject: subjectOf('carol', 'msteams') }, 'day'),
      ).toEqual([
        count('2026-02-01', 'newsletter', 'given', 1),
        count('2026-03-15', 'analytics', 'given', 1),
        count('2026-03-15', 'newsletter', 'withdrawn', 1),
      ]);
      expect(await current().ledger.countDecisions({ channelId: 'nowhere' }, 'month')).toEqual([]);
      await expect(current().ledger.countDecisions({}, 'week' as 'day')).rejects.toBeInstanceOf(
        RangeError,
      );
    });
  });
}
