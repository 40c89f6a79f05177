import type { Config } from './config.js';
import {
  openEmbeddedStores,
  openMemoryStores,
  openMongoStores,
  type Stores,
} from '../storage/stores.js';

/** Which backend, from config: MongoDB when MONGODB_URI is set, else the embedded store. */
export function openStores(config: Config): Promise<Stores> {
  switch (config.STORE) {
    case 'mongo':
      return openMongoStores(config.MONGODB_URI ?? '', config.MONGODB_DB);
    case 'memory':
      return Promise.resolve(openMemoryStores());
    case 'embedded':
      return Promise.resolve(openEmbeddedStores(config.DATA_DIR));
  }
}
