import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { MongoClient } from 'mongodb';
import { openMongoStores, type Stores } from '../storage/stores.js';

/** A database of its own on the run's MongoDB-wire server, so test files run in parallel. */
export function freshDatabaseName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The real Mongo stores on a fresh database, dropped when closed. */
export async function openTestMongoStores(prefix = 'contract'): Promise<Stores> {
  const uri = inject('mongoUri');
  const name = freshDatabaseName(prefix);
  const stores = await openMongoStores(uri, name);
  return {
    ...stores,
    async close() {
      await stores.close();
      const client = new MongoClient(uri);
      try {
        await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}
