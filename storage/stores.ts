import type { Storage } from 'botbuilder';
import type { PendingConfirmations } from '../consent/confirmations.js';
import type { ContactAddresses } from '../consent/contact-addresses.js';
import type { AccessLog } from '../consent/access-log.js';
import type { ConsentLedger, LedgerSearch, NoticeArchive } from '../consent/ledger.js';
import type { OptOutReasons } from '../consent/opt-out-reasons.js';
import type { SuppressionList } from '../consent/suppression.js';
import { MemoryAccessLog } from './memory/memory-access-log.js';
import { MemoryBotStorage } from './memory/memory-bot-storage.js';
import { MemoryConsentStore } from './memory/memory-consent-store.js';
import { MemoryContactAddresses } from './memory/memory-contact-addresses.js';
import { MemoryOptOutReasons } from './memory/memory-opt-out-reasons.js';
import { MemoryPendingConfirmations } from './memory/memory-pending-confirmations.js';
import { MemorySuppressionList } from './memory/memory-suppression-list.js';
import { MemoryTranscriptStore } from './memory/memory-transcript-store.js';
import { MongoAccessLog } from './mongo/mongo-access-log.js';
import { MongoBotStorage } from './mongo/mongo-bot-storage.js';
import { MongoConsentStore } from './mongo/mongo-consent-store.js';
import { MongoContactAddresses } from './mongo/mongo-contact-addresses.js';
import { connectMongo } from './mongo/mongo-database.js';
import { MongoOptOutReasons } from './mongo/mongo-opt-out-reasons.js';
import { MongoReadiness } from './mongo/mongo-readiness.js';
import { MongoPendingConfirmations } from './mongo/mongo-pending-confirmations.js';
import { MongoSuppressionList } from './mongo/mongo-suppression-list.js';
import { MongoTranscriptStore } from './mongo/mongo-transcript-store.js';
import { SqliteAccessLog } from './sqlite/sqlite-access-log.js';
import { SqliteBotStorage } from './sqlite/sqlite-bot-storage.js';
import { SqliteConsentStore } from './sqlite/sqlite-consent-store.js';
import { SqliteContactAddresses } from './sqlite/sqlite-contact-addresses.js';
import { openSqliteDatabase, stopWaitingInSqlite } from './sqlite/sqlite-database.js';
import { SqliteOptOutReasons } from './sqlite/sqlite-opt-out-reasons.js';
import { SqliteReadiness } from './sqlite/sqlite-readiness.js';
import { SqlitePendingConfirmations } from './sqlite/sqlite-pending-confirmations.js';
import { SqliteSuppressionList } from './sqlite/sqlite-suppression-list.js';
import { SqliteTranscriptStore } from './sqlite/sqlite-transcript-store.js';
import type { ConsentStoreOptions } from './ledger-rules.js';
import { alwaysReady, type ReadinessProbe } from './readiness.js';
import type { TranscriptSearch, TranscriptStoreWithRetention } from './transcript-rules.js';

/** Every store the bot needs, from one backend. */
export interface Stores {
  /** The consent ledger, and its search for compliance review. */
  readonly ledger: ConsentLedger & LedgerSearch;
  readonly notices: NoticeArchive;
  /** Conversation state: disposable, separate from the ledger (a lost one loses no decision). */
  readonly botState: Storage;
  /** Every activity in and out, redacted: supporting evidence, expired by the retention job. */
  readonly transcripts: TranscriptStoreWithRetention & TranscriptSearch;
  /** Keyed hashes of people never to contact again (GDPR art. 17, 21(3)). */
  readonly suppression: SuppressionList;
  /** Double opt-in tokens: stored hashed, single use, expiring. */
  readonly confirmations: PendingConfirmations;
  /** Why people left: day and reason only, never who. */
  readonly reasons: OptOutReasons;
  /** E-mail addresses people confirmed: personal data, erased with them. */
  readonly addresses: ContactAddresses;
  /** Who reached personal data through the API, and when: append-only. */
  readonly accessLog: AccessLog;
  /** Can a durable write be made now (GET /readyz)? Writes a probe record, never the ledger. */
  readonly readiness: ReadinessProbe;
  close(): Promise<void>;
}

/**
 * How stores are opened. `seal`: the server and the tools seal every ledger event they append
 * (consent/chain.ts); stores opened without it, in unit tests, write unsealed events.
 */
export type StoreOptions = ConsentStoreOptions;

export function openMemoryStores(options: StoreOptions = {}): Stores {
  const consent = new MemoryConsentStore(options);
  return {
    ledger: consent,
    notices: consent,
    botState: new MemoryBotStorage(),
    transcripts: new MemoryTranscriptStore(),
    suppression: new MemorySuppressionList(),
    confirmations: new MemoryPendingConfirmations(),
    reasons: new MemoryOptOutReasons(),
    addresses: new MemoryContactAddresses(),
    accessLog: new MemoryAccessLog(),
    readiness: alwaysReady,
    close: () => Promise.resolve(),
  };
}

/** The embedded default: one SQLite file in dataDir, nothing to install. */
export function openEmbeddedStores(dataDir: string, options: StoreOptions = {}): Stores {
  const db = openSqliteDatabase(dataDir);
  const consent = new SqliteConsentStore(db, options);
  const stores = {
    ledger: consent,
    notices: consent,
    botState: new SqliteBotStorage(db),
    transcripts: new SqliteTranscriptStore(db),
    suppression: new SqliteSuppressionList(db),
    confirmations: new SqlitePendingConfirmations(db),
    reasons: new SqliteOptOutReasons(db),
    addresses: new SqliteContactAddresses(db),
    accessLog: new SqliteAccessLog(db),
    readiness: new SqliteReadiness(db),
  };
  // The schema exists: from now on no call may wait for a lock on the event loop.
  stopWaitingInSqlite(db);
  return {
    ...stores,
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/** Production: MongoDB 6-8 or FerretDB. Collections and indexes are created at start. */
export async function openMongoStores(
  uri: string,
  dbName?: string,
  options: StoreOptions = {},
): Promise<Stores> {
  const { client, db } = await connectMongo(uri, dbName);
  try {
    const consent = new MongoConsentStore(db, options);
    const botState = new MongoBotStorage(db);
    const transcripts = new MongoTranscriptStore(db);
    const suppression = new MongoSuppressionList(db);
    const confirmations = new MongoPendingConfirmations(db);
    const reasons = new MongoOptOutReasons(db);
    const addresses = new MongoContactAddresses(db);
    const accessLog = new MongoAccessLog(db);
    const all = [
      consent,
      botState,
      transcripts,
      suppression,
      confirmations,
      reasons,
      addresses,
      accessLog,
    ];
    for (const store of all) {
      await store.ensureIndexes();
    }
    return {
      ledger: consent,
      notices: consent,
      botState,
      transcripts,
      suppression,
      confirmations,
      reasons,
      addresses,
      accessLog,
      readiness: new MongoReadiness(db),
      close: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}
