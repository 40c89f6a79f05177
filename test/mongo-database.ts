import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { openMongoStores, type StoreOptions, type Stores } from '../storage/stores.js';

/** A database of its own on the run's MongoDB-wire server, so test files run in parallel. */
export function freshDatabaseName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The real Mongo stores on a fresh database, dropped when closed. */
export async function openTestMongoStores(
  prefix = 'contract',
  options: StoreOptions = {},
): Promise<Stores & { readonly databaseName: string }> {
  const uri = inject('mongoUri');
  const name = freshDatabaseName(prefix);
  const stores = await openMongoStores(uri, name, options);
  return {
    ...stores,
    databaseName: name,
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

/**
 * One database of the test file's own on the run's server: opened before the file's tests,
 * dropped after. `fresh()` empties it for a test that starts from nothing.
 */
export function useFileDatabase(prefix: string): {
  readonly uri: string;
  db(): Db;
  fresh(): Promise<Db>;
} {
  const uri = inject('mongoUri');
  let client: MongoClient | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(freshDatabaseName(prefix));
  });
  afterAll(async () => {
    try {
      await db?.dropDatabase();
    } finally {
      await client?.close();
    }
  });
  const opened = (): Db => {
    if (!db) throw new Error('the database is opened in beforeAll');
    return db;
  };
  return {
    uri,
    db: opened,
    async fresh() {
      await opened().dropDatabase();
      return opened();
    },
  };
}
