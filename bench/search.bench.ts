/**
 * Compliance search benchmark on the embedded store: the same queries on a ledger of 10,000 events
 * (the baseline) and of 100,000, in one run.
 *
 *   npm run bench:search        (about a minute, most of it seeding)
 *
 * An index-backed query costs what it returns, so its ratio 100k / 10k stays near 1; a query that
 * reads the whole ledger grows about 10 times. Timings on shared machines are noisy: read the
 * ratios, measured in this same run, not the absolute numbers. Results: bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LedgerQuery } from '../consent/ledger.js';
import { SqliteConsentStore } from '../storage/sqlite/sqlite-consent-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../storage/sqlite/sqlite-database.js';
import { seedLedger, YEAR_MS, YEAR_START } from '../test/ledger-seed.js';

const SIZES = [10_000, 100_000] as const;
const WARMUP = 5;
const REPS = 40;
const ROUNDS = 4;

interface Ledger {
  readonly db: SqliteDatabase;
  readonly store: SqliteConsentStore;
  readonly folder: string;
}

async function open(events: number): Promise<Ledger> {
  const folder = mkdtempSync(join(tmpdir(), 'search-bench-'));
  const db = openSqliteDatabase(folder);
  const store = new SqliteConsentStore(db);
  await seedLedger(db, store, events);
  return { db, store, folder };
}

const QUARTER: LedgerQuery = {
  from: new Date('2026-04-01T00:00:00Z'),
  to: new Date('2026-07-01T00:00:00Z'),
};

/** What a compliance officer does, each as one awaited call. */
const CASES: readonly [string, (store: SqliteConsentStore) => Promise<unknown>][] = [
  ['search, first page (50), no filter', (s) => s.search({}, { limit: 50 })],
  ['search, first page, purpose', (s) => s.search({ purposeId: 'location' }, { limit: 50 })],
  [
    'search, first page, purpose + decision + quarter',
    (s) => s.search({ ...QUARTER, purposeId: 'offers', decision: 'withdrawn' }, { limit: 50 }),
  ],
  [
    "search, one person's events",
    (s) => s.search({ subject: { channelId: 'webchat', userId: 'p:42' } }, { limit: 50 }),
  ],
  [
    'count decisions, a quarter by day',
    (s) => s.countDecisions({ ...QUARTER, purposeId: 'newsletter' }, 'day'),
  ],
  [
    'count decisions, the year by month',
    (s) =>
      s.countDecisions({ from: new Date(YEAR_START), to: new Date(YEAR_START + YEAR_MS) }, 'month'),
  ],
];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function main(): Promise<void> {
  const seedStarted = performance.now();
  const ledgers = await Promise.all(SIZES.map((size) => open(size)));
  const seedMs = performance.now() - seedStarted;
  const timings = new Map<string, number[][]>(CASES.map(([name]) => [name, SIZES.map(() => [])]));
  try {
    for (const [, run] of CASES) {
      for (const { store } of ledgers) for (let i = 0; i < WARMUP; i += 1) await run(store);
    }
    // Interleaved rounds: a slow spell of the machine hits both sizes.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, run] of CASES) {
        for (const [index, { store }] of ledgers.entries()) {
          for (let i = 0; i < REPS / ROUNDS; i += 1) {
            const started = performance.now();
            await run(store);
            timings.get(name)?.[index]?.push(performance.now() - started);
          }
        }
      }
    }
    const lines = [
      `Seeded ${SIZES.map((n) => n.toLocaleString('en')).join(' and ')} events in ${Math.round(seedMs)} ms; ${REPS} timed calls per cell, ${ROUNDS} interleaved rounds.`,
      '',
      '| query | median at 10k (ms) | median at 100k (ms) | ratio 100k / 10k |',
      '| --- | ---: | ---: | ---: |',
    ];
    for (const [name] of CASES) {
      const [small, large] = (timings.get(name) ?? []).map(median);
      lines.push(
        `| ${name} | ${small?.toFixed(2)} | ${large?.toFixed(2)} | ${((large ?? NaN) / (small ?? NaN)).toFixed(2)}× |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const { db, folder } of ledgers) {
      db.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }
}

await main();
