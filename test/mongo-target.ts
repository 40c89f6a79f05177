import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * A MongoDB-wire server for the tests. Found, in this order:
 *  1. `MONGODB_URI`: any server you run yourself (kind `external`; `stop()` leaves it alone);
 *  2. FerretDB v1.24.2, built by `scripts/build-ferretdb.sh` into `.cache/ferretdb`: on the
 *     PostgreSQL database `FERRETDB_POSTGRESQL_URL` names when it is set (its PostgreSQL handler
 *     uses indexes; the SQLite handler scans every collection on every query, many times slower
 *     under the multi-process tests), else on SQLite files in a temporary folder;
 *  3. `mongodb-memory-server-core`, if installed (a real mongod; downloads it on first use).
 * None of them: `startMongoTarget` throws, saying what it tried. Tests never skip for want of one.
 */
export type MongoTargetKind = 'external' | 'ferretdb' | 'mongodb-memory-server';

export interface MongoTarget {
  readonly uri: string;
  readonly kind: MongoTargetKind;
  /** Stops the server this call started (and deletes its data); does nothing for `external`. */
  stop(): Promise<void>;
}

/** For the tests of this file; the defaults are what every other caller wants. */
export interface MongoTargetOptions {
  /** Where `MONGODB_URI` is read; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The FerretDB binary; default `.cache/ferretdb/ferretdb-v1.24.2` under the repo root. */
  readonly ferretdbBinary?: string;
  /** Try mongodb-memory-server-core when there is no FerretDB binary; default true. */
  readonly memoryServer?: boolean;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const FERRETDB_BINARY = join(repoRoot, '.cache', 'ferretdb', 'ferretdb-v1.24.2');

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const STDERR_KEPT = 16 * 1024;

export async function startMongoTarget(options: MongoTargetOptions = {}): Promise<MongoTarget> {
  const env = options.env ?? process.env;
  const binary = options.ferretdbBinary ?? FERRETDB_BINARY;
  const tried: string[] = [];

  const external = env.MONGODB_URI?.trim();
  if (external) {
    if (!/^mongodb(\+srv)?:\/\//.test(external)) {
      throw new Error(
        `MONGODB_URI is set but is not a MongoDB connection string: ${JSON.stringify(external)}. ` +
          'Use mongodb://HOST:PORT/ (or unset it to let the tests start FerretDB).',
      );
    }
    return { uri: external, kind: 'external', stop: () => Promise.resolve() };
  }
  tried.push('MONGODB_URI: not set');

  const postgresqlUrl = env.FERRETDB_POSTGRESQL_URL?.trim() || undefined;
  if (isExecutable(binary)) return startFerretDB(binary, postgresqlUrl);
  tried.push(`FerretDB: no executable at ${binary}`);

  if (options.memoryServer !== false) return startMemoryServer(tried);

  throw new Error(
    [
      'No MongoDB-wire server for the tests. Tried, in order:',
      ...tried.map((line) => `  - ${line}`),
      'Fix one of:',
      '  - scripts/build-ferretdb.sh   (builds FerretDB with Go >= 1.24 and the Go module proxy; ~1 min once)',
      '  - MONGODB_URI=mongodb://HOST:PORT/   (any MongoDB or FerretDB you run yourself)',
    ].join('\n'),
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// FerretDB

async function startFerretDB(binary: string, postgresqlUrl?: string): Promise<MongoTarget> {
  // Another process can take the free port between `freePort()` and FerretDB's bind: retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startFerretDBOnce(binary, await freePort(), postgresqlUrl);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startFerretDBOnce(
  binary: string,
  port: number,
  postgresqlUrl: string | undefined,
): Promise<MongoTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
  const listen = `127.0.0.1:${port}`;
  const backend = postgresqlUrl ? ['-postgresql-url', postgresqlUrl] : ['-sqlite-dir', dir];
  const child = spawn(binary, ['-listen', listen, ...backend, '-log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  child.stdout.resume(); // one line ("ferretdb listening on ..."); the TCP probe is what counts
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const closed = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );

  // A test run that dies without calling stop() must not leave FerretDB running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const cleanUp = async () => {
    await stopChild(child, closed);
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (spawnError || exited(child)) {
        await Promise.race([closed, sleep(1_000)]); // let stderr drain
        const how = spawnError
          ? `could not be started: ${spawnError.message}`
          : `exited early (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`;
        const message = `FerretDB (${binary} -listen ${listen}) ${how}.\nIts stderr:\n${stderr || '(empty)'}`;
        throw /address already in use/i.test(stderr)
          ? new PortTakenError(message)
          : new Error(message);
      }
      if (await canConnect('127.0.0.1', port, 1_000)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `FerretDB (${binary} -listen ${listen}) did not accept TCP connections within ` +
            `${READY_TIMEOUT_MS / 1000} s.\nIts stderr:\n${stderr || '(empty)'}`,
        );
      }
      await sleep(100);
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    uri: `mongodb://${listen}/`,
    kind: 'ferretdb',
    stop: () => (stopping ??= cleanUp()),
  };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM; SIGKILL if it is still running after STOP_GRACE_MS. Resolves once it has exited. */
async function stopChild(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.pid === undefined) return; // never started
  if (!exited(child)) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port free right now on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`unexpected server address ${String(address)}`));
      });
    });
  });
}

/** Whether a TCP connection to host:port succeeds within timeoutMs. */
export function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// mongodb-memory-server-core: a real mongod, downloaded on first use (a laptop with internet).

async function startMemoryServer(tried: string[]): Promise<MongoTarget> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  let server: InstanceType<typeof MongoMemoryServer>;
  try {
    server = await MongoMemoryServer.create();
  } catch (error) {
    throw new Error(
      [
        'mongodb-memory-server-core could not start mongod ' +
          '(it downloads mongod on first use: is there internet?).',
        `Before it, tried: ${tried.join('; ')}.`,
        'Fix: install Go and run scripts/build-ferretdb.sh, or set MONGODB_URI=mongodb://HOST:PORT/.',
      ].join('\n'),
      { cause: error },
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    uri: server.getUri(),
    kind: 'mongodb-memory-server',
    stop: () =>
      (stopping ??= server.stop().then(() => {
        /* stopped */
      })),
  };
}
