/**
 * Ledger and turn benchmark: memory, embedded (SQLite) and MongoDB-wire backends, in one run.
 *
 *   npx tsx bench/ledger.bench.ts        (or: npm run bench)
 *
 * Timings on shared machines are noisy: compare the ratios (each against the memory backend, or
 * 1,000 events against 10, measured in this same run), not the absolute numbers across runs.
 * Backends are measured in interleaved rounds, so a slow spell of the machine hits all of them.
 * Results and how to read them: bench/RESULTS.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { ConsentDecision, ConsentLedger } from '../consent/ledger.js';
import type { Subject } from '../consent/subject.js';
import {
  openEmbeddedStores,
  openMemoryStores,
  openMongoStores,
  type Stores,
} from '../storage/stores.js';
import { catalogue, startTestBot } from '../test/harness.js';
import { startMongoTarget, type MongoTarget } from '../test/mongo-target.js';

// ---------------------------------------------------------------------------------------------
// Sizes: chosen so the whole run stays under ~60 s on 2 cores with FerretDB as the Mongo target.
// FerretDB v1's SQLite handler scans the whole collection for the ledger's queries (see
// RESULTS.md), so a call on a 1,000-event collection costs ~0.5 s there: it gets fewer repetitions.

type Backend = 'memory' | 'embedded' | 'mongo';
const BACKENDS: readonly Backend[] = ['memory', 'embedded', 'mongo'];

interface Plan {
  readonly warmup: number;
  readonly reps: number;
}
const plan = (fast: Plan, mongo: Plan): Record<Backend, Plan> => ({
  memory: fast,
  embedded: fast,
  mongo,
});
const APPEND = plan({ warmup: 20, reps: 200 }, { warmup: 5, reps: 60 });
const AT_SMALL = plan({ warmup: 20, reps: 200 }, { warmup: 5, reps: 60 });
const AT_LARGE = plan({ warmup: 20, reps: 200 }, { warmup: 3, reps: 20 });
const HISTORY_LARGE = plan({ warmup: 10, reps: 60 }, { warmup: 3, reps: 20 });

const SMALL = 10;
const LARGE = 1_000;
/** Filling a subject up to LARGE events, this many decisions per append (untimed). */
const FILL_BATCH = 100;
const TURN_WARMUP_CONVERSATIONS = 2;
const TURN_CONVERSATIONS = 15;
/** "no" answers timed per conversation: the first four purposes (the fifth also renders the summary). */
const TURNS_PER_CONVERSATION = 4;
/** Timed repetitions are split into this many rounds, each running every backend in turn. */
const ROUNDS = 5;

const PURPOSES = catalogue.purposes.map((p) => p.id);

// ---------------------------------------------------------------------------------------------
// Statistics

interface Stats {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly mean: number;
  /** Sequential calls per second: 1,000 / mean latency in ms. */
  readonly opsPerSec: number;
}

function stats(sample: readonly number[]): Stats {
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 0 ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
  return { n: sorted.length, median, p95: at(0.95), mean, opsPerSec: 1000 / mean };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/**
 * Runs `op(backend, i)` for every backend: its plan's warm-up calls untimed, then its timed calls
 * in ROUNDS interleaved rounds, so a slow spell of the machine hits every backend. `i` is distinct
 * across every call of one backend.
 */
async function compare(
  plans: Record<Backend, Plan>,
  op: (backend: Backend, i: number) => Promise<unknown>,
): Promise<Record<Backend, Stats>> {
  const ms: Record<Backend, number[]> = { memory: [], embedded: [], mongo: [] };
  const next: Record<Backend, number> = { memory: 0, embedded: 0, mongo: 0 };
  for (const backend of BACKENDS) {
    for (let w = 0; w < plans[backend].warmup; w++) await op(backend, next[backend]++);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const backend of BACKENDS) {
      const { reps } = plans[backend];
      const count = Math.floor((reps * (round + 1)) / ROUNDS) - Math.floor((reps * round) / ROUNDS);
      for (let r = 0; r < count; r++) {
        const i = next[backend]++;
        ms[backend].push(await timed(() => op(backend, i)));
      }
    }
  }
  return { memory: stats(ms.memory), embedded: stats(ms.embedded), mongo: stats(ms.mongo) };
}

// ---------------------------------------------------------------------------------------------
// Ledger data

