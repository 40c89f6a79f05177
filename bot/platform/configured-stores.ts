import type { Config } from './config.js';
import {
  openEmbeddedStores,
  openMemoryStores,
  openMongoStores,
  type StoreOptions,
  type Stores,
} from '../../storage/stores.js';

/**
 * Which backend, from config: MongoDB when MONGODB_URI is set, else the embedded store. The server
 * and the tools pass the ledger's sealer (bot/platform/secrets.ts), so every event they append is sealed.
 */
export function openStores(config: Config, options: StoreOptions = {}): Promise<Stores> {
  switch (config.STORE) {
    case 'mongo':
      return openMongoStores(config.MONGODB_URI ?? '', config.MONGODB_DB, options);
    case 'memory':
      return Promise.resolve(openMemoryStores(options));
    case 'embedded':
      return Promise.resolve(openEmbeddedStores(config.DATA_DIR, options));
  }
}
