import { loadCatalogue } from './platform/catalogue-file.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { createApp } from './app.js';
import { createLogger } from './platform/log.js';
import { openStores } from './platform/configured-stores.js';
import { deriveKeys, loadMasterSecret } from './platform/secrets.js';
import { sealerOf } from '../consent/chain.js';

async function start(): Promise<void> {
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
  const bootLog = createLogger(config.LOG_LEVEL);
  let catalogue;
  try {
    catalogue = loadCatalogue(config.CATALOGUE_FILE);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const keys = deriveKeys(loadMasterSecret(config, bootLog));
  // Every event the server appends is sealed with a key the database does not hold.
  const stores = await openStores(config, { seal: sealerOf(keys.sealKey) });
  // From here on, channel ids in the logs are hashed with a key that survives restarts.
  const log = createLogger(config.LOG_LEVEL, undefined, { idKey: keys.logKey });
  const { server, retention, checkpoints } = createApp({ config, catalogue, stores, log, keys });
  // A first pass at start: a server that was down for a week catches up at once.
  void retention.runOnce();
  void checkpoints?.runOnce();

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
    retention.stop();
    checkpoints?.stop();
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

start().catch((error: unknown) => {
  // Ids and codes only: a driver message may quote the URI and its credentials.
  const code = (error as { code?: unknown }).code;
  process.stderr.write(
    `The server could not start: ${error instanceof Error ? error.name : 'error'}${
      typeof code === 'string' ? ` (${code})` : ''
    }\n`,
  );
  process.exit(1);
});
