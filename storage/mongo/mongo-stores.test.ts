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