/** A decision as the conversation records it (as test/storage-contract.ts `decisionOf` does). */
function decisionOf(subject: Subject, purposeId: string, activityId: string): ConsentDecision {
  return {
    subject,
    purposeId,
    decision: 'refused',
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    noticeHash: 'a'.repeat(64),
    locale: 'en',
    channelId: subject.channelId,
    conversationId: 'bench-conversation',
    activityId,
    source: 'conversation',
    explicit: false,
  };
}

const subjectOf = (userId: string): Subject => ({ channelId: 'webchat', userId });

/** Appends events to `subject` (cycling through the catalogue's purposes) until it has `total`. */
async function fillTo(
  ledger: ConsentLedger,
  subject: Subject,
  from: number,
  total: number,
): Promise<void> {
  for (let n = from; n < total; n += FILL_BATCH) {
    const batch: ConsentDecision[] = [];
    for (let k = n; k < Math.min(n + FILL_BATCH, total); k++) {
      batch.push(decisionOf(subject, PURPOSES[k % PURPOSES.length]!, `fill-${k}`));
    }
    await ledger.append(batch, new Date());
  }
  const length = (await ledger.history(subject)).length;
  if (length !== total) throw new Error(`${subject.userId}: ${length} events, expected ${total}`);
}

// ---------------------------------------------------------------------------------------------
// Output

