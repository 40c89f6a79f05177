import { MongoClient, type Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useFileDatabase } from '../../test/mongo-database.js';
import { freePort } from '../../test/mongo-target.js';
import { MongoOptOutReasons } from './mongo-opt-out-reasons.js';

/**
 * What only the MongoDB opt-out reasons has (documents, indexes, FerretDB's behaviour), on the run's
 * MongoDB-wire server (test/global-setup.ts); the contract runs in test/contracts.test.ts. One
 * database for this file, emptied before each test, dropped after.
 */
const database = useFileDatabase('reasons');
const uri = database.uri;

/** The file's database, emptied: every test starts from nothing. */
async function freshDb(): Promise<Db> {
  const db = await database.fresh();
  return db;
}

describe('mongo: opt-out reasons', () => {
  const AT = new Date('2026-11-02T09:30:12.345Z');

  it('creates its indexes idempotently', async () => {
    const fresh = await freshDb();
    const reasons = new MongoOptOutReasons(fresh);
    await reasons.ensureIndexes();
    await reasons.ensureIndexes();
    const keys = (await fresh.collection('opt_out_reasons').indexes()).map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining([{ _id: 1 }, { day: 1, reason: 1 }]));
  });

  it('stores one document per answer with the day and the reason only, and no time in its _id', async () => {
    const fresh = await freshDb();
    const reasons = new MongoOptOutReasons(fresh);
    await reasons.ensureIndexes();
    await reasons.record('privacy-worries', AT);
    await reasons.record('privacy-worries', new Date(AT.getTime() + 3_600_000));
    const docs = await fresh.collection('opt_out_reasons').find().toArray();
    expect(docs).toHaveLength(2);
    for (const doc of docs) {
      expect(Object.keys(doc).sort()).toEqual(['_id', 'day', 'reason']);
      expect(doc).toMatchObject({ day: '2026-11-02', reason: 'privacy-worries' });
      // The ObjectId's time part is midnight of the day, not the second of the answer.
      expect((doc._id as { getTimestamp(): Date }).getTimestamp().toISOString()).toBe(
        '2026-11-02T00:00:00.000Z',
      );
    }
    expect(String(docs[0]?._id)).not.toBe(String(docs[1]?._id));
  });

  it('counts every answer of two servers writing at once', async () => {
    const fresh = await freshDb();
    const second = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await second.connect();
    try {
      const one = new MongoOptOutReasons(fresh);
      const two = new MongoOptOutReasons(second.db(fresh.databaseName));
      await one.ensureIndexes();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? one : two).record('other', AT)),
      );
      expect(await two.summary(AT, AT)).toEqual([
        { day: '2026-11-02', reason: 'other', count: 30 },
      ]);
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
      const reasons = new MongoOptOutReasons(away.db('unreachable'));
      const unavailable = { code: 'STORE_UNAVAILABLE' };
      await expect(reasons.record('other', AT)).rejects.toMatchObject(unavailable);
      await expect(reasons.summary(AT, AT)).rejects.toMatchObject(unavailable);
      await expect(reasons.ensureIndexes()).rejects.toMatchObject(unavailable);
    } finally {
      await away.close();
    }
  });
});
