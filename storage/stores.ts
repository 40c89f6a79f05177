import type { Storage } from 'botbuilder';
import type { ConsentLedger, NoticeArchive } from '../consent/ledger.js';
import { MemoryBotStorage } from './memory/memory-bot-storage.js';
import { MemoryConsentStore } from './memory/memory-consent-store.js';
import { connectMongo } from './mongo/mongo-database.js';
import { MongoBotStorage } from './mongo/mongo-bot-storage.js';
import { MongoConsentStore } from './mongo/mongo-consent-store.js';
import { SqliteBotStorage } from './sqlite/sqlite-bot-storage.js';
import { SqliteConsentStore } from './sqlite/sqlite-consent-store.js';
import { openSqliteDatabase } from './sqlite/sqlite-database.js';

/** Every store the bot needs, from one backend. */
export interface Stores {
  readonly ledger: ConsentLedger;
  readonly notices: NoticeArchive;
  /** Conversation state: disposable, separate from the ledger (architecture habit 4). */
  readonly botState: Storage;
  close(): Promise<void>;
}

export function openMemoryStores(): Stores {
  const consent = new MemoryConsentStore();
  return {
    ledger: consent,
    notices: consent,
    botState: new MemoryBotStorage(),
    close: () => Promise.resolve(),
  };
}

/** The embedded default: one SQLite file in dataDir, nothing to install. */
export function openEmbeddedStores(dataDir: string): Stores {
  const db = openSqliteDatabase(dataDir);
  const consent = new SqliteConsentStore(db);
  return {
    ledger: consent,
    notices: consent,
    botState: new SqliteBotStorage(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/** Production: MongoDB 6-8 or FerretDB. Collections and indexes are created at start. */
export async function openMongoStores(uri: string, dbName?: string): Promise<Stores> {
  const { client, db } = await connectMongo(uri, dbName);
  try {
    const consent = new MongoConsentStore(db);
    await consent.ensureIndexes();
    const botState = new MongoBotStorage(db);
    await botState.ensureIndexes();
    return {
      ledger: consent,
      notices: consent,
      botState,
      close: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}
