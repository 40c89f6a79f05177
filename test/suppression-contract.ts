import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  suppressionEntriesFor,
  suppressionHash,
  userIdentifier,
  type SuppressionEntry,
  type SuppressionList,
} from '../consent/suppression.js';

/**
 * The suppression list contract every backend runs unchanged, with no branch on the backend's name.
 * `open` gives a fresh, empty list; `Stores` will satisfy this shape once it carries a
 * `suppression` member.
 */
export interface OpenedSuppressionList {
  readonly suppression: SuppressionList;
  close(): Promise<void>;
}
export type OpenSuppressionList = () => Promise<OpenedSuppressionList> | OpenedSuppressionList;

const SECRET = 'contract-suppression-secret-0123456789';
const OTHER_SECRET = 'another-deployment-secret-9876543210';
const AT = new Date('2026-11-02T09:30:00.000Z');
const LATER = new Date('2026-12-24T18:00:00.000Z');

/** Ids a channel may really send: dots, dollars, pipes, slashes, quotes, accents, emoji. */
export const AWKWARD_USER_IDS = [
  'user.with.dots',
  '$leading-dollar',
  'pipe|inside|id',
  '29:1AbC-def/GHI+jkl==',
  'quote"and\\backslash',
  'Éloïse 🙂',
] as const;

function entryOf(
  hash: string,
  overrides: Partial<Omit<SuppressionEntry, 'hash'>> = {},
): SuppressionEntry {
  return { hash, kind: 'email', reason: 'erasure', addedAt: AT.toISOString(), ...overrides };
}

const emailHash = (email: string, secret = SECRET) => suppressionHash(secret, 'email', email);

