import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useFileDatabase } from '../../test/mongo-database.js';
import { freePort } from '../../test/mongo-target.js';
import { MongoContactAddresses } from './mongo-contact-addresses.js';

/**
 * What only the MongoDB contact addresses has (documents, indexes, FerretDB's behaviour), on the run's
 * MongoDB-wire server (test/global-setup.ts); the contract runs in test/contracts.test.ts. One
 * database for this file, emptied before each test, dropped after.
 */
const database = useFileDatabase('addresses');
const uri = database.uri;

async function freshStore(): Promise<MongoContactAddresses> {
  await database.fresh();
  const addresses = new MongoContactAddresses(database.db());
  await addresses.ensureIndexes();
  return addresses;
}

describe('mongo contact addresses', () => {
  const address = { email: 'jane@example.com', verifiedAt: '2026-11-02T09:30:00.000Z' };

  it('keeps the subject as plain string fields, ids with "." and "$" as values', async () => {
    const addresses = await freshStore();
    await addresses.ensureIndexes();
    const subject = { channelId: 'ms.teams', userId: '$user.with.dots' };
    await addresses.set(subject, address);
    const docs = await database.db().collection('contact_addresses').find().toArray();
    expect(docs).toEqual([
      {
        _id: JSON.stringify(['ms.teams', '$user.with.dots']),
        channelId: 'ms.teams',
        userId: '$user.with.dots',
        email: 'jane@example.com',
        verifiedAt: address.verifiedAt,
      },
    ]);
  });

  it('lets two servers set the first address of one subject at once, keeping one whole', async () => {
    const one = await freshStore();
    const second = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await second.connect();
    try {
      const two = new MongoContactAddresses(second.db(database.db().databaseName));
      for (let round = 0; round < 5; round++) {
        const subject = { channelId: 'webchat', userId: `racer-${round}` };
        const a = { email: `a${round}@example.com`, verifiedAt: address.verifiedAt };
        const b = { email: `b${round}@example.com`, verifiedAt: address.verifiedAt };
        await Promise.all([one.set(subject, a), two.set(subject, b), one.set(subject, b)]);
        expect([a, b]).toContainEqual(await two.get(subject));
      }
      expect(await database.db().collection('contact_addresses').countDocuments()).toBe(5);
    } finally {
      await second.close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE when the server cannot be reached', async () => {
    const away = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/`, {
      serverSelectionTimeoutMS: 300,
      connectTimeoutMS: 300,
    });
    try {
      const addresses = new MongoContactAddresses(away.db('unreachable'));
      const subject = { channelId: 'webchat', userId: 'jane' };
      const unavailable = { code: 'STORE_UNAVAILABLE' };
      await expect(addresses.set(subject, address)).rejects.toMatchObject(unavailable);
      await expect(addresses.get(subject)).rejects.toMatchObject(unavailable);
      await expect(addresses.delete(subject)).rejects.toMatchObject(unavailable);
      // A caller's mistake stays a caller's mistake, even with the server away.
      await expect(addresses.set(subject, { ...address, email: 'nope' })).rejects.toThrow(
        RangeError,
      );
    } finally {
      await away.close();
    }
  });
});
