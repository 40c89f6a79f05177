import { describeAccessLogContract } from '../../test/access-log-contract.js';
import {
  describeBotStateContract,
  describeConsentLedgerContract,
  describeLedgerSearchContract,
} from '../../test/storage-contract.js';
import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { verifyChain } from '../../consent/chain.js';
import { openTestMongoStores } from '../../test/mongo-database.js';
import { openMongoStores } from '../stores.js';
import { AT, decisionOf, subjectOf } from '../../test/storage-contract.js';

describeConsentLedgerContract('mongo', () => openTestMongoStores());
describeLedgerSearchContract('mongo', () => openTestMongoStores());
describeAccessLogContract('mongo', () => openTestMongoStores());
describeBotStateContract('mongo', () => openTestMongoStores());

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
