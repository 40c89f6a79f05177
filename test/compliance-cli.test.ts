import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventHash, sealerOf } from '../consent/chain.js';
import type { ConsentEvent } from '../consent/ledger.js';
import { subjectKey, type Subject } from '../consent/subject.js';
import { verifyLedger, type VerificationReport } from '../bot/proof/ledger-verification.js';
import { startCheckpointSchedule } from '../bot/proof/checkpoint-schedule.js';
import { recordingLog } from './http-harness.js';
import { openEmbeddedStores } from '../storage/stores.js';
import { noticeHash } from '../consent/notice.js';
import {
  decision,
  problemAt,
  pseudonym,
  seedManyEvents,
  tamperSqlite,
  tamperSqliteNotice,
} from './compliance-fixture.js';
import { catalogue, temporaryFolder, TEST_KEYS, TEST_SECRET_KEY } from './harness.js';

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
        problemAt(PERSON_3, 'altered', altered),
        problemAt(DAVE, 'broken-link', daveThird),
        problemAt(DAVE, 'broken-link', daveFourth),
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
      problemAt(DAVE, 'broken-link', daveThird),
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

describe('npm run verify on a sealed ledger, on a SQLite data folder', { timeout: 90_000 }, () => {
  const folder = temporaryFolder('consent-bot-sealed-');
  const env = { STORE: 'embedded', DATA_DIR: folder.path, SECRET_KEY: TEST_SECRET_KEY };
  let daves: readonly ConsentEvent[];

  beforeAll(async () => {
    // Sealed as the server seals, with the key derived from the same SECRET_KEY.
    const stores = openEmbeddedStores(folder.path, { seal: sealerOf(TEST_KEYS.sealKey) });
    await seedManyEvents(stores.ledger, 4, 3);
    for (let n = 1; n <= 5; n += 1) {
      await stores.ledger.append(
        [decision(DAVE, { decision: n === 3 ? 'withdrawn' : 'given' })],
        day(n),
      );
    }
    daves = await stores.ledger.history(pseudonym(DAVE));
    await stores.close();
  });
  afterAll(() => {
    folder.remove();
  });

  it('refuses to check seals without the server secret, and never makes one up', async () => {
    const run = await verify([], { STORE: 'embedded', DATA_DIR: folder.path });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('No secret: set SECRET_KEY or SECRET_KEY_FILE as for npm start');
    expect(existsSync(join(folder.path, 'secret.key'))).toBe(false);
  });

  it('names the event rewritten in the database, every hash after it recomputed, as forged', async () => {
    expect(daves.every((e) => e.seal === sealerOf(TEST_KEYS.sealKey)(e.hash))).toBe(true);
    expect((await verify([], env)).code).toBe(0);

    // Dave's withdrawal (seq 3) turned back into a consent, and the chain after it recomputed,
    // as someone with write access to the database but without SECRET_KEY can do.
    let prevHash = daves[1]!.hash;
    for (const event of daves.slice(2)) {
      const changed = {
        ...event,
        prevHash,
        ...(event.seq === 3 ? { decision: 'given' as const } : {}),
      };
      const rewritten = { ...changed, hash: eventHash(changed) };
      prevHash = rewritten.hash;
      tamperSqlite(folder.path, pseudonym(DAVE), event.seq, () => rewritten);
    }

    const json = await verify(['--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerificationReport;
    const dave = subjectKey(pseudonym(DAVE));
    expect(report.problems[0]).toEqual({
      subject: dave,
      kind: 'forged',
      seq: 3,
      eventId: daves[2]!.id,
    });
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['forged', 3],
      ['forged', 4],
      ['forged', 5],
    ]);

    const human = await verify(['--channel', 'webchat', '--user', 'dave'], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`forged       ${dave}  seq 3  event ${daves[2]!.id}`);

    // Stripping the seals instead passes the chain off as older than sealing: not after a seal.
    for (const event of daves.slice(2)) {
      tamperSqlite(folder.path, pseudonym(DAVE), event.seq, ({ seal: _seal, ...rest }) => rest);
    }
    const stripped = JSON.parse((await verify(['--json'], env)).stdout) as VerificationReport;
    expect(stripped.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['unsealed', 3],
      ['unsealed', 4],
      ['unsealed', 5],
    ]);
  });
});