export function describeSuppressionListContract(name: string, open: OpenSuppressionList): void {
  describe(`SuppressionList contract: ${name}`, () => {
    let opened: OpenedSuppressionList | undefined;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const list = (): SuppressionList => {
      if (!opened) throw new Error('the list is opened in beforeEach');
      return opened.suppression;
    };

    it('lists nothing at first, and answers [] for no hashes', async () => {
      expect(await list().anyOf([emailHash('jane@example.com')])).toEqual([]);
      expect(await list().anyOf([])).toEqual([]);
      await list().add([]);
      expect(await list().anyOf([emailHash('jane@example.com')])).toEqual([]);
    });

    it('returns the listed entries among the hashes asked, each once, JSON-equal', async () => {
      const jane = entryOf(emailHash('jane@example.com'));
      const bob = entryOf(suppressionHash(SECRET, 'user-id', 'webchat|bob'), {
        kind: 'user-id',
        reason: 'opt-out',
        addedAt: LATER.toISOString(),
      });
      await list().add([jane, bob]);
      const unlisted = emailHash('nobody@example.com');
      expect(await list().anyOf([jane.hash, unlisted])).toEqual([jane]);
      const both = await list().anyOf([bob.hash, jane.hash, bob.hash, unlisted]);
      expect(both).toHaveLength(2);
      expect(both).toEqual(expect.arrayContaining([jane, bob]));
      expect(JSON.parse(JSON.stringify(both))).toEqual(both);
    });

    it('is idempotent per hash: a second add keeps the first entry, reason and date', async () => {
      const hash = emailHash('jane@example.com');
      const first = entryOf(hash, { reason: 'opt-out' });
      await list().add([first]);
      await list().add([entryOf(hash, { reason: 'erasure', addedAt: LATER.toISOString() })]);
      expect(await list().anyOf([hash])).toEqual([first]);
    });

    it('keeps the first of a hash repeated in one call, and adds the others of that call', async () => {
      const hash = emailHash('jane@example.com');
      const other = entryOf(emailHash('bob@example.com'));
      const first = entryOf(hash, { reason: 'complaint' });
      await list().add([first, entryOf(hash, { reason: 'erasure' }), other]);
      expect(await list().anyOf([hash])).toEqual([first]);
      expect(await list().anyOf([other.hash])).toEqual([other]);
    });

    it('adds the new entries of a batch that also holds already listed ones', async () => {
      const jane = entryOf(emailHash('jane@example.com'));
      await list().add([jane]);
      const bob = entryOf(emailHash('bob@example.com'));
      const ann = entryOf(emailHash('ann@example.com'));
      await list().add([bob, entryOf(jane.hash, { reason: 'complaint' }), ann]);
      const found = await list().anyOf([jane.hash, bob.hash, ann.hash]);
      expect(found).toHaveLength(3);
      expect(found).toEqual(expect.arrayContaining([jane, bob, ann]));
    });

    it('matches an e-mail address whatever its case, spacing or Unicode form', async () => {
      await list().add([entryOf(emailHash('  Jane.Doe@Example.COM '))]);
      expect(await list().anyOf([emailHash('jane.doe@example.com')])).toHaveLength(1);
      // "é" as one code point, then as "e" + combining acute accent (NFD).
      await list().add([entryOf(emailHash('ren\u00e9@example.fr'))]);
      expect(await list().anyOf([emailHash('RENE\u0301@EXAMPLE.FR')])).toHaveLength(1);
      expect(await list().anyOf([emailHash('rene@example.fr')])).toEqual([]);
    });

    it('never matches across kinds or secrets', async () => {
      const identifier = 'webchat|jane@example.com';
      await list().add([
        entryOf(suppressionHash(SECRET, 'user-id', identifier), { kind: 'user-id' }),
      ]);
      expect(await list().anyOf([suppressionHash(SECRET, 'email', identifier)])).toEqual([]);
      expect(await list().anyOf([suppressionHash(OTHER_SECRET, 'user-id', identifier)])).toEqual(
        [],
      );
      expect(await list().anyOf([suppressionHash(SECRET, 'user-id', identifier)])).toHaveLength(1);
    });

    it('matches user ids exactly, special characters included', async () => {
      const subjects = AWKWARD_USER_IDS.map((userId) => ({ channelId: 'msteams', userId }));
      await list().add(
        subjects.flatMap((subject) => suppressionEntriesFor(SECRET, { subject }, 'erasure', AT)),
      );
      for (const subject of subjects) {
        const hash = suppressionHash(SECRET, 'user-id', userIdentifier(subject));
        expect(await list().anyOf([hash])).toEqual([
          { hash, kind: 'user-id', reason: 'erasure', addedAt: AT.toISOString() },
        ]);
        const sameIdOtherChannel = { channelId: 'webchat', userId: subject.userId };
        const other = suppressionHash(SECRET, 'user-id', userIdentifier(sameIdOtherChannel));
        expect(await list().anyOf([other])).toEqual([]);
      }
      const upperCased = { channelId: 'msteams', userId: 'ÉLOÏSE 🙂' };
      expect(
        await list().anyOf([suppressionHash(SECRET, 'user-id', userIdentifier(upperCased))]),
      ).toEqual([]);
    });

    it('blocks a re-imported person after erasure, by user id or by any of their addresses', async () => {
      const subject = { channelId: 'webchat', userId: 'jane-42' };
      await list().add(
        suppressionEntriesFor(
          SECRET,
          { subject, emails: ['Jane@Example.com', 'j.doe@work.example'] },
          'erasure',
          AT,
        ),
      );
      // A marketing import brings the same person back, spelt differently.
      const reimported = [emailHash('JANE@example.COM'), emailHash('someone@else.example')];
      const hits = await list().anyOf(reimported);
      expect(hits.map((e) => [e.kind, e.reason])).toEqual([['email', 'erasure']]);
      expect(
        await list().anyOf([suppressionHash(SECRET, 'user-id', userIdentifier(subject))]),
      ).toHaveLength(1);
    });

    it('answers for many hashes at once', async () => {
      const entries = Array.from({ length: 300 }, (_, i) =>
        entryOf(emailHash(`p${i}@example.com`)),
      );
      await list().add(entries);
      const asked = [...entries.map((e) => e.hash), emailHash('absent@example.com')];
      const found = await list().anyOf(asked);
      expect(found).toHaveLength(300);
      expect(new Set(found.map((e) => e.hash))).toEqual(new Set(entries.map((e) => e.hash)));
    });

    it('refuses with RangeError a batch holding a raw identifier or a bad entry, adding none of it', async () => {
      const good = entryOf(emailHash('jane@example.com'));
      await expect(list().add([good, entryOf('jane@example.com')])).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(
        list().add([good, entryOf(emailHash('x@example.com'), { addedAt: 'yesterday' })]),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(
        list().add([{ ...good, reason: 'bored' as SuppressionEntry['reason'] }]),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await list().anyOf([good.hash])).toEqual([]);
    });
  });
}
