import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  newConfirmationToken,
  pendingConfirmationOf,
  type PendingConfirmation,
  type PendingConfirmations,
} from '../consent/confirmations.js';
import type { Subject } from '../consent/subject.js';
import { AWKWARD_USER_IDS } from './suppression-contract.js';

/**
 * The pending confirmations contract every backend runs unchanged, with no branch on the backend's
 * name. `open` gives a fresh, empty store; `Stores` will satisfy this shape once it carries
 * `confirmations`.
 */
export interface OpenedPendingConfirmations {
  readonly confirmations: PendingConfirmations;
  close(): Promise<void>;
}
export type OpenPendingConfirmations = () =>
  Promise<OpenedPendingConfirmations> | OpenedPendingConfirmations;

const NOW = new Date('2026-11-02T09:30:00.000Z');
const HOUR = 60 * 60 * 1000;
const DAY_48H = 48 * HOUR;

const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

function subjectOf(userId: string, channelId = 'webchat'): Subject {
  return { channelId, userId };
}

/** A confirmation created `createdAgoMs` before NOW, living `ttlMs`. */
function confirmationOf(
  subject: Subject = subjectOf('alice'),
  { createdAgoMs = 0, ttlMs = DAY_48H, purposeId = 'newsletter', email = 'alice@example.com' } = {},
): { token: string; confirmation: PendingConfirmation } {
  return pendingConfirmationOf(
    { subject, purposeId, email, locale: 'fr' },
    at(-createdAgoMs),
    ttlMs,
  );
}

