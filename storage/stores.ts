import type { Storage } from 'botbuilder';
import type { PendingConfirmations } from '../consent/confirmations.js';
import type { ConsentLedger, NoticeArchive } from '../consent/ledger.js';
import type { SuppressionList } from '../consent/suppression.js';
import { MemoryBotStorage } from './memory/memory-bot-storage.js';
import { MemoryConsentStore } from './memory/memory-consent-store.js';
import { MemoryPendingConfirmations } from './memory/memory-pending-confirmations.js';
import { MemorySuppressionList } from './memory/memory-suppression-list.js';
import { MemoryTranscriptStore } from './memory/memory-transcript-store.js';
import { MongoBotStorage } from './mongo/mongo-bot-storage.js';
import { MongoConsentStore } from './mongo/mongo-consent-store.js';
import { connectMongo } from './mongo/mongo-database.js';
import { MongoPendingConfirmations } from './mongo/mongo-pending-confirmations.js';
import { MongoSuppressionList } from './mongo/mongo-suppression-list.js';
import { MongoTranscriptStore } from './mongo/mongo-transcript-store.js';
import { SqliteBotStorage } from './sqlite/sqlite-bot-storage.js';
import { SqliteConsentStore } from './sqlite/sqlite-consent-store.js';
import { openSqliteDatabase } from './sqlite/sqlite-database.js';
import { SqlitePendingConfirmations } from './sqlite/sqlite-pending-confirmations.js';
import { SqliteSuppressionList } from './sqlite/sqlite-suppression-list.js';
import { SqliteTranscriptStore } from './sqlite/sqlite-transcript-store.js';
import type { TranscriptStoreWithRetention } from './transcript-rules.js';

/** Every store the bot needs, from one backend. */
export interface Stores {
  readonly ledger: ConsentLedger;
  readonly notices: NoticeArchive;
  /** Conversation state: disposable, separate from the ledger (architecture habit 4). */
  readonly botState: Storage;
  /** Every activity in and out, redacted: supporting evidence, expired by the retention job. */
  readonly transcripts: TranscriptStoreWithRetention;
  /** Keyed hashes of people never to contact again (erasure, opt-out): product rule 8. */
  readonly suppression: SuppressionList;
  /** Double opt-in tokens: stored hashed, single use, expiring. */
  readonly confirmations: PendingConfirmations;
  close(): Promise<void>;
}

export function openMemoryStores(): Stores {
  const consent = new MemoryConsentStore();
  return {
    ledger: consent,
    notices: consent,
    botState: new MemoryBotStorage(),
    transcripts: new MemoryTranscriptStore(),
    suppression: new MemorySuppressionList(),
    confirmations: new MemoryPendingConfirmations(),
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
    transcripts: new SqliteTranscriptStore(db),
    suppression: new SqliteSuppressionList(db),
    confirmations: new SqlitePendingConfirmations(db),
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
    const botState = new MongoBotStorage(db);
    const transcripts = new MongoTranscriptStore(db);
    const suppression = new MongoSuppressionList(db);
    const confirmations = new MongoPendingConfirmations(db);
    for (const store of [consent, botState, transcripts, suppression, confirmations]) {
      await store.ensureIndexes();
    }
    return {
      ledger: consent,
      notices: consent,
      botState,
      transcripts,
      suppression,
      confirmations,
      close: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}
