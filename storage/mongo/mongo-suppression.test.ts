import { MongoClient, type Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { pendingConfirmationOf } from '../../consent/confirmations.js';
import { suppressionEntriesFor } from '../../consent/suppression.js';
import { useFileDatabase } from '../../test/mongo-database.js';
import { freePort } from '../../test/mongo-target.js';
import { MongoPendingConfirmations } from './mongo-pending-confirmations.js';
import { MongoSuppressionList } from './mongo-suppression-list.js';

/**
 * What only the MongoDB suppression list and pending confirmations has (documents, indexes, FerretDB's behaviour), on the run's
 * MongoDB-wire server (test/global-setup.ts); the contract runs in test/contracts.test.ts. One
 * database for this file, emptied before each test, dropped after.
 */
const database = useFileDatabase('suppression');
const uri = database.uri;

/** The file's database, emptied: every test starts from nothing. */
async function freshDb(): Promise<Db> {
  const db = await database.fresh();
  return db;
}

describe('mongo: suppression and confirmations', () => {
  const AT = new Date('2026-11-02T09:30:00.000Z');
  const SECRET = 'mongo-suppression-test-secret-01234';
  const subject = { channelId: 'webchat', userId: 'jane' };
  const fields = {
    subject,
    purposeId: 'newsletter',
    email: 'jane@example.com',
    locale: 'en' as const,
  };

  it('creates its indexes idempotently', async () => {
    const fresh = await freshDb();
    const suppression = new MongoSuppressionList(fresh);
    const confirmations = new MongoPendingConfirmations(fresh);
    for (let i = 0; i < 2; i++) {
      await suppression.ensureIndexes();
      await confirmations.ensureIndexes();
    }
    const keys = (await fresh.collection('pending_confirmations').indexes()).map((i) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining([{ _id: 1 }, { expiresAt: 1 }, { channelId: 1, userId: 1 }]),
    );
    const suppressionKeys = (await fresh.collection('suppression').indexes()).map((i) => i.key);
    expect(suppressionKeys).toEqual(expect.arrayContaining([{ _id: 1 }, { addedAt: 1 }]));
  });

  it('stores the token hash only, and the subject as two plain string fields', async () => {
    const fresh = await freshDb();
    const confirmations = new MongoPendingConfirmations(fresh);
    await confirmations.ensureIndexes();
    const { token, confirmation } = pendingConfirmationOf(
      { ...fields, subject: { channelId: 'msteams', userId: '$user.with.dots' } },
      AT,
    );
    await confirmations.create(confirmation);
    const docs = await fresh.collection('pending_confirmations').find().toArray();
    expect(docs).toEqual([
      {
        _id: confirmation.tokenHash,
        channelId: 'msteams',
        userId: '$user.with.dots',
        purposeId: 'newsletter',
        email: 'jane@example.com',
        locale: 'en',
        createdAt: confirmation.createdAt,
        expiresAt: confirmation.expiresAt,
      },
    ]);
    expect(JSON.stringify(docs)).not.toContain(token);
  });

  it('lets exactly one of two servers consume a token they race for', async () => {
    const fresh = await freshDb();
    const second = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await second.connect();
    try {
      const one = new MongoPendingConfirmations(fresh);
      const two = new MongoPendingConfirmations(second.db(fresh.databaseName));
      await one.ensureIndexes();
      const created = Array.from(
        { length: 5 },
        () => pendingConfirmationOf(fields, AT).confirmation,
      );
      for (const c of created) await one.create(c);
      for (const c of created) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).consume(c.tokenHash, AT)),
        );
        expect(results.filter((r) => r !== undefined)).toEqual([c]);
      }
    } finally {
      await second.close();
    }
  });

  it('hands each expired confirmation to exactly one of two servers taking them at once', async () => {
    const fresh = await freshDb();
    const second = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await second.connect();
    try {
      const one = new MongoPendingConfirmations(fresh);
      const two = new MongoPendingConfirmations(second.db(fresh.databaseName));
      await one.ensureIndexes();
      const created = Array.from(
        { length: 20 },
        () => pendingConfirmationOf(fields, AT, 60_000).confirmation,
      );
      for (const c of created) await one.create(c);
      const later = new Date(AT.getTime() + 120_000);
      const results = await Promise.all([
        one.takeExpired(later),
        two.takeExpired(later),
        one.takeExpired(later, 7),
        two.takeExpired(later, 3),
      ]);
      const all = results.flat().map((c) => c.tokenHash);
      expect(new Set(all).size).toBe(all.length);
      expect(all.sort()).toEqual(created.map((c) => c.tokenHash).sort());
      expect(await fresh.collection('pending_confirmations').countDocuments()).toBe(0);
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
      const suppression = new MongoSuppressionList(away.db('unreachable'));
      const confirmations = new MongoPendingConfirmations(away.db('unreachable'));
      const unavailable = { code: 'STORE_UNAVAILABLE' };
      const { confirmation } = pendingConfirmationOf(fields, AT);
      await expect(
        suppression.add(suppressionEntriesFor(SECRET, { subject }, 'erasure', AT)),
      ).rejects.toMatchObject(unavailable);
      await expect(suppression.anyOf(['a'.repeat(64)])).rejects.toMatchObject(unavailable);
      await expect(suppression.ensureIndexes()).rejects.toMatchObject(unavailable);
      await expect(confirmations.create(confirmation)).rejects.toMatchObject(unavailable);
      await expect(confirmations.consume(confirmation.tokenHash, AT)).rejects.toMatchObject(
        unavailable,
      );
      await expect(confirmations.takeExpired(AT)).rejects.toMatchObject(unavailable);
      await expect(confirmations.deleteForSubject(subject)).rejects.toMatchObject(unavailable);
      await expect(confirmations.ensureIndexes()).rejects.toMatchObject(unavailable);
    } finally {
      await away.close();
    }
  });
});
