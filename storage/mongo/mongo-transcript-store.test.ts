import { MongoClient, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useFileDatabase } from '../../test/mongo-database.js';
import { activityOf } from '../../test/transcript-contract.js';
import { MongoTranscriptStore } from './mongo-transcript-store.js';

/**
 * What only the MongoDB transcript store has (documents, indexes, FerretDB's behaviour), on the run's
 * MongoDB-wire server (test/global-setup.ts); the contract runs in test/contracts.test.ts. One
 * database for this file, emptied before each test, dropped after.
 */
const database = useFileDatabase('transcripts');

async function freshStore(): Promise<MongoTranscriptStore> {
  await database.fresh();
  const store = new MongoTranscriptStore(database.db());
  await store.ensureIndexes();
  return store;
}

describe('mongo transcripts', () => {
  it('creates its indexes idempotently', async () => {
    const store = await freshStore();
    await store.ensureIndexes();
    await store.ensureIndexes();
    const names = (await database.db().collection('transcripts').indexes())
      .map((i) => i.name)
      .sort();
    expect(names).toEqual([
      '_id_',
      'transcripts_age',
      'transcripts_from',
      'transcripts_page',
      'transcripts_recipient',
    ]);
  });

  it('keeps the activity as JSON text, so channelData keys never become field names', async () => {
    const store = await freshStore();
    await store.logActivity(activityOf('msteams', 'c', { channelData: { 'a.b': 1, $x: 2 } }));
    const doc = await database.db().collection('transcripts').findOne({ channelId: 'msteams' });
    expect(Object.keys(doc ?? {}).sort()).toEqual([
      '_id',
      'activity',
      'channelId',
      'conversationId',
      'fromId',
      'recipientId',
      'timestamp',
    ]);
    expect(typeof doc?.activity).toBe('string');
    // Who took part, as plain string fields (FerretDB v1 has no nested arrays): what erasure uses.
    expect(doc?.fromId).toBe('user-1');
    expect(doc?.recipientId).toBe('consent-bot');
    expect(doc?.timestamp).toBeInstanceOf(Date);
  });

  it('fills in the participants of activities logged before they were stored, at start', async () => {
    const store = await freshStore();
    const legacy = activityOf('webchat', 'old', {
      from: { id: 'jane.$doe', name: 'Customer' },
      recipient: { id: 'consent-bot', name: 'Consent bot' },
    });
    const anonymous = activityOf('webchat', 'old', { from: undefined, recipient: undefined });
    // As an earlier version wrote them: no fromId, no recipientId.
    await database
      .db()
      .collection('transcripts')
      .insertMany(
        [legacy, anonymous].map((activity) => ({
          _id: new ObjectId(),
          channelId: 'webchat',
          conversationId: 'old',
          timestamp: activity.timestamp,
          activity: JSON.stringify(activity),
        })),
      );
    expect(await store.activitiesOfUser('webchat', 'jane.$doe')).toEqual([]);
    await store.ensureIndexes();
    expect((await store.activitiesOfUser('webchat', 'jane.$doe')).map((a) => a.id)).toEqual([
      legacy.id,
    ]);
    expect(
      await database
        .db()
        .collection('transcripts')
        .countDocuments({ fromId: { $exists: false } }),
    ).toBe(0);
    expect(await store.deleteForUser('webchat', 'jane.$doe')).toBe(2);
  });

  it('rejects with code STORE_UNAVAILABLE when the server cannot be reached', async () => {
    const away = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    try {
      const store = new MongoTranscriptStore(away.db('nowhere'));
      const unavailable = { code: 'STORE_UNAVAILABLE' };
      await expect(store.logActivity(activityOf('webchat', 'c'))).rejects.toMatchObject(
        unavailable,
      );
      await expect(store.getTranscriptActivities('webchat', 'c')).rejects.toMatchObject(
        unavailable,
      );
      await expect(store.listTranscripts('webchat')).rejects.toMatchObject(unavailable);
      await expect(store.deleteOlderThan(new Date())).rejects.toMatchObject(unavailable);
      await expect(store.activitiesOfUser('webchat', 'u')).rejects.toMatchObject(unavailable);
      await expect(store.deleteForUser('webchat', 'u')).rejects.toMatchObject(unavailable);
      // A caller's mistake stays a caller's mistake, even with the server away.
      await expect(store.getTranscriptActivities('webchat', 'c', 'bad')).rejects.toThrow(
        RangeError,
      );
    } finally {
      await away.close();
    }
  });
});