export function describePendingConfirmationsContract(
  name: string,
  open: OpenPendingConfirmations,
): void {
  describe(`PendingConfirmations contract: ${name}`, () => {
    let opened: OpenedPendingConfirmations | undefined;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const store = (): PendingConfirmations => {
      if (!opened) throw new Error('the store is opened in beforeEach');
      return opened.confirmations;
    };

    it('gives back what was created, once: a second consume gets undefined', async () => {
      const { confirmation } = confirmationOf(subjectOf('alice'), { email: 'Alice@Example.com' });
      await store().create(confirmation);
      const consumed = await store().consume(confirmation.tokenHash, at(HOUR));
      expect(consumed).toEqual(confirmation);
      expect(JSON.parse(JSON.stringify(consumed))).toEqual(confirmation);
      expect(await store().consume(confirmation.tokenHash, at(HOUR))).toBeUndefined();
    });

    it('answers undefined for a token hash it never saw', async () => {
      expect(await store().consume(newConfirmationToken().tokenHash, NOW)).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent consumers of one token win, every time', async () => {
      // Several rounds: a check-then-delete race does not lose on every try.
      for (let round = 0; round < 5; round++) {
        const { confirmation } = confirmationOf();
        await store().create(confirmation);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store().consume(confirmation.tokenHash, NOW)),
        );
        expect(results.filter((r) => r !== undefined)).toEqual([confirmation]);
      }
    });

    it('consumes each of several tokens of one person independently', async () => {
      const alice = subjectOf('alice');
      const newsletter = confirmationOf(alice, { purposeId: 'newsletter' }).confirmation;
      const offers = confirmationOf(alice, { purposeId: 'offers' }).confirmation;
      await store().create(newsletter);
      await store().create(offers);
      expect(await store().consume(offers.tokenHash, NOW)).toEqual(offers);
      expect(await store().consume(newsletter.tokenHash, NOW)).toEqual(newsletter);
    });

    it('does not give back a token at or past its expiry, and keeps it for the clean-up', async () => {
      const { confirmation } = confirmationOf(subjectOf('alice'), { ttlMs: DAY_48H });
      await store().create(confirmation);
      expect(await store().consume(confirmation.tokenHash, at(DAY_48H))).toBeUndefined();
      expect(await store().consume(confirmation.tokenHash, at(DAY_48H + HOUR))).toBeUndefined();
      // Still there: the same token one millisecond before its expiry is good.
      expect(await store().consume(confirmation.tokenHash, at(DAY_48H - 1))).toEqual(confirmation);
    });

    /** Sorted by token hash: compares what was taken, whatever order it came in. */
    const byHash = (list: readonly PendingConfirmation[]) =>
      [...list].sort((a, b) => (a.tokenHash < b.tokenHash ? -1 : 1));

    it('takes out the expired ones, hands them back whole, and keeps the live ones', async () => {
      const expired = [
        confirmationOf(subjectOf('a'), { createdAgoMs: 3 * DAY_48H }).confirmation,
        confirmationOf(subjectOf('b'), {
          createdAgoMs: DAY_48H + 1,
          purposeId: 'offers',
          email: 'B@Example.com',
        }).confirmation,
        // Expiring exactly now: dead, as consume says.
        confirmationOf(subjectOf('c'), { createdAgoMs: DAY_48H }).confirmation,
      ];
      const live = [
        confirmationOf(subjectOf('d'), { createdAgoMs: DAY_48H - 1 }).confirmation,
        confirmationOf(subjectOf('e')).confirmation,
      ];
      for (const c of [...expired, ...live]) await store().create(c);
      const taken = await store().takeExpired(NOW);
      // Oldest expiry first, every field as created.
      expect(taken).toEqual(expired);
      expect(JSON.parse(JSON.stringify(taken))).toEqual(expired);
      expect(await store().takeExpired(NOW)).toEqual([]);
      for (const c of expired)
        expect(await store().consume(c.tokenHash, at(-DAY_48H * 4))).toBeUndefined();
      for (const c of live) expect(await store().consume(c.tokenHash, NOW)).toEqual(c);
    });

    it('takes at most limit at a time, oldest expiry first, until none is left', async () => {
      const expired = Array.from(
        { length: 5 },
        (_, i) =>
          confirmationOf(subjectOf(`user-${i}`), { createdAgoMs: DAY_48H + (5 - i) * HOUR })
            .confirmation,
      );
      // Created newest first: the order of expiry, not of creation, decides.
      for (const c of [...expired].reverse()) await store().create(c);
      expect(await store().takeExpired(NOW, 2)).toEqual(expired.slice(0, 2));
      expect(await store().takeExpired(NOW, 2)).toEqual(expired.slice(2, 4));
      expect(await store().takeExpired(NOW, 2)).toEqual(expired.slice(4));
      expect(await store().takeExpired(NOW, 2)).toEqual([]);
    });

    it('refuses with RangeError a limit that is not a whole number from 1', async () => {
      const { confirmation } = confirmationOf(subjectOf('a'), { createdAgoMs: 3 * DAY_48H });
      await store().create(confirmation);
      for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store().takeExpired(NOW, limit)).rejects.toBeInstanceOf(RangeError);
      }
      expect(await store().takeExpired(NOW, 1)).toEqual([confirmation]);
    });

    it('hands each expired confirmation to exactly one of several concurrent callers', async () => {
      for (let round = 0; round < 3; round++) {
        const expired = Array.from(
          { length: 12 },
          (_, i) =>
            confirmationOf(subjectOf(`r${round}-${i}`), { createdAgoMs: 3 * DAY_48H }).confirmation,
        );
        for (const c of expired) await store().create(c);
        const results = await Promise.all(
          Array.from({ length: 4 }, (_, i) => store().takeExpired(NOW, i % 2 === 0 ? 5 : 500)),
        );
        const all = results.flat();
        expect(new Set(all.map((c) => c.tokenHash)).size).toBe(all.length);
        expect(byHash(all)).toEqual(byHash(expired));
        expect(await store().takeExpired(NOW)).toEqual([]);
      }
    });

    it('lets a consume and a takeExpired racing for one token never both get it', async () => {
      // Live for the consumer's clock, expired for the clean-up's: one of them wins, never both.
      for (let round = 0; round < 5; round++) {
        const { confirmation } = confirmationOf(subjectOf(`race-${round}`), {
          createdAgoMs: DAY_48H,
        });
        await store().create(confirmation);
        const [consumed, taken] = await Promise.all([
          store().consume(confirmation.tokenHash, at(-HOUR)),
          store().takeExpired(NOW),
        ]);
        const winners = [...(consumed ? [consumed] : []), ...taken];
        expect(winners).toEqual([confirmation]);
      }
    });

    it('deletes every pending confirmation of one person for erasure, and no one else', async () => {
      const jane = subjectOf('jane');
      const janes = [
        confirmationOf(jane, { purposeId: 'newsletter' }).confirmation,
        confirmationOf(jane, { purposeId: 'offers', createdAgoMs: 3 * DAY_48H }).confirmation,
      ];
      const others = [
        confirmationOf(subjectOf('jane', 'msteams')).confirmation,
        confirmationOf(subjectOf('jane2')).confirmation,
        confirmationOf(subjectOf('Jane')).confirmation,
      ];
      for (const c of [...janes, ...others]) await store().create(c);
      expect(await store().deleteForSubject(jane)).toBe(2);
      expect(await store().deleteForSubject(jane)).toBe(0);
      expect(await store().consume(janes[0]!.tokenHash, NOW)).toBeUndefined();
      for (const c of others) expect(await store().consume(c.tokenHash, NOW)).toEqual(c);
    });

    it('revokes only the purposes named, when purposes are given (a withdrawal)', async () => {
      const jane = subjectOf('jane');
      const newsletter = confirmationOf(jane, { purposeId: 'newsletter' }).confirmation;
      const offers = confirmationOf(jane, { purposeId: 'personalised-offers' }).confirmation;
      const other = confirmationOf(subjectOf('john'), { purposeId: 'newsletter' }).confirmation;
      for (const c of [newsletter, offers, other]) await store().create(c);
      expect(await store().deleteForSubject(jane, ['newsletter', 'unknown-purpose'])).toBe(1);
      expect(await store().deleteForSubject(jane, [])).toBe(0);
      expect(await store().consume(newsletter.tokenHash, NOW)).toBeUndefined();
      expect(await store().consume(offers.tokenHash, NOW)).toEqual(offers);
      expect(await store().consume(other.tokenHash, NOW)).toEqual(other);
    });

    it('keeps user ids with special characters exact, for consume and erasure', async () => {
      const created = AWKWARD_USER_IDS.map(
        (userId) => confirmationOf(subjectOf(userId, 'msteams')).confirmation,
      );
      for (const c of created) await store().create(c);
      const [first, ...rest] = created;
      expect(await store().consume(first!.tokenHash, NOW)).toEqual(first);
      for (const c of rest) expect(await store().deleteForSubject(c.subject)).toBe(1);
      expect(await store().takeExpired(at(100 * DAY_48H))).toEqual([]);
    });

    it('refuses with RangeError a token hash already pending, and keeps the first', async () => {
      const { confirmation } = confirmationOf(subjectOf('alice'));
      await store().create(confirmation);
      const again = { ...confirmation, subject: subjectOf('mallory'), email: 'm@example.com' };
      await expect(store().create(again)).rejects.toBeInstanceOf(RangeError);
      expect(await store().consume(confirmation.tokenHash, NOW)).toEqual(confirmation);
    });

    it('refuses with RangeError a raw token or malformed dates, storing nothing', async () => {
      const { token, confirmation } = confirmationOf(subjectOf('alice'));
      await expect(store().create({ ...confirmation, tokenHash: token })).rejects.toBeInstanceOf(
        RangeError,
      );
      expect(await store().consume(token, NOW)).toBeUndefined();
      await expect(
        store().create({ ...confirmation, expiresAt: '2026-11-04T09:30:00Z' }),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(
        store().create({ ...confirmation, expiresAt: confirmation.createdAt }),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store().consume(confirmation.tokenHash, NOW)).toBeUndefined();
    });
  });
}
