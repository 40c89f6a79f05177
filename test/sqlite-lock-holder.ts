import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Another process on the same SQLite file, holding its write lock (BEGIN IMMEDIATE) until told to
 * release it: what a second server, a CLI or a backup tool on the same folder does to this one.
 * A real second connection in a real second process, so nothing about the lock is simulated.
 */
export interface LockHolder {
  /** Commits and closes; resolves once the lock is released. */
  release(): Promise<void>;
}

const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
db.prepare('CREATE TABLE IF NOT EXISTS lock_holder (n INTEGER)').run();
process.stdout.write('locked\\n');
const release = () => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); };
process.stdin.on('data', release);
// Never outlive a test that forgot to release.
setTimeout(release, 20000).unref();
`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export async function holdWriteLock(file: string): Promise<LockHolder> {
  const child: ChildProcess = spawn(process.execPath, ['-e', HOLDER, file], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waitFor = async (line: string): Promise<void> => {
    while (!lines.includes(line)) {
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      lines.push(...chunk.toString().split('\n').filter(Boolean));
    }
  };
  await waitFor('locked');
  return {
    async release() {
      const exited = once(child, 'exit');
      child.stdin!.write('release\n');
      await waitFor('released');
      await exited;
    },
  };
}

/** Counts the turns of the event loop: a frozen loop stops counting. */
export function tickCounter(everyMs = 10): { readonly ticks: () => number; stop(): void } {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, everyMs);
  return {
    ticks: () => ticks,
    stop: () => {
      clearInterval(timer);
    },
  };
}