function ms(value: number): string {
  if (value < 0.1) return `${(value * 1000).toFixed(1)} µs`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(1)} ms`;
}

function ratio(value: number): string {
  return value < 10 ? `${value.toFixed(2)}×` : `${value.toFixed(0)}×`;
}

function rate(value: number): string {
  return value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toFixed(0);
}

interface Row {
  readonly operation: string;
  readonly results: Record<Backend, Stats>;
}

function table(rows: readonly Row[], labels: Record<Backend, string>): string {
  const lines = [
    '| operation | backend | n | median | p95 | ops/s | median × memory |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    for (const backend of BACKENDS) {
      const s = row.results[backend];
      lines.push(
        `| ${row.operation} | ${labels[backend]} | ${s.n} | ${ms(s.median)} | ${ms(s.p95)} | ` +
          `${rate(s.opsPerSec)} | ${ratio(s.median / row.results.memory.median)} |`,
      );
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  const began = performance.now();
  const folders: string[] = [];
  let target: MongoTarget | undefined;
  const dbNames: string[] = [];
  const opened: Stores[] = [];

  try {
    target = await startMongoTarget();
    const mongoUri = target.uri;
    /** A fresh store of each backend (its own SQLite folder, its own Mongo database). */
    const openAll = async (name: string): Promise<Record<Backend, Stores>> => {
      const sqliteDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
      folders.push(sqliteDir);
      const dbName = `bench_${name}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      dbNames.push(dbName);
      const stores = {
        memory: openMemoryStores(),
        embedded: openEmbeddedStores(sqliteDir),
        mongo: await openMongoStores(mongoUri, dbName),
      };
      opened.push(...Object.values(stores));
      return stores;
    };
    const mongoLabel: Record<MongoTarget['kind'], string> = {
      external: 'mongo (MONGODB_URI)',
      ferretdb: 'mongo (FerretDB 1.24 / SQLite)',
      'mongodb-memory-server': 'mongo (mongod, memory-server)',
    };
    const labels: Record<Backend, string> = {
      memory: 'memory',
      embedded: 'embedded (SQLite)',
      mongo: mongoLabel[target.kind],
    };

    // 1. append of one decision, each to a new subject: a person's first decision.
    const appendStores = await openAll('append');
    const appendFresh = await compare(APPEND, (b, i) =>
      appendStores[b].ledger.append(
        [decisionOf(subjectOf(`fresh-${i}`), 'newsletter', `fresh-${i}`)],
        new Date(),
      ),
    );

    // 2. latest() and history() of one subject at 10 events, then the same subject at 1,000.
    //    `control` also has 10 events and is read again once `grown` has 1,000: the same table
    //    size as the 1,000-event reads, so it tells "grows with the subject's history" from
    //    "grows with the whole ledger".
    const growthStores = await openAll('growth');
    const ledger = (b: Backend) => growthStores[b].ledger;
    const grown = subjectOf('grown');
    const control = subjectOf('control');
    for (const b of BACKENDS) {
      await fillTo(ledger(b), grown, 0, SMALL);
      await fillTo(ledger(b), control, 0, SMALL);
    }
    const latestSmall = await compare(AT_SMALL, (b) => ledger(b).latest(grown));
    const historySmall = await compare(AT_SMALL, (b) => ledger(b).history(grown));
    const fillStart = performance.now();
    for (const b of BACKENDS) await fillTo(ledger(b), grown, SMALL, LARGE);
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const latestLarge = await compare(AT_LARGE, (b) => ledger(b).latest(grown));
    const latestControl = await compare(AT_LARGE, (b) => ledger(b).latest(control));
    const historyLarge = await compare(HISTORY_LARGE, (b) => ledger(b).history(grown));
    // append once the subject has 1,000 events (it ends with 1,000 + warm-up + reps).
    const appendLarge = await compare(AT_LARGE, (b, i) =>
      ledger(b).append(
        [decisionOf(grown, PURPOSES[i % PURPOSES.length]!, `late-${i}`)],
        new Date(),
      ),
    );

    // 3. one turn through the real transcript logger, opt-out guard and bot: a "no" to a purpose.
    const turnStores = await openAll('turn');
    const turnMs: Record<Backend, number[]> = { memory: [], embedded: [], mongo: [] };
    for (let c = 0; c < TURN_WARMUP_CONVERSATIONS + TURN_CONVERSATIONS; c++) {
      for (const b of BACKENDS) {
        const bot = startTestBot({
          stores: turnStores[b],
          user: `turn-user-${c}`,
          conversation: `turn-conversation-${c}`,
        });
        await bot.join(); // the greeting and the first purpose: untimed
        for (let t = 0; t < TURNS_PER_CONVERSATION; t++) {
          let seen: Awaited<ReturnType<typeof bot.say>> = [];
          const took = await timed(async () => {
            seen = await bot.say('no');
          });
          if (!seen[0]?.text.startsWith('Noted: no to')) {
            throw new Error(`turn ${t} on ${b}: unexpected reply ${JSON.stringify(seen)}`);
          }
          if (c >= TURN_WARMUP_CONVERSATIONS) turnMs[b].push(took);
        }
      }
    }
    const turns = {
      memory: stats(turnMs.memory),
      embedded: stats(turnMs.embedded),
      mongo: stats(turnMs.mongo),
    };

    // ---------------------------------------------------------------------------------------
    const seconds = (performance.now() - began) / 1000;
    const large = LARGE.toLocaleString('en-US');
    console.log(
      [
        `Ledger benchmark: ${new Date().toISOString()}, node ${process.version}, ` +
          `${availableParallelism()} cores, ${process.platform}/${process.arch}, ` +
          `Mongo target: ${target.kind}. Whole run ${seconds.toFixed(1)} s ` +
          `(filling the ${large}-event subject on all three: ${fillSeconds.toFixed(1)} s).`,
        '',
        table(
          [
            { operation: 'append 1 decision (new subject)', results: appendFresh },
            { operation: `latest() @ ${SMALL} events`, results: latestSmall },
            { operation: `latest() @ ${large} events`, results: latestLarge },
            {
              operation: `latest() @ ${SMALL} events, ledger ~${large} (control)`,
              results: latestControl,
            },
            { operation: `history() @ ${SMALL} events`, results: historySmall },
            { operation: `history() @ ${large} events`, results: historyLarge },
            {
              operation: `append 1 decision (subject with ${large}+ events)`,
              results: appendLarge,
            },
            { operation: 'bot turn: "no" to a purpose', results: turns },
          ],
          labels,
        ),
        '',
        `Growth of one subject from ${SMALL} to ${large} events (median / median; 1.00× = flat):`,
        '',
        `| backend | latest() ${large} / ${SMALL} | latest() control / ${SMALL} | ` +
          `history() ${large} / ${SMALL} | append ${large}+ / new subject |`,
        '| --- | ---: | ---: | ---: | ---: |',
        ...BACKENDS.map(
          (b) =>
            `| ${labels[b]} | ${ratio(latestLarge[b].median / latestSmall[b].median)} | ` +
            `${ratio(latestControl[b].median / latestSmall[b].median)} | ` +
            `${ratio(historyLarge[b].median / historySmall[b].median)} | ` +
            `${ratio(appendLarge[b].median / appendFresh[b].median)} |`,
        ),
        '',
        'n = timed calls, after untimed warm-up calls. ops/s = 1,000 / mean ms, one call at a ' +
          'time. Turns: a fresh conversation per person, the first four "no" answers timed.',
      ].join('\n'),
    );
  } finally {
    for (const s of opened) await s.close();
    if (target) {
      if (dbNames.length > 0) {
        const client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
        try {
          for (const name of dbNames) await client.db(name).dropDatabase();
        } finally {
          await client.close();
        }
      }
      await target.stop();
    }
    for (const path of folders) rmSync(path, { recursive: true, force: true });
  }
}

await main();
