import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../consent/chain.js';
import type { ConsentEvent } from '../consent/ledger.js';
import { subjectKey, type Subject } from '../consent/subject.js';
import type { VerificationReport } from '../bot/ledger-verification.js';
import { openEmbeddedStores } from '../storage/stores.js';
import { decision, pseudonym, seedManyEvents, tamperSqlite } from './compliance-fixture.js';
import { temporaryFolder, TEST_SECRET_KEY } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run verify -- ...` as an operator runs it: a real process, configured by environment. */
function verify(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/verify-ledger.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const DAVE: Subject = { channelId: 'webchat', userId: 'dave' };
const PERSON_3: Subject = { channelId: 'webchat', userId: 'person-3' };
const day = (n: number): Date => new Date(Date.UTC(2026, 10, n, 12));

// Each run starts tsx: about 1.5 s on these machines, more when the whole suite runs alongside.
describe('npm run verify, on a SQLite data folder', { timeout: 90_000 }, () => {
  const folder = temporaryFolder('consent-bot-verify-');
  const env = { STORE: 'embedded', DATA_DIR: folder.path, SECRET_KEY: TEST_SECRET_KEY };
  let altered: ConsentEvent;
  let daveThird: ConsentEvent;
  let daveFourth: ConsentEvent;

  beforeAll(async () => {
    const stores = openEmbeddedStores(folder.path);
    await seedManyEvents(stores.ledger, 20, 5);
    for (let n = 1; n <= 5; n += 1) {
      await stores.ledger.append(
        [decision(DAVE, { decision: n % 2 ? 'given' : 'withdrawn' })],
        day(n),
      );
    }
    altered = (await stores.ledger.history(pseudonym(PERSON_3)))[1]!;
    const daves = await stores.ledger.history(pseudonym(DAVE));
    daveThird = daves[2]!;
    daveFourth = daves[3]!;
    await stores.close();
  });
  afterAll(() => {
    folder.remove();
  });

  const at = (subject: Subject, kind: string, event: ConsentEvent) => ({
    subject: subjectKey(pseudonym(subject)),
    kind,
    seq: event.seq,
    eventId: event.id,
  });

  it('exits 0 on an intact ledger, then 1 with every problem located once it is tampered with', async () => {
    const intact = await verify([], env);
    expect(intact).toEqual({
      code: 0,
      stdout:
        'Ledger verification (store): 21 subjects, 105 events.\nIntact: every hash chain is whole.\n',
      stderr: '',
    });

    tamperSqlite(folder.path, pseudonym(PERSON_3), 2, (e) => ({ ...e, purposeId: 'analytics' }));
    tamperSqlite(folder.path, pseudonym(DAVE), 3, (e) => {
      const forged = { ...e, decision: 'given' as const, prevHash: 'e'.repeat(64) };
      return { ...forged, hash: eventHash(forged) };
    });

    const json = await verify(['--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerificationReport;
    expect(report).toMatchObject({ scope: 'store', subjects: 21, events: 105, intact: false });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        at(PERSON_3, 'altered', altered),
        at(DAVE, 'broken-link', daveThird),
        at(DAVE, 'broken-link', daveFourth),
      ]),
    );
    expect(report.problemCount).toBe(3);

    const human = await verify([], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('NOT INTACT: 3 problem(s).');
    expect(human.stdout).toContain(
      `altered      ${subjectKey(pseudonym(PERSON_3))}  seq 2  event ${altered.id}`,
    );
    expect(human.stdout).not.toContain('person-3');

    // A window that starts at the re-sealed event still finds it, through the link before it.
    const edge = await verify(['--from', '2026-11-03', '--to', '2026-11-04', '--json'], env);
    expect(edge.code).toBe(1);
    expect((JSON.parse(edge.stdout) as VerificationReport).problems).toEqual([
      at(DAVE, 'broken-link', daveThird),
    ]);
    const before = await verify(['--from', '2026-11-01', '--to', '2026-11-03'], env);
    expect(before.code).toBe(0);

    // One person, named by their raw ids and pseudonymised with the configured secret.
    const dave = await verify(['--channel', 'webchat', '--user', 'dave', '--json'], env);
    expect(dave.code).toBe(1);
    expect(JSON.parse(dave.stdout)).toMatchObject({ scope: 'subject', subjects: 1, events: 5 });
  });

  it.each([
    [['--from', '2026-02-30'], /INVALID_DATE/],
    [['--from', '2026-11-05', '--to', '2026-11-01'], /INVALID_RANGE/],
    [['--user', 'dave'], /INVALID_SUBJECT/],
    [['--everything'], /Unknown option/],
  ])('exits 2 on bad usage %j', async (args, message) => {
    const run = await verify(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 on a bad configuration, a missing folder and a store it cannot reach', async () => {
    const missing = await verify([], { ...env, DATA_DIR: `${folder.path}/nothing-here` });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');

    const badConfig = await verify([], { STORE: 'mongo' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('MONGODB_URI');

    const unreachable = await verify([], {
      MONGODB_URI: 'mongodb://user:secret-password@127.0.0.1:1/ledger?serverSelectionTimeoutMS=300',
      SECRET_KEY: TEST_SECRET_KEY,
    });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('could not be verified');
    expect(unreachable.stderr).not.toContain('secret-password');
  });
});
