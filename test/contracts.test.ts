import { afterEach, describe } from 'vitest';
import { MemoryContactAddresses } from '../storage/memory/memory-contact-addresses.js';
import { MemoryOptOutReasons } from '../storage/memory/memory-opt-out-reasons.js';
import { MemoryPendingConfirmations } from '../storage/memory/memory-pending-confirmations.js';
import { MemorySuppressionList } from '../storage/memory/memory-suppression-list.js';
import { MemoryTranscriptStore } from '../storage/memory/memory-transcript-store.js';
import { MongoContactAddresses } from '../storage/mongo/mongo-contact-addresses.js';
import { MongoOptOutReasons } from '../storage/mongo/mongo-opt-out-reasons.js';
import { MongoPendingConfirmations } from '../storage/mongo/mongo-pending-confirmations.js';
import { MongoSuppressionList } from '../storage/mongo/mongo-suppression-list.js';
import { MongoTranscriptStore } from '../storage/mongo/mongo-transcript-store.js';
import { SqliteContactAddresses } from '../storage/sqlite/sqlite-contact-addresses.js';
import { SqliteOptOutReasons } from '../storage/sqlite/sqlite-opt-out-reasons.js';
import { SqlitePendingConfirmations } from '../storage/sqlite/sqlite-pending-confirmations.js';
import { SqliteSuppressionList } from '../storage/sqlite/sqlite-suppression-list.js';
import { SqliteTranscriptStore } from '../storage/sqlite/sqlite-transcript-store.js';
import { openEmbeddedStores, openMemoryStores, type Stores } from '../storage/stores.js';
import { describeAccessLogContract } from './access-log-contract.js';
import { describePendingConfirmationsContract } from './confirmations-contract.js';
import type { OpenPendingConfirmations } from './confirmations-contract.js';
import { describeContactAddressesContract } from './contact-addresses-contract.js';
import type { OpenContactAddresses } from './contact-addresses-contract.js';
import { openTestMongoStores, useFileDatabase } from './mongo-database.js';
import { describeOptOutReasonsContract } from './opt-out-reasons-contract.js';
import type { OpenOptOutReasons } from './opt-out-reasons-contract.js';
import { openTemporarySqlite, temporaryFolder } from './sqlite-database.js';
import {
  describeBotStateContract,
  describeConsentLedgerContract,
  describeLedgerSearchContract,
  type OpenStores,
} from './storage-contract.js';
import { describeSuppressionListContract } from './suppression-contract.js';
import type { OpenSuppressionList } from './suppression-contract.js';
import { describeTranscriptStoreContract } from './transcript-contract.js';
import type { OpenTranscriptStore } from './transcript-contract.js';

/**
 * Every storage contract over every backend: the same cases, unchanged, on memory, the embedded
 * SQLite store and the run's MongoDB-wire server (test/global-setup.ts: FerretDB v1 here, any
 * MongoDB with MONGODB_URI). What only one backend has (query plans, triggers, FerretDB quirks,
 * files on disk) is tested next to it, in storage/<backend>/.
 */
interface Backend {
  /** All stores at once, as the server opens them; fresh for each test. */
  readonly stores: OpenStores;
  readonly transcripts: OpenTranscriptStore;
  readonly suppression: OpenSuppressionList;
  readonly confirmations: OpenPendingConfirmations;
  readonly addresses: OpenContactAddresses;
  readonly reasons: OpenOptOutReasons;
}

const resolved = (): Promise<void> => Promise.resolve();

function memory(): Backend {
  return {
    stores: openMemoryStores,
    transcripts: () => Promise.resolve({ store: new MemoryTranscriptStore(), close: resolved }),
    suppression: () => ({ suppression: new MemorySuppressionList(), close: resolved }),
    confirmations: () => ({ confirmations: new MemoryPendingConfirmations(), close: resolved }),
    addresses: () => ({ addresses: new MemoryContactAddresses(), close: resolved }),
    reasons: () => ({ reasons: new MemoryOptOutReasons(), close: resolved }),
  };
}

/** Each test on a database in a folder of its own, closed and removed after the test. */
function sqlite(): Backend {
  const opened: Stores[] = [];
  const folders: (() => void)[] = [];
  afterEach(async () => {
    for (const stores of opened.splice(0)) await stores.close().catch(() => undefined);
    for (const remove of folders.splice(0)) remove();
  });
  return {
    stores: (options) => {
      const folder = temporaryFolder('consent-bot-sqlite-');
      folders.push(folder.remove);
      const stores = openEmbeddedStores(folder.path, options);
      opened.push(stores);
      return stores;
    },
    transcripts: () => {
      const { db, close } = openTemporarySqlite();
      return Promise.resolve({ store: new SqliteTranscriptStore(db), close });
    },
    suppression: () => {
      const { db, close } = openTemporarySqlite();
      return { suppression: new SqliteSuppressionList(db), close };
    },
    confirmations: () => {
      const { db, close } = openTemporarySqlite();
      return { confirmations: new SqlitePendingConfirmations(db), close };
    },
    addresses: () => {
      const { db, close } = openTemporarySqlite();
      return { addresses: new SqliteContactAddresses(db), close };
    },
    reasons: () => {
      const { db, close } = openTemporarySqlite();
      return { reasons: new SqliteOptOutReasons(db), close };
    },
  };
}

/**
 * All stores: a database of their own for each test, dropped when closed. Single stores: one
 * database for this backend's cases, emptied before each test (as the contracts expect) and
 * dropped after the last.
 */
function mongo(): Backend {
  const database = useFileDatabase('contracts');
  return {
    stores: (options) => openTestMongoStores('contract', options),
    transcripts: async () => {
      const store = new MongoTranscriptStore(await database.fresh());
      await store.ensureIndexes();
      return { store, close: resolved };
    },
    suppression: async () => {
      const suppression = new MongoSuppressionList(await database.fresh());
      await suppression.ensureIndexes();
      return { suppression, close: resolved };
    },
    confirmations: async () => {
      const confirmations = new MongoPendingConfirmations(await database.fresh());
      await confirmations.ensureIndexes();
      return { confirmations, close: resolved };
    },
    addresses: async () => {
      const addresses = new MongoContactAddresses(await database.fresh());
      await addresses.ensureIndexes();
      return { addresses, close: resolved };
    },
    reasons: async () => {
      const reasons = new MongoOptOutReasons(await database.fresh());
      await reasons.ensureIndexes();
      return { reasons, close: resolved };
    },
  };
}

const BACKENDS: readonly (readonly [string, () => Backend])[] = [
  ['memory', memory],
  ['embedded sqlite', sqlite],
  ['mongo', mongo],
];

describe.each(BACKENDS)('%s', (name, backendOf) => {
  // Called inside the backend's describe, so its hooks (clean-up, the MongoDB database) are its own.
  const backend = backendOf();
  describeConsentLedgerContract(name, backend.stores);
  describeLedgerSearchContract(name, () => backend.stores());
  describeAccessLogContract(name, () => backend.stores());
  describeBotStateContract(name, () => backend.stores());
  describeTranscriptStoreContract(name, backend.transcripts);
  describeSuppressionListContract(name, backend.suppression);
  describePendingConfirmationsContract(name, backend.confirmations);
  describeContactAddressesContract(name, backend.addresses);
  describeOptOutReasonsContract(name, backend.reasons);
});
