import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContactAddresses, VerifiedAddress } from '../consent/contact-addresses.js';
import type { Subject } from '../consent/subject.js';
import { AWKWARD_USER_IDS } from './suppression-contract.js';

/**
 * The verified contact addresses contract every backend runs unchanged, with no branch on the
 * backend's name. `open` gives a fresh, empty store.
 */
export interface OpenedContactAddresses {
  readonly addresses: ContactAddresses;
  close(): Promise<void>;
}
export type OpenContactAddresses = () => Promise<OpenedContactAddresses> | OpenedContactAddresses;

const AT = '2026-11-02T09:30:00.000Z';
const LATER = '2026-12-24T18:00:00.000Z';

const subjectOf = (userId: string, channelId = 'webchat'): Subject => ({ channelId, userId });
const addressOf = (email: string, verifiedAt = AT): VerifiedAddress => ({ email, verifiedAt });

export function describeContactAddressesContract(name: string, open: OpenContactAddresses): void {
  describe(`ContactAddresses contract: ${name}`, () => {
    let opened: OpenedContactAddresses | undefined;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const store = (): ContactAddresses => {
      if (!opened) throw new Error('the store is opened in beforeEach');
      return opened.addresses;
    };

    it('knows no address at first', async () => {
      expect(await store().get(subjectOf('jane'))).toBeUndefined();
    });

    it('reads back what was set, JSON-equal, and nothing more', async () => {
      const address = addressOf('Jane.Doe+news@Example.com');
      await store().set(subjectOf('jane'), address);
      const read = await store().get(subjectOf('jane'));
      expect(read).toEqual(address);
      expect(JSON.parse(JSON.stringify(read))).toEqual(address);
      expect(Object.keys(read ?? {}).sort()).toEqual(['email', 'verifiedAt']);
    });

    it("does not share the caller's object: changing it later changes nothing stored", async () => {
      const address = { email: 'jane@example.com', verifiedAt: AT };
      await store().set(subjectOf('jane'), address);
      address.email = 'mallory@example.com';
      expect(await store().get(subjectOf('jane'))).toEqual(addressOf('jane@example.com'));
    });

    it('replaces the address: one verified address per subject, the last one set', async () => {
      await store().set(subjectOf('jane'), addressOf('old@example.com'));
      await store().set(subjectOf('jane'), addressOf('new@example.com', LATER));
      expect(await store().get(subjectOf('jane'))).toEqual(addressOf('new@example.com', LATER));
    });

    it('keeps one of two addresses set at the same time, whole', async () => {
      const one = addressOf('one@example.com');
      const two = addressOf('two@example.com', LATER);
      await Promise.all([store().set(subjectOf('jane'), one), store().set(subjectOf('jane'), two)]);
      expect([one, two]).toContainEqual(await store().get(subjectOf('jane')));
    });

    it('deletes: true when there was an address, false after, and get finds none', async () => {
      await store().set(subjectOf('jane'), addressOf('jane@example.com'));
      await store().set(subjectOf('bob'), addressOf('bob@example.com'));
      expect(await store().delete(subjectOf('jane'))).toBe(true);
      expect(await store().get(subjectOf('jane'))).toBeUndefined();
      expect(await store().delete(subjectOf('jane'))).toBe(false);
      expect(await store().delete(subjectOf('never-was'))).toBe(false);
      expect(await store().get(subjectOf('bob'))).toEqual(addressOf('bob@example.com'));
    });

    it('can set an address again after a delete', async () => {
      await store().set(subjectOf('jane'), addressOf('jane@example.com'));
      await store().delete(subjectOf('jane'));
      await store().set(subjectOf('jane'), addressOf('jane@example.org', LATER));
      expect(await store().get(subjectOf('jane'))).toEqual(addressOf('jane@example.org', LATER));
    });

    it('keeps subjects apart: same user id on another channel, ids that prefix others', async () => {
      const subjects = [
        subjectOf('user-1'),
        subjectOf('user-10'),
        subjectOf('user'),
        subjectOf('user-1', 'msteams'),
        // Would collide under a naive "channel|user" key.
        subjectOf('b|c', 'a'),
        subjectOf('c', 'a|b'),
      ];
      for (const [i, subject] of subjects.entries()) {
        await store().set(subject, addressOf(`person-${i}@example.com`));
      }
      for (const [i, subject] of subjects.entries()) {
        expect(await store().get(subject)).toEqual(addressOf(`person-${i}@example.com`));
      }
      expect(await store().delete(subjectOf('user-1'))).toBe(true);
      for (const [i, subject] of subjects.entries()) {
        expect(await store().get(subject)).toEqual(
          i === 0 ? undefined : addressOf(`person-${i}@example.com`),
        );
      }
    });

    it('stores, finds and deletes under ids with special characters, exactly', async () => {
      for (const [i, userId] of AWKWARD_USER_IDS.entries()) {
        await store().set(subjectOf(userId, 'ms.teams$'), addressOf(`p${i}@example.com`));
      }
      for (const [i, userId] of AWKWARD_USER_IDS.entries()) {
        expect(await store().get(subjectOf(userId, 'ms.teams$'))).toEqual(
          addressOf(`p${i}@example.com`),
        );
        expect(await store().get(subjectOf(userId.toUpperCase(), 'ms.teams$'))).toBeUndefined();
        expect(await store().delete(subjectOf(userId, 'ms.teams$'))).toBe(true);
        expect(await store().get(subjectOf(userId, 'ms.teams$'))).toBeUndefined();
      }
    });

    it('keeps an address with accents and odd characters as given', async () => {
      const address = addressOf("o'brien.\u00e9lo\u00efse+tag@sous-domaine.example.fr");
      await store().set(subjectOf('eloise'), address);
      expect(await store().get(subjectOf('eloise'))).toEqual(address);
    });

    it.each([
      ['no @', addressOf('jane.example.com')],
      ['nothing before @', addressOf('@example.com')],
      ['nothing after @', addressOf('jane@')],
      ['empty', addressOf('')],
      ['spaces around', addressOf(' jane@example.com ')],
      ['too long', addressOf(`${'a'.repeat(250)}@example.com`)],
      ['a date that is not ISO', addressOf('jane@example.com', 'yesterday')],
      ['a date not as toISOString writes it', addressOf('jane@example.com', '2026-11-02')],
    ])('rejects with RangeError an address with %s, storing nothing', async (_, address) => {
      let call: Promise<void> | undefined;
      expect(() => {
        call = store().set(subjectOf('jane'), address);
      }).not.toThrow();
      await expect(call).rejects.toBeInstanceOf(RangeError);
      expect(await store().get(subjectOf('jane'))).toBeUndefined();
    });

    it('rejects with RangeError a subject with an empty id', async () => {
      for (const subject of [subjectOf(''), subjectOf('jane', '')]) {
        await expect(store().set(subject, addressOf('jane@example.com'))).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(store().get(subject)).rejects.toBeInstanceOf(RangeError);
        await expect(store().delete(subject)).rejects.toBeInstanceOf(RangeError);
      }
    });
  });
}
