import { MongoClient, type Db } from 'mongodb';

/**
 * The database to use: MONGODB_DB if given, else the one the URI names in its path, else
 * "consent_bot" (the driver's own default, "test", would be a surprising place for proof).
 */
export function databaseName(uri: string, explicit?: string): string {
  if (explicit) return explicit;
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : 'consent_bot';
}

export async function connectMongo(
  uri: string,
  dbName?: string,
): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(uri, {
    // Fail a request in seconds, not the driver's default 30 s, when the server is away.
    serverSelectionTimeoutMS: 5000,
    appName: 'consent-bot',
  });
  await client.connect();
  return { client, db: client.db(databaseName(uri, dbName)) };
}
