import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { verifyChain } from '../../consent/chain.js';
import { openTestMongoStores } from '../../test/mongo-database.js';
import { ETagConflictError } from '../errors.js';
import { openMongoStores } from '../stores.js';
import { AT, decisionOf, subjectOf } from '../../test/storage-contract.js';

describe('mongo ledger under tampering', () => {
  it('shows an event changed directly in the database: the hash chain breaks there', async () => {
    const stores = await openTestMongoStores('tamper');
    try {
      const alice = subjectOf('alice');
      for (const decision of ['given', 'given', 'withdrawn'] as const) {
        await stores.ledger.append([decisionOf(alice, { decision })], AT);
      }
      // Someone with database access turns the withdrawal into a consent.
      const client = new MongoClient(inject('mongoUri'));
      try {
        const [third] = (await stores.ledger.history(alice)).slice(2);
        const db = client.db(stores.databaseName);
        await db
          .collection('consent_events')
          .updateOne({ 'event.id': third?.id }, { $set: { 'event.decision': 'given' } });
      } finally {
        await client.close();
      }
      const history = await stores.ledger.history(alice);
      expect(history.at(-1)?.decision).toBe('given');
      expect(verifyChain(history)).toEqual([{ kind: 'altered', seq: 3, eventId: history[2]?.id }]);
    } finally {
      await stores.close();
    }
  });
});

describe('mongo bot state versions', () => {
  it('reads and continues items stored before deletes left a tombstone, and never restarts the eTag', async () => {
    const stores = await openTestMongoStores('botstate');
    const client = new MongoClient(inject('mongoUri'));
    try {
      const versions = client.db(stores.databaseName).collection('bot_state');
      // As the previous version stored it: the newest version wins, no `deleted` field.
      await versions.insertMany([
        {
          _id: 'webchat/conversations/c1/consent#2',
          key: 'webchat/conversations/c1/consent',
          version: 2,
          body: '{"step":"old"}',
        },
        {
          _id: 'webchat/conversations/c1/consent#3',
          key: 'webchat/conversations/c1/consent',
          version: 3,
          body: '{"step":"asking"}',
        },
      ] as never[]);
      const key = 'webchat/conversations/c1/consent';
      expect(await stores.botState.read([key])).toEqual({ [key]: { step: 'asking', eTag: '3' } });
      await stores.botState.write({ [key]: { step: 'done', eTag: '3' } });
      expect(await stores.botState.read([key])).toEqual({ [key]: { step: 'done', eTag: '4' } });

      await stores.botState.delete([key]);
      // What was stored is gone; only the counter is left, without a body.
      expect(await versions.find({ key }).toArray()).toEqual([
        { _id: `${key}#5`, key, version: 5, deleted: true },
      ]);
      expect(await stores.botState.read([key])).toEqual({});
      await stores.botState.delete([key]);
      expect(await versions.countDocuments({ key })).toBe(1);

      await stores.botState.write({ [key]: { step: 'again' } });
      expect(await stores.botState.read([key])).toEqual({ [key]: { step: 'again', eTag: '6' } });
      for (const stale of ['3', '4', '5']) {
        await expect(
          stores.botState.write({ [key]: { step: 'stale', eTag: stale } }),
        ).rejects.toBeInstanceOf(ETagConflictError);
      }
      expect(await versions.countDocuments({ key })).toBe(1);
    } finally {
      await client.close();
      await stores.close();
    }
  });
});

describe('mongo compliance-review indexes', () => {
  it('creates the ledger search and access log indexes, idempotently', async () => {
    const stores = await openTestMongoStores('indexes');
    const again = await openMongoStores(inject('mongoUri'), stores.databaseName);
    const client = new MongoClient(inject('mongoUri'));
    try {
      const db = client.db(stores.databaseName);
      const names = async (collection: string) =>
        (await db.collection(collection).indexes()).map((i) => i.name).sort();
      expect(await names('consent_events')).toEqual(
        expect.arrayContaining([
          'consent_events_time',
          'consent_events_by_channelId',
          'consent_events_by_purposeId',
          'consent_events_by_decision',
          'consent_events_by_catalogueVersion',
          'consent_events_by_conversationId',
          'consent_events_counts',
        ]),
      );
      expect(await names('access_log')).toEqual([
        '_id_',
        'access_log_principal',
        'access_log_time',
      ]);
    } finally {
      await client.close();
      await again.close();
      await stores.close();
    }
  });

  it('keeps the access record as text, so detail keys never become field names', async () => {
    const stores = await openTestMongoStores('access');
    const client = new MongoClient(inject('mongoUri'));
    try {
      await stores.accessLog.record({
        at: AT.toISOString(),
        principal: 'token:compliance:ab12',
        role: 'compliance',
        action: 'ledger.search',
        target: '*',
        detail: { 'a.b': 1, $where: 'x' },
      });
      const doc = await client.db(stores.databaseName).collection('access_log').findOne({});
      expect(Object.keys(doc ?? {}).sort()).toEqual(['_id', 'at', 'principal', 'record']);
      expect(typeof doc?.record).toBe('string');
    } finally {
      await client.close();
      await stores.close();
    }
  });
});
