import { loadCatalogue } from './catalogue-file.js';
import { ConfigError, loadConfig } from './config.js';
import { createApp } from './app.js';
import { createLogger } from './log.js';
import { openEmbeddedStores, openMemoryStores } from '../storage/stores.js';

function start(): void {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.LOG_LEVEL);
  let catalogue;
  try {
    catalogue = loadCatalogue(config.CATALOGUE_FILE);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const stores =
    config.STORE === 'memory' ? openMemoryStores() : openEmbeddedStores(config.DATA_DIR);
  const { server } = createApp({ config, catalogue, stores, log });

  server.listen(config.PORT, config.HOST, () => {
    log.info('server.listening', {
      url: server.url,
      store: config.STORE,
      dataDir: config.STORE === 'embedded' ? config.DATA_DIR : undefined,
      catalogueVersion: catalogue.version,
      authenticated: config.MicrosoftAppId !== '',
    });
    if (config.MicrosoftAppId === '') {
      log.warn('server.unauthenticated', {
        hint: 'MicrosoftAppId is not set: any client can call /api/messages. Local use only.',
      });
    }
  });

  const stop = (signal: string): void => {
    log.info('server.stopping', { signal });
    server.close(() => {
      void stores.close().then(() => process.exit(0));
    });
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
}

start();