describe('npm run verify with checkpoints, on a SQLite data folder', { timeout: 90_000 }, () => {
  const folder = temporaryFolder('consent-bot-anchor-');
  // Where the compliance officer keeps checkpoints: not the data folder.
  const kept = temporaryFolder('consent-bot-checkpoints-');
  const env = { STORE: 'embedded', DATA_DIR: folder.path, SECRET_KEY: TEST_SECRET_KEY };
  const file = join(kept.path, 'ledger-2026-11-29.checkpoint');
  const person = (n: number): Subject => ({
    channelId: n % 2 ? 'webchat' : 'msteams',
    userId: `person-${n}`,
  });
  const key = (n: number): string => subjectKey(pseudonym(person(n)));

  beforeAll(async () => {
    const stores = openEmbeddedStores(folder.path);
    await seedManyEvents(stores.ledger, 6, 3);
    await stores.close();
  });
  afterAll(() => {
    folder.remove();
    kept.remove();
  });

  it('finds the chain ends and whole chains deleted since the checkpoint, which the chains alone cannot', async () => {
    const taken = await verify(['--checkpoint-out', file], env);
    expect(taken.code).toBe(0);
    const digest = /digest ([0-9a-f]{64})\.$/m.exec(taken.stdout)?.[1];
    expect(taken.stdout).toContain('Intact: every hash chain is whole.');
    expect(taken.stdout).toMatch(
      new RegExp(
        `^Checkpoint written: ${file} of [0-9T:.-]+Z: 6 subjects, 18 events, digest `,
        'm',
      ),
    );
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(9); // header, 6 heads, trailer, and the final newline
    expect(JSON.parse(lines[7]!)).toEqual({ subjects: 6, events: 18, problems: 0, digest });

    // The ledger goes on: a chain grows, a new person arrives. Nothing is wrong with that. The
    // server seals what it appends (the checkpoint says so, and unsealed events would be flagged).
    const stores = openEmbeddedStores(folder.path, { seal: sealerOf(TEST_KEYS.sealKey) });
    await stores.ledger.append([decision(person(1), { decision: 'withdrawn' })], day(20));
    await stores.ledger.append([decision({ channelId: 'webchat', userId: 'erin' })], day(21));
    await stores.close();
    const grown = await verify(['--against', file, '--json'], env);
    expect(grown.code).toBe(0);
    expect(JSON.parse(grown.stdout)).toMatchObject({
      subjects: 7,
      events: 20,
      intact: true,
      against: { file, subjects: 6, events: 18, problems: 0, digest },
    });

    // Someone with write access to the database cuts person 2's last event and all of person 4.
    tamperSqlite(folder.path, pseudonym(person(2)), 3, 'delete');
    for (const seq of [1, 2, 3]) tamperSqlite(folder.path, pseudonym(person(4)), seq, 'delete');

    const chainsAlone = await verify([], env);
    expect(chainsAlone).toMatchObject({ code: 0 });
    expect(chainsAlone.stdout).toBe(
      'Ledger verification (store): 6 subjects, 16 events.\nIntact: every hash chain is whole.\n',
    );

    const json = await verify(['--against', file, '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerificationReport;
    expect(report).toMatchObject({ subjects: 6, events: 16, intact: false, problemCount: 2 });
    expect(report.problems).toEqual(
      [
        { subject: key(2), kind: 'truncated', seq: 3, eventId: '' },
        { subject: key(4), kind: 'subject-missing', seq: 3, eventId: '' },
      ].sort((a, b) => (a.subject < b.subject ? -1 : 1)),
    );

    const human = await verify(['--against', file, '--digest', digest!], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`Against checkpoint ${file} of `);
    expect(human.stdout).toContain('NOT INTACT: 2 problem(s).');
    expect(human.stdout).toContain(`  truncated    ${key(2)}  seq 3\n`);
    expect(human.stdout).toContain(`  subject-missing ${key(4)}  seq 3\n`);
    expect(human.stdout).not.toContain('person-');
  });

  it('refuses a checkpoint edited by hand, another one than the digest names, and overwriting one', async () => {
    const edited = join(kept.path, 'edited.checkpoint');
    const original = readFileSync(file, 'utf8');
    // Hide the cut: person 2's head claims two events, with the hash of the second.
    const [header, ...rest] = original.split('\n');
    writeFileSync(
      edited,
      [
        header,
        ...rest.map((line) => (line.includes(key(2)) ? line.replace(',3,', ',2,') : line)),
      ].join('\n'),
    );
    const run = await verify(['--against', edited], env);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain(
      `The checkpoint ${edited} cannot be trusted: checkpoint digest does not match its content`,
    );

    const other = await verify(['--against', file, '--digest', 'f'.repeat(64)], env);
    expect(other).toMatchObject({ code: 2, stdout: '' });
    expect(other.stderr).toContain(`is not the one given (${'f'.repeat(64)}): another checkpoint`);

    const again = await verify(['--checkpoint-out', file], env);
    expect(again).toMatchObject({ code: 2, stdout: '' });
    expect(again.stderr).toContain('cannot be created (EEXIST): it is never overwritten');
    expect(readFileSync(file, 'utf8')).toBe(original);

    const missing = await verify(['--against', join(kept.path, 'nothing')], env);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
    expect(existsSync(join(kept.path, 'nothing'))).toBe(false);
  });

  it.each([
    [['--against', 'x', '--from', '2026-11-01'], /cover the whole store/],
    [['--digest', 'f'.repeat(64)], /--digest takes/],
  ])('exits 2 on bad usage %j', async (args, message) => {
    const run = await verify(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('npm run verify checks the notices the ledger names', { timeout: 90_000 }, () => {
  const folder = temporaryFolder('consent-bot-notices-');
  const env = { STORE: 'embedded', DATA_DIR: folder.path, SECRET_KEY: TEST_SECRET_KEY };
  const texts = ['One e-mail a week with our new products.', 'We count visits, nothing more.'];
  const [newsletter, analytics] = texts.map(noticeHash) as [string, string];
  let daves: readonly ConsentEvent[];
  let erins: readonly ConsentEvent[];
  const ERIN: Subject = { channelId: 'msteams', userId: 'erin' };

  beforeAll(async () => {
    const stores = openEmbeddedStores(folder.path);
    await seedManyEvents(stores.ledger, 5, 2);
    for (const [i, text] of texts.entries()) {
      await stores.notices.archive({
        hash: noticeHash(text),
        purposeId: i === 0 ? 'newsletter' : 'analytics',
        purposeVersion: 1,
        catalogueVersion: catalogue.version,
        locale: 'en',
        text,
      });
    }
    for (let n = 1; n <= 2; n += 1) {
      await stores.ledger.append([decision(DAVE, { noticeHash: newsletter })], day(n));
      await stores.ledger.append(
        [decision(ERIN, { purposeId: 'analytics', noticeHash: analytics })],
        day(n),
      );
    }
    daves = await stores.ledger.history(pseudonym(DAVE));
    erins = await stores.ledger.history(pseudonym(ERIN));
    await stores.close();
  });
  afterAll(() => {
    folder.remove();
  });

  it('exits 1 naming each event whose notice was deleted or rewritten in the database', async () => {
    expect(await verify([], env)).toMatchObject({ code: 0 });

    tamperSqliteNotice(folder.path, newsletter, 'delete');
    tamperSqliteNotice(folder.path, analytics, (text) => text.replace('nothing more', 'and more'));

    const json = await verify(['--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerificationReport;
    expect(report).toMatchObject({ subjects: 7, events: 14, intact: false, problemCount: 4 });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        ...daves.map((e) => problemAt(DAVE, 'notice-missing', e)),
        ...erins.map((e) => problemAt(ERIN, 'notice-altered', e)),
      ]),
    );

    const dave = await verify(['--channel', 'webchat', '--user', 'dave'], env);
    expect(dave.code).toBe(1);
    expect(dave.stdout).toContain('NOT INTACT: 2 problem(s).');
    expect(dave.stdout).toContain(
      `notice-missing ${subjectKey(pseudonym(DAVE))}  seq 1  event ${daves[0]!.id}`,
    );
    expect(dave.stdout).not.toContain('dave');
  });
});

describe('checkpoints taken on a timer, checked by npm run verify', { timeout: 90_000 }, () => {
  const folder = temporaryFolder('consent-bot-scheduled-');
  // CHECKPOINT_DIR: out of the data folder, where the database administrator cannot write.
  const kept = temporaryFolder('consent-bot-scheduled-checkpoints-');
  const env = { STORE: 'embedded', DATA_DIR: folder.path, SECRET_KEY: TEST_SECRET_KEY };
  const person = (n: number): Subject => ({
    channelId: n % 2 ? 'webchat' : 'msteams',
    userId: `person-${n}`,
  });
  const files = (): string[] =>
    readdirSync(kept.path)
      .filter((name) => name.endsWith('.checkpoint'))
      .sort();
  afterAll(() => {
    folder.remove();
    kept.remove();
  });

  it('writes a checkpoint each interval, and the next run and --against find a person deleted since', async () => {
    const stores = openEmbeddedStores(folder.path, { seal: sealerOf(TEST_KEYS.sealKey) });
    await seedManyEvents(stores.ledger, 5, 2);
    const log = recordingLog();
    const schedule = startCheckpointSchedule({
      dir: kept.path,
      everyMs: 20,
      now: () => new Date(),
      log,
      verify: (anchoring) =>
        verifyLedger(stores.ledger, {}, { sealKey: TEST_KEYS.sealKey, ...anchoring }),
    });
    try {
      // Nobody runs a command: the timer takes the checkpoint.
      await vi.waitFor(
        () => {
          expect(files().length).toBeGreaterThanOrEqual(1);
        },
        { timeout: 5000 },
      );
    } finally {
      schedule.stop();
    }
    // Waits for a run in progress (or takes one more): none runs on these stores after this.
    await schedule.runOnce();
    const first = files()[0];
    expect(first).toMatch(/^ledger-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.checkpoint$/);
    const written = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(written[0]).toMatchObject({
      event: 'checkpoint.written',
      file: first,
      subjects: 5,
      events: 10,
      problems: 0,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(log.lines.join('\n')).not.toContain('person-');
    const anchored = join(kept.path, first!);
    expect(await verify(['--against', anchored], env)).toMatchObject({ code: 0 });

    // Someone with write access to the database deletes person 3 whole.
    await stores.close();
    for (const seq of [1, 2]) tamperSqlite(folder.path, pseudonym(person(3)), seq, 'delete');
    const reopened = openEmbeddedStores(folder.path, { seal: sealerOf(TEST_KEYS.sealKey) });
    const again = startCheckpointSchedule({
      dir: kept.path,
      everyMs: 3_600_000,
      now: () => new Date(),
      log,
      verify: (anchoring) =>
        verifyLedger(reopened.ledger, {}, { sealKey: TEST_KEYS.sealKey, ...anchoring }),
    });
    try {
      const found = await again.runOnce();
      expect(found?.report.problems).toEqual([
        {
          subject: subjectKey(pseudonym(person(3))),
          kind: 'subject-missing',
          seq: 2,
          eventId: '',
        },
      ]);
      expect(found?.checkpoint.file).toMatch(/\.problems\.checkpoint$/);
      // The next run still checks against the last intact checkpoint: the deletion is not
      // forgotten because a checkpoint was taken after it.
      const still = await again.runOnce();
      expect(still?.against).toBe(found?.against);
      expect(still?.report.problemCount).toBe(1);
    } finally {
      again.stop();
      await reopened.close();
    }
    expect(log.lines.some((line) => line.includes('"checkpoint.ledger_not_intact"'))).toBe(true);
    expect(log.lines.join('\n')).not.toContain('person-');

    const json = await verify(['--against', anchored, '--json'], env);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as VerificationReport).problems).toEqual([
      { subject: subjectKey(pseudonym(person(3))), kind: 'subject-missing', seq: 2, eventId: '' },
    ]);
  });
});
