import { MongoClient } from 'mongodb';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useFileDatabase } from '../../test/mongo-database.js';
import { freePort } from '../../test/mongo-target.js';
import { MongoReadiness } from './mongo-readiness.js';

/** The readiness probe on the run's MongoDB-wire server (FerretDB v1 here). */
const database = useFileDatabase('readiness');

describe('mongo: the readiness probe', () => {
  it('writes one probe document, never the ledger, and reads it back', async () => {
    const db = await database.fresh();
    const probe = new MongoReadiness(db);
    await expect(probe.check()).resolves.toBeUndefined();
    await expect(probe.check()).resolves.toBeUndefined();
    expect(await db.collection('readiness_probe').countDocuments()).toBe(1);
    expect(await db.collection('consent_events').countDocuments()).toBe(0);
  });

  it('fails with STORE_UNAVAILABLE when no server answers', async () => {
    const away = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/`, {
      serverSelectionTimeoutMS: 300,
      connectTimeoutMS: 300,
    });
    onTestFinished(() => away.close());
    const probe = new MongoReadiness(away.db('nowhere'));
    await expect(probe.check()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
