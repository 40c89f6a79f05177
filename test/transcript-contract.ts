import type { Activity, TranscriptStore } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationPage, TranscriptQuery } from '../storage/transcript-rules.js';
import { expectCallerError } from './rejection.js';

/**
 * The TranscriptStore contract every backend runs unchanged: Bot
 * Framework's TranscriptStore with real continuation-token paging and startDate, plus the
 * scheduled retention clean-up, and a person's activities for access and erasure (GDPR art. 15,
 * 17). No branch on the backend's name in here.
 */
export type TranscriptStoreUnderTest = TranscriptStore & {
  deleteOlderThan(cutoff: Date): Promise<number>;
  activitiesOfUser(channelId: string, userId: string): Promise<Activity[]>;
  deleteForUser(channelId: string, userId: string): Promise<number>;
  searchConversations(
    query: TranscriptQuery,
    page: { limit: number; after?: string },
  ): Promise<ConversationPage>;
};

export type OpenTranscriptStore = () => Promise<{
  store: TranscriptStoreUnderTest;
  close(): Promise<void>;
}>;

const T0 = Date.parse('2026-11-02T09:30:00.000Z');
const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const at = (offsetMs: number): Date => new Date(T0 + offsetMs);

let counter = 0;

/** A message as a channel delivers it; every call is a new activity id unless told otherwise. */
export function activityOf(
  channelId: string,
  conversationId: string,
  overrides: Partial<Activity> = {},
): Activity {
  counter += 1;
  return {
    type: 'message',
    id: `activity-${counter}`,
    channelId,
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    from: { id: 'user-1', name: 'Customer', role: 'user' },
    recipient: { id: 'consent-bot', name: 'Consent bot', role: 'bot' },
    serviceUrl: 'https://example.invalid/',
    text: `message ${counter}`,
    locale: 'fr-FR',
    timestamp: at(counter * SECOND),
    ...overrides,
  } as Activity;
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

export function describeTranscriptStoreContract(name: string, open: OpenTranscriptStore): void {
  describe(`TranscriptStore contract: ${name}`, () => {
    let opened: Awaited<ReturnType<OpenTranscriptStore>> | undefined;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const store = (): TranscriptStoreUnderTest => {
      if (!opened) throw new Error('the store is opened in beforeEach');
      return opened.store;
    };

    /** Logs activities one after the other: insertion order is part of the contract. */
    const logAll = async (activities: readonly Activity[]): Promise<void> => {
      for (const activity of activities) await store().logActivity(activity);
    };

    /** Every page of a conversation, following tokens, with the tokens seen. */
    const readAll = async (channelId: string, conversationId: string, startDate?: Date) => {
      const pages: Activity[][] = [];
      const tokens: (string | undefined)[] = [];
      let token: string | undefined;
      do {
        const page = await store().getTranscriptActivities(
          channelId,
          conversationId,
          token,
          startDate,
        );
        pages.push(page.items);
        token = page.continuationToken;
        tokens.push(token);
      } while (token && pages.length < 50);
      return { pages, tokens, items: pages.flat() };
    };

    describe('logActivity and getTranscriptActivities', () => {
      it('reads back what was logged, JSON-equal, with the timestamp as a Date', async () => {
        const activity = activityOf('webchat', 'conversation-1', {
          text: 'Bonjour « é » 👍\nline two "quoted" \\ backslash',
          value: { purpose: 'newsletter', answer: 'yes', nested: { list: [1, 'two', null] } },
          attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: {} }],
          entities: [{ type: 'clientInfo', locale: 'fr-FR' }],
          replyToId: 'activity-0',
        });
        await store().logActivity(activity);
        const page = await store().getTranscriptActivities('webchat', 'conversation-1');
        expect(page.items).toHaveLength(1);
        expect(json(page.items[0])).toEqual(json(activity));
        expect(page.items[0]?.timestamp).toBeInstanceOf(Date);
        expect(page.items[0]?.timestamp?.getTime()).toBe(activity.timestamp?.getTime());
        expect(page.continuationToken).toBeUndefined();
      });

      it('accepts a timestamp given as an ISO string, as it arrives over HTTP', async () => {
        const iso = at(5 * SECOND).toISOString();
        const activity = activityOf('webchat', 'conversation-1', {
          timestamp: iso as unknown as Date,
        });
        await store().logActivity(activity);
        const [read] = (await store().getTranscriptActivities('webchat', 'conversation-1')).items;
        expect(read?.timestamp).toEqual(new Date(iso));
      });

      it('orders by timestamp, then by insertion order for the same timestamp', async () => {
        const third = activityOf('webchat', 'c', { timestamp: at(3 * SECOND) });
        const first = activityOf('webchat', 'c', { timestamp: at(1 * SECOND) });
        const second = activityOf('webchat', 'c', { timestamp: at(2 * SECOND) });
        const firstToo = activityOf('webchat', 'c', { timestamp: at(1 * SECOND) });
        const firstAgain = activityOf('webchat', 'c', { timestamp: at(1 * SECOND) });
        await logAll([third, first, second, firstToo, firstAgain]);
        const { items } = await readAll('webchat', 'c');
        expect(items.map((a) => a.id)).toEqual(
          [first, firstToo, firstAgain, second, third].map((a) => a.id),
        );
      });

      it('gives an activity logged without a timestamp the time it was logged', async () => {
        const { timestamp: _, ...untimed } = activityOf('webchat', 'c');
        const before = Date.now();
        await store().logActivity(untimed);
        const after = Date.now();
        const [read] = (await store().getTranscriptActivities('webchat', 'c')).items;
        expect(read?.timestamp).toBeInstanceOf(Date);
        const time = read?.timestamp?.getTime() ?? 0;
        expect(time).toBeGreaterThanOrEqual(before);
        expect(time).toBeLessThanOrEqual(after);
        expect(json({ ...read, timestamp: undefined })).toEqual(json(untimed));
      });

      it("leaves the caller's activity as it was", async () => {
        const { timestamp: _, ...untimed } = activityOf('webchat', 'c');
        const copy = json(untimed);
        await store().logActivity(untimed);
        expect(json(untimed)).toEqual(copy);
        expect('timestamp' in untimed).toBe(false);
      });

      it('returns an empty last page for an unknown conversation or channel', async () => {
        await store().logActivity(activityOf('webchat', 'known'));
        for (const [channelId, conversationId] of [
          ['webchat', 'unknown'],
          ['msteams', 'known'],
        ] as const) {
          const page = await store().getTranscriptActivities(channelId, conversationId);
          expect(page.items).toEqual([]);
          expect(page.continuationToken).toBeUndefined();
        }
      });

      it('round trips channelData whose keys hold "." or start with "$", and nested arrays', async () => {
        const channelData = {
          'a.b': 1,
          $x: { $set: 'not an operator', 'c.d.e': [[1, 2], [{ 'f.g': true }]] },
          tenant: { id: 'tenant-1' },
          'key with spaces': '',
          '': 'empty key',
        };
        const activity = activityOf('msteams', 'c', { channelData });
        await store().logActivity(activity);
        const [read] = (await store().getTranscriptActivities('msteams', 'c')).items;
        expect(read?.channelData).toEqual(channelData);
        expect(json(read)).toEqual(json(activity));
      });

      it('stores 20 activities logged at the same time, each once', async () => {
        const activities = Array.from({ length: 20 }, () => activityOf('webchat', 'busy'));
        await Promise.all(activities.map(async (a) => store().logActivity(a)));
        const { items } = await readAll('webchat', 'busy');
        expect(items.map((a) => a.id).sort()).toEqual(activities.map((a) => a.id).sort());
      });

      it('rejects, never throws, an activity without a channel or conversation id', async () => {
        const bad = [
          { ...activityOf('webchat', 'c'), channelId: '' },
          { ...activityOf('webchat', 'c'), conversation: undefined },
          { ...activityOf('webchat', 'c'), conversation: { id: '' } },
        ] as unknown as Activity[];
        for (const activity of bad) {
          let call: Promise<void> | undefined;
          expect(() => {
            call = store().logActivity(activity) as Promise<void>;
          }).not.toThrow();
          await expect(call).rejects.toThrow(RangeError);
        }
        expect((await store().listTranscripts('webchat')).items).toEqual([]);
      });
    });

    describe("a caller's mistake is rejected, never thrown, never called an outage", () => {
      const missing: [string, unknown][] = [
        ['null', null],
        ['undefined', undefined],
        ['empty', ''],
        ['a number', 42],
      ];

      it.each(missing)('logActivity(%s) rejects with a RangeError', async (label, activity) => {
        await expectCallerError(
          () => store().logActivity(activity as Activity),
          `logActivity(${label})`,
        );
      });

      it.each(missing)(
        'getTranscriptActivities with a channel or conversation id %s rejects with a RangeError',
        async (label, id) => {
          await store().logActivity(activityOf('webchat', 'c'));
          const bad = id as string;
          await expectCallerError(
            () => store().getTranscriptActivities(bad, bad),
            `getTranscriptActivities(${label}, ${label})`,
          );
          await expectCallerError(
            () => store().getTranscriptActivities('webchat', bad),
            `getTranscriptActivities('webchat', ${label})`,
          );
          await expectCallerError(
            () => store().getTranscriptActivities(bad, 'c'),
            `getTranscriptActivities(${label}, 'c')`,
          );
        },
      );

      it.each(missing)('listTranscripts(%s) rejects with a RangeError', async (label, id) => {
        await expectCallerError(
          () => store().listTranscripts(id as string),
          `listTranscripts(${label})`,
        );
      });

      it.each(missing)(
        'deleteTranscript with a channel or conversation id %s rejects with a RangeError and deletes nothing',
        async (label, id) => {
          await store().logActivity(activityOf('webchat', 'c'));
          const bad = id as string;
          await expectCallerError(
            () => store().deleteTranscript(bad, bad),
            `deleteTranscript(${label}, ${label})`,
          );
          await expectCallerError(
            () => store().deleteTranscript('webchat', bad),
            `deleteTranscript('webchat', ${label})`,
          );
          expect((await store().getTranscriptActivities('webchat', 'c')).items).toHaveLength(1);
        },
      );
    });

    describe('paging', () => {
      it('pages 45 activities by 20: 20, 20 and 5, no duplicate, no gap, no token on the last', async () => {
        const activities = Array.from({ length: 45 }, (_, i) =>
          activityOf('webchat', 'long', { timestamp: at(i * SECOND) }),
        );
        await logAll(activities);
        const { pages, tokens, items } = await readAll('webchat', 'long');
        expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
        expect(tokens[0]).toEqual(expect.any(String));
        expect(tokens[1]).toEqual(expect.any(String));
        expect(tokens[0]).not.toBe(tokens[1]);
        expect(tokens[2]).toBeUndefined();
        expect(items.map((a) => a.id)).toEqual(activities.map((a) => a.id));
      });

      it('pages activities of the same millisecond without skipping or repeating', async () => {
        const activities = Array.from({ length: 45 }, () =>
          activityOf('webchat', 'burst', { timestamp: at(0) }),
        );
        await logAll(activities);
        const { pages, items } = await readAll('webchat', 'burst');
        expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
        expect(items.map((a) => a.id)).toEqual(activities.map((a) => a.id));
      });

      it('ends with a token-less page when the count is an exact multiple of the page size', async () => {
        await logAll(Array.from({ length: 40 }, () => activityOf('webchat', 'exact')));
        const { pages, tokens } = await readAll('webchat', 'exact');
        expect(pages.map((p) => p.length)).toEqual([20, 20]);
        expect(tokens.at(-1)).toBeUndefined();
      });

      it('does not shift pages when activities are logged between two reads', async () => {
        const activities = Array.from({ length: 25 }, (_, i) =>
          activityOf('webchat', 'live', { timestamp: at(i * SECOND) }),
        );
        await logAll(activities);
        const first = await store().getTranscriptActivities('webchat', 'live');
        const later = activityOf('webchat', 'live', { timestamp: at(100 * SECOND) });
        await store().logActivity(later);
        const second = await store().getTranscriptActivities(
          'webchat',
          'live',
          first.continuationToken,
        );
        expect([...first.items, ...second.items].map((a) => a.id)).toEqual(
          [...activities, later].map((a) => a.id),
        );
        expect(second.continuationToken).toBeUndefined();
      });

      it('rejects with RangeError a token of another conversation, channel or listing', async () => {
        await logAll(Array.from({ length: 25 }, () => activityOf('webchat', 'a')));
        await logAll(Array.from({ length: 25 }, () => activityOf('webchat', 'b')));
        await logAll(Array.from({ length: 25 }, () => activityOf('msteams', 'a')));
        for (let i = 0; i < 20; i++) await store().logActivity(activityOf('webchat', `more-${i}`));
        const token = (await store().getTranscriptActivities('webchat', 'a')).continuationToken;
        expect(token).toEqual(expect.any(String));
        await expect(store().getTranscriptActivities('webchat', 'b', token)).rejects.toThrow(
          RangeError,
        );
        await expect(store().getTranscriptActivities('msteams', 'a', token)).rejects.toThrow(
          RangeError,
        );
        await expect(store().listTranscripts('webchat', token)).rejects.toThrow(RangeError);
        const listToken = (await store().listTranscripts('webchat')).continuationToken;
        expect(listToken).toEqual(expect.any(String));
        await expect(store().getTranscriptActivities('webchat', 'a', listToken)).rejects.toThrow(
          RangeError,
        );
        await expect(store().listTranscripts('msteams', listToken)).rejects.toThrow(RangeError);
      });

      it.each(['not a token', 'e30', '[]', 'WzEsIngiLDEsMV0'])(
        'rejects the malformed token %j with RangeError',
        async (token) => {
          await store().logActivity(activityOf('webchat', 'a'));
          await expect(store().getTranscriptActivities('webchat', 'a', token)).rejects.toThrow(
            RangeError,
          );
          await expect(store().listTranscripts('webchat', token)).rejects.toThrow(RangeError);
        },
      );

      it('returns only activities at or after startDate, and pages within them', async () => {
        const activities = Array.from({ length: 50 }, (_, i) =>
          activityOf('webchat', 'since', { timestamp: at(i * SECOND) }),
        );
        await logAll(activities);
        const { pages, items } = await readAll('webchat', 'since', at(5 * SECOND));
        expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
        expect(items.map((a) => a.id)).toEqual(activities.slice(5).map((a) => a.id));
        const late = await store().getTranscriptActivities('webchat', 'since', undefined, at(DAY));
        expect(late.items).toEqual([]);
        expect(late.continuationToken).toBeUndefined();
      });
    });

    describe('listTranscripts', () => {
      it("lists one channel's conversations by id, created at their first activity", async () => {
        await logAll([
          activityOf('webchat', 'b-second', { timestamp: at(30 * SECOND) }),
          activityOf('webchat', 'a-first', { timestamp: at(20 * SECOND) }),
          activityOf('webchat', 'a-first', { timestamp: at(40 * SECOND) }),
          // Logged last, but the oldest activity of its conversation.
          activityOf('webchat', 'b-second', { timestamp: at(10 * SECOND) }),
          activityOf('msteams', 'other-channel', { timestamp: at(0) }),
        ]);
        const page = await store().listTranscripts('webchat');
        expect(page.items).toEqual([
          { channelId: 'webchat', id: 'a-first', created: at(20 * SECOND) },
          { channelId: 'webchat', id: 'b-second', created: at(10 * SECOND) },
        ]);
        expect(page.items[0]?.created).toBeInstanceOf(Date);
        expect(page.continuationToken).toBeUndefined();
        expect((await store().listTranscripts('msteams')).items.map((t) => t.id)).toEqual([
          'other-channel',
        ]);
        const empty = await store().listTranscripts('nowhere');
        expect(empty.items).toEqual([]);
        expect(empty.continuationToken).toBeUndefined();
      });

      it('orders conversation ids by their UTF-8 bytes, the same on every backend', async () => {
        const ids = ['Z', 'a', 'a b', 'ab', 'é', '\uFF21 fullwidth', '😀 emoji'];
        for (const id of [...ids].reverse()) await store().logActivity(activityOf('webchat', id));
        expect((await store().listTranscripts('webchat')).items.map((t) => t.id)).toEqual(ids);
      });

      it('lists a conversation of many activities once, created at its earliest', async () => {
        const long = Array.from({ length: 150 }, (_, i) =>
          activityOf('webchat', 'b-long', { timestamp: at((i + 10) * SECOND) }),
        );
        await logAll([
          activityOf('webchat', 'c-after', { timestamp: at(5 * SECOND) }),
          ...long,
          // Logged last, but the earliest of its conversation.
          activityOf('webchat', 'b-long', { timestamp: at(1 * SECOND) }),
          activityOf('webchat', 'a-before', { timestamp: at(500 * SECOND) }),
        ]);
        const page = await store().listTranscripts('webchat');
        expect(page.items).toEqual([
          { channelId: 'webchat', id: 'a-before', created: at(500 * SECOND) },
          { channelId: 'webchat', id: 'b-long', created: at(1 * SECOND) },
          { channelId: 'webchat', id: 'c-after', created: at(5 * SECOND) },
        ]);
        expect(page.continuationToken).toBeUndefined();
      });

      it('pages 45 conversations by 20, no duplicate, no gap, no token on the last', async () => {
        const ids = Array.from(
          { length: 45 },
          (_, i) => `conversation-${String(i).padStart(2, '0')}`,
        );
        // Logged in another order than listed; some share a creation time.
        for (const [i, id] of [...ids].reverse().entries()) {
          await store().logActivity(
            activityOf('webchat', id, { timestamp: at(Math.floor(i / 3)) }),
          );
        }
        const seen: string[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        do {
          const page = await store().listTranscripts('webchat', token);
          sizes.push(page.items.length);
          seen.push(...page.items.map((t) => t.id));
          token = page.continuationToken;
        } while (token && sizes.length < 10);
        expect(sizes).toEqual([20, 20, 5]);
        expect(seen).toEqual(ids);
      });
    });

    describe('deleteTranscript', () => {
      it('removes that conversation only', async () => {
        await logAll([
          activityOf('webchat', 'gone'),
          activityOf('webchat', 'gone'),
          activityOf('webchat', 'kept'),
          activityOf('msteams', 'gone'),
        ]);
        await store().deleteTranscript('webchat', 'gone');
        expect((await store().getTranscriptActivities('webchat', 'gone')).items).toEqual([]);
        expect((await store().getTranscriptActivities('webchat', 'kept')).items).toHaveLength(1);
        expect((await store().getTranscriptActivities('msteams', 'gone')).items).toHaveLength(1);
        expect((await store().listTranscripts('webchat')).items.map((t) => t.id)).toEqual(['kept']);
        await expect(store().deleteTranscript('webchat', 'never-was')).resolves.toBeUndefined();
      });
    });

    describe('deleteOlderThan (scheduled retention clean-up)', () => {
      it('deletes activities before the cutoff, keeps the rest, and says how many', async () => {
        const cutoff = at(0);
        await logAll([
          activityOf('webchat', 'old', { timestamp: at(-10 * DAY) }),
          activityOf('webchat', 'old', { timestamp: at(-5 * DAY) }),
          activityOf('webchat', 'mixed', { timestamp: at(-1) }),
          activityOf('webchat', 'mixed', { timestamp: cutoff }),
          activityOf('msteams', 'recent', { timestamp: at(DAY) }),
        ]);
        expect(await store().deleteOlderThan(cutoff)).toBe(3);
        expect((await store().getTranscriptActivities('webchat', 'old')).items).toEqual([]);
        const mixed = (await store().getTranscriptActivities('webchat', 'mixed')).items;
        expect(mixed.map((a) => a.timestamp)).toEqual([cutoff]);
        expect((await store().getTranscriptActivities('msteams', 'recent')).items).toHaveLength(1);
        // A conversation with nothing left is no longer listed; the others are created anew.
        expect((await store().listTranscripts('webchat')).items).toEqual([
          { channelId: 'webchat', id: 'mixed', created: cutoff },
        ]);
        expect(await store().deleteOlderThan(cutoff)).toBe(0);
      });

      it('rejects an invalid cutoff with RangeError and deletes nothing', async () => {
        await store().logActivity(activityOf('webchat', 'c'));
        await expect(store().deleteOlderThan(new Date(Number.NaN))).rejects.toThrow(RangeError);
        expect((await store().getTranscriptActivities('webchat', 'c')).items).toHaveLength(1);
      });
    });

    /** What the user said, as the channel delivers it. */
    const fromUser = (channelId: string, conversationId: string, userId: string, at?: Date) =>
      activityOf(channelId, conversationId, {
        from: { id: userId, name: 'Customer', role: 'user' },
        recipient: { id: 'consent-bot', name: 'Consent bot', role: 'bot' },
        ...(at ? { timestamp: at } : {}),
      });
    /** What the bot said to the user. */
    const toUser = (channelId: string, conversationId: string, userId: string, at?: Date) =>
      activityOf(channelId, conversationId, {
        from: { id: 'consent-bot', name: 'Consent bot', role: 'bot' },
        recipient: { id: userId, name: 'Customer', role: 'user' },
        ...(at ? { timestamp: at } : {}),
      });
    const ids = (activities: readonly Activity[]) => activities.map((a) => a.id);

    describe('activitiesOfUser (access, GDPR art. 15)', () => {
      it('returns what the user said and was told, across conversations, in time order', async () => {
        const said = fromUser('webchat', 'c-2', 'jane', at(2 * SECOND));
        const told = toUser('webchat', 'c-2', 'jane', at(3 * SECOND));
        const earlier = fromUser('webchat', 'c-1', 'jane', at(1 * SECOND));
        const sameTime = toUser('webchat', 'c-1', 'jane', at(3 * SECOND));
        const later = toUser('webchat', 'c-3', 'jane', at(9 * SECOND));
        await logAll([said, told, earlier, sameTime, later]);
        await logAll([fromUser('webchat', 'c-2', 'bob'), toUser('webchat', 'c-4', 'bob')]);
        const found = await store().activitiesOfUser('webchat', 'jane');
        expect(ids(found)).toEqual(ids([earlier, said, told, sameTime, later]));
        expect(json(found)).toEqual(json([earlier, said, told, sameTime, later]));
        expect(found[0]?.timestamp).toBeInstanceOf(Date);
      });

      it('returns [] for a user, or a channel, with nothing stored', async () => {
        await store().logActivity(fromUser('webchat', 'c', 'jane'));
        expect(await store().activitiesOfUser('webchat', 'nobody')).toEqual([]);
        expect(await store().activitiesOfUser('msteams', 'jane')).toEqual([]);
      });

      it('matches ids exactly: not a prefix, not a longer id, not another case', async () => {
        const users = ['user-1', 'user-10', 'user', 'User-1', 'user-1 ', 'xuser-1'];
        const logged = users.map((userId) => fromUser('webchat', `c-${userId}`, userId));
        await logAll(logged);
        for (const [index, userId] of users.entries()) {
          expect(ids(await store().activitiesOfUser('webchat', userId))).toEqual(
            ids([logged[index] as Activity]),
          );
        }
      });

      it('skips activities with no from or recipient, or a non-string id', async () => {
        const { from: _, recipient: __, ...anonymous } = activityOf('webchat', 'c');
        await store().logActivity(anonymous as Activity);
        await store().logActivity(
          activityOf('webchat', 'c', { from: { id: 42 } as unknown as Activity['from'] }),
        );
        const mine = fromUser('webchat', 'c', '42');
        await store().logActivity(mine);
        expect(ids(await store().activitiesOfUser('webchat', '42'))).toEqual(ids([mine]));
      });

      it('rejects with RangeError an empty channel or user id', async () => {
        await expect(store().activitiesOfUser('', 'jane')).rejects.toThrow(RangeError);
        await expect(store().activitiesOfUser('webchat', '')).rejects.toThrow(RangeError);
      });
    });

    describe('deleteForUser (erasure, GDPR art. 17)', () => {
      it('deletes whole conversations the user took part in, says how many activities went', async () => {
        // A group conversation: someone else's messages in it go too.
        await logAll([
          fromUser('msteams', 'group', 'ann'),
          fromUser('msteams', 'group', 'jane'),
          toUser('msteams', 'group', 'ann'),
          // Only a recipient here: the bot wrote to her first.
          toUser('msteams', 'proactive', 'jane'),
          fromUser('msteams', 'direct', 'jane'),
          toUser('msteams', 'direct', 'jane'),
          activityOf('msteams', 'direct', { from: undefined, recipient: undefined }),
        ]);
        const annAlone = fromUser('msteams', 'ann-only', 'ann');
        const janeElsewhere = fromUser('webchat', 'direct', 'jane');
        await logAll([annAlone, janeElsewhere]);

        expect(await store().deleteForUser('msteams', 'jane')).toBe(7);
        expect(await store().activitiesOfUser('msteams', 'jane')).toEqual([]);
        for (const conversation of ['group', 'proactive', 'direct']) {
          expect((await store().getTranscriptActivities('msteams', conversation)).items).toEqual(
            [],
          );
        }
        expect((await store().listTranscripts('msteams')).items.map((t) => t.id)).toEqual([
          'ann-only',
        ]);
        expect(ids(await store().activitiesOfUser('msteams', 'ann'))).toEqual(ids([annAlone]));
        expect(ids(await store().activitiesOfUser('webchat', 'jane'))).toEqual(
          ids([janeElsewhere]),
        );
      });

      it('is idempotent: a second erasure finds nothing and deletes nothing', async () => {
        await logAll([fromUser('webchat', 'c', 'jane'), toUser('webchat', 'c', 'jane')]);
        expect(await store().deleteForUser('webchat', 'jane')).toBe(2);
        expect(await store().deleteForUser('webchat', 'jane')).toBe(0);
        expect(await store().deleteForUser('webchat', 'never-was')).toBe(0);
        expect(await store().deleteForUser('nowhere', 'jane')).toBe(0);
      });

      it('leaves users whose id the user id prefixes, or that prefix it, alone', async () => {
        const users = ['user', 'user-10', 'User-1', 'user-1x'];
        const kept = users.map((userId) => fromUser('webchat', `c-${userId}`, userId));
        await logAll([...kept, fromUser('webchat', 'c-user-1', 'user-1')]);
        expect(await store().deleteForUser('webchat', 'user-1')).toBe(1);
        for (const [index, userId] of users.entries()) {
          expect(ids(await store().activitiesOfUser('webchat', userId))).toEqual(
            ids([kept[index] as Activity]),
          );
        }
      });

      it('still finds and pages the activities logged after an erasure', async () => {
        await store().logActivity(fromUser('webchat', 'c', 'jane'));
        await store().deleteForUser('webchat', 'jane');
        const again = fromUser('webchat', 'c', 'jane');
        await store().logActivity(again);
        expect(ids(await store().activitiesOfUser('webchat', 'jane'))).toEqual(ids([again]));
        expect(ids((await store().getTranscriptActivities('webchat', 'c')).items)).toEqual(
          ids([again]),
        );
      });

      it('rejects with RangeError an empty channel or user id, deleting nothing', async () => {
        await store().logActivity(fromUser('webchat', 'c', 'jane'));
        await expect(store().deleteForUser('', 'jane')).rejects.toThrow(RangeError);
        await expect(store().deleteForUser('webchat', '')).rejects.toThrow(RangeError);
        expect(await store().activitiesOfUser('webchat', 'jane')).toHaveLength(1);
      });
    });

    describe.each([
      ['user|with/slash', '29:1AbC-def/GHI+jkl=='],
      ['msteams', 'user.with.dots'],
      ['$dollar', '$leading-dollar'],
      ['webchat', 'quote"and\\backslash\'s'],
      ['é', '\u00c9lo\u00efse 🙂'],
      ['webchat', ' padded '],
      ['webchat', '%2F%20encoded?&#'],
    ])('user ids with special characters: channel %j, user %j', (channelId, userId) => {
      it('finds and erases exactly that user on exactly that channel', async () => {
        const mine = [
          fromUser(channelId, 'conversation.1', userId),
          toUser(channelId, 'conversation.1', userId),
          toUser(channelId, '$conversation 2', userId),
        ];
        const others = [
          fromUser(channelId, 'other', `${userId}x`),
          fromUser(channelId, 'other-2', userId.slice(0, -1) || 'z'),
          fromUser(`${channelId}x`, 'conversation.1', userId),
        ];
        await logAll([...mine, ...others]);
        expect(ids(await store().activitiesOfUser(channelId, userId))).toEqual(ids(mine));
        expect(await store().deleteForUser(channelId, userId)).toBe(3);
        expect(await store().activitiesOfUser(channelId, userId)).toEqual([]);
        expect(ids(await store().activitiesOfUser(channelId, `${userId}x`))).toEqual(
          ids([others[0] as Activity]),
        );
        expect(
          await store()
            .activitiesOfUser(`${channelId}x`, userId)
            .then((found) => found.length),
        ).toBe(1);
        expect((await store().getTranscriptActivities(channelId, 'other-2')).items).toHaveLength(1);
      });
    });

    describe.each([
      ['user|with/slash', 'conversation:1;messageid=2'],
      ['é', 'a"b'],
      ['👩‍💻 emoji', "o'brien\\n"],
      [' padded ', 'with.dot'],
      ['$dollar', '$conversation.id'],
      ['webchat', '19:meeting_abc@thread.v2'],
    ])('ids with special characters: channel %j, conversation %j', (channelId, conversationId) => {
      it('logs, reads, lists and deletes under exactly those ids', async () => {
        const activity = activityOf(channelId, conversationId);
        await store().logActivity(activity);
        await store().logActivity(activityOf(`${channelId}x`, conversationId));
        await store().logActivity(activityOf(channelId, `${conversationId}x`));
        const read = await store().getTranscriptActivities(channelId, conversationId);
        expect(read.items.map((a) => json(a))).toEqual([json(activity)]);
        expect((await store().listTranscripts(channelId)).items.map((t) => t.id).sort()).toEqual(
          [conversationId, `${conversationId}x`].sort(),
        );
        await store().deleteTranscript(channelId, conversationId);
        expect((await store().getTranscriptActivities(channelId, conversationId)).items).toEqual(
          [],
        );
        expect(
          (await store().getTranscriptActivities(`${channelId}x`, conversationId)).items,
        ).toHaveLength(1);
        expect(
          (await store().getTranscriptActivities(channelId, `${conversationId}x`)).items,
        ).toHaveLength(1);
      });
    });

    describe('searchConversations (compliance review)', () => {
      /**
       * Six conversations; three end at the same second, so the tie-breakers (channel, then
       * conversation id, descending) decide their order.
       */
      const seed = async (): Promise<void> => {
        await logAll([
          fromUser('webchat', 'c-1', 'jane', at(1 * SECOND)),
          toUser('webchat', 'c-1', 'jane', at(2 * SECOND)),
          fromUser('webchat', 'c-2', 'bob', at(3 * SECOND)),
          toUser('webchat', 'c-2', 'bob', at(4 * SECOND)),
          fromUser('msteams', 'c-1', 'jane', at(5 * SECOND)),
          toUser('webchat', 'c-3', 'jane', at(7 * SECOND)),
          fromUser('webchat', 'c-1', 'jane', at(10 * SECOND)),
          fromUser('webchat', 'c-4', 'bob', at(10 * SECOND)),
          fromUser('msteams', 'c-9', 'bob', at(10 * SECOND)),
          toUser('msteams', 'c-1', 'jane', at(20 * SECOND)),
        ]);
      };
      const summary = (
        channelId: string,
        conversationId: string,
        first: number,
        last: number,
        activities: number,
      ) => ({
        channelId,
        conversationId,
        firstAt: at(first * SECOND).toISOString(),
        lastAt: at(last * SECOND).toISOString(),
        activities,
      });
      const ALL = [
        summary('msteams', 'c-1', 5, 20, 2),
        summary('webchat', 'c-4', 10, 10, 1),
        summary('webchat', 'c-1', 1, 10, 3),
        summary('msteams', 'c-9', 10, 10, 1),
        summary('webchat', 'c-3', 7, 7, 1),
        summary('webchat', 'c-2', 3, 4, 2),
      ];
      const names = (page: ConversationPage) =>
        page.conversations.map((c) => `${c.channelId}/${c.conversationId}`);
      const search = (query: TranscriptQuery, limit = 100) =>
        store().searchConversations(query, { limit });

      it('lists conversations most recently active first, each summed up whole', async () => {
        await seed();
        const page = await search({});
        expect(page.conversations).toEqual(ALL);
        expect(page.next).toBeUndefined();
      });

      it('filters by channel, by participant (from or recipient) and by both', async () => {
        await seed();
        expect(names(await search({ channelId: 'webchat' }))).toEqual([
          'webchat/c-4',
          'webchat/c-1',
          'webchat/c-3',
          'webchat/c-2',
        ]);
        // webchat/c-3 holds only what the bot told jane: she is its recipient.
        expect(names(await search({ userId: 'jane' }))).toEqual([
          'msteams/c-1',
          'webchat/c-1',
          'webchat/c-3',
        ]);
        expect((await search({ channelId: 'webchat', userId: 'jane' })).conversations).toEqual([
          summary('webchat', 'c-1', 1, 10, 3),
          summary('webchat', 'c-3', 7, 7, 1),
        ]);
        expect(names(await search({ userId: 'consent-bot', channelId: 'msteams' }))).toEqual([
          'msteams/c-1',
          'msteams/c-9',
        ]);
        expect(await search({ userId: 'nobody' })).toEqual({ conversations: [] });
        expect(await search({ channelId: 'nowhere' })).toEqual({ conversations: [] });
      });

      it('keeps conversations with an activity in [from, to), summed up whole', async () => {
        await seed();
        // Activities at 4 s and 5 s; msteams/c-1 still counts its activity at 20 s.
        expect((await search({ from: at(4 * SECOND), to: at(7 * SECOND) })).conversations).toEqual([
          summary('msteams', 'c-1', 5, 20, 2),
          summary('webchat', 'c-2', 3, 4, 2),
        ]);
        expect(names(await search({ from: at(1 * SECOND), to: at(3 * SECOND) }))).toEqual([
          'webchat/c-1',
        ]);
        expect(names(await search({ from: at(10 * SECOND) }))).toEqual([
          'msteams/c-1',
          'webchat/c-4',
          'webchat/c-1',
          'msteams/c-9',
        ]);
        expect(names(await search({ to: at(3 * SECOND) }))).toEqual(['webchat/c-1']);
        // The person took part, and something happened in the range: not always the same activity.
        expect(names(await search({ userId: 'jane', from: at(8 * SECOND) }))).toEqual([
          'msteams/c-1',
          'webchat/c-1',
        ]);
        expect(await search({ from: at(21 * SECOND) })).toEqual({ conversations: [] });
      });

      it('pages through everything without gaps or repeats, the last page without a cursor', async () => {
        await seed();
        for (const limit of [1, 2, 4, 6]) {
          const seen: unknown[] = [];
          let after: string | undefined;
          let pages = 0;
          do {
            const page = await store().searchConversations(
              {},
              after ? { limit, after } : { limit },
            );
            seen.push(...page.conversations);
            after = page.next;
            pages += 1;
          } while (after && pages < 20);
          expect(seen).toEqual(ALL);
          expect(pages).toBe(Math.ceil(ALL.length / limit));
        }
      });

      it('refuses a cursor of another query or a bad limit with a RangeError', async () => {
        await seed();
        const { next } = await store().searchConversations({ channelId: 'webchat' }, { limit: 1 });
        expect(next).toEqual(expect.any(String));
        const after = next ?? '';
        await expect(store().searchConversations({}, { limit: 1, after })).rejects.toThrow(
          RangeError,
        );
        await expect(
          store().searchConversations({ channelId: 'msteams' }, { limit: 1, after }),
        ).rejects.toThrow(RangeError);
        await expect(
          store().searchConversations({ channelId: 'webchat' }, { limit: 1, after: 'junk' }),
        ).rejects.toThrow(RangeError);
        for (const limit of [0, 1001, 2.5]) {
          await expect(store().searchConversations({}, { limit })).rejects.toThrow(RangeError);
        }
        expect(
          names(await store().searchConversations({ channelId: 'webchat' }, { limit: 1, after })),
        ).toEqual(['webchat/c-1']);
      });
    });
  });
}
