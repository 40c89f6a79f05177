import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerQuery } from '../../consent/ledger.js';
import { EXPECTED_INDEX, planOf, recordStatements } from '../../test/sqlite-plans.js';
import { AT, decisionOf, subjectOf } from '../../test/storage-contract.js';
import { MemoryConsentStore } from '../memory/memory-consent-store.js';
import { openEmbeddedStores } from '../stores.js';
import { SqliteAccessLog } from './sqlite-access-log.js';
import { SqliteConsentStore } from './sqlite-consent-store.js';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';

const folders: string[] = [];
const databases: SqliteDatabase[] = [];

function newDatabase(): { folder: string; db: SqliteDatabase } {
  const folder = mkdtempSync(join(tmpdir(), 'consent-bot-search-'));
  folders.push(folder);
  const db = openSqliteDatabase(folder);
  databases.push(db);
  return { folder, db };
}

afterEach(() => {
  for (const db of databases.splice(0)) db.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** The plan of the statement a search of `query` prepares (the last one prepared). */
async function searchPlan(query: LedgerQuery, after?: string): Promise<string> {
  const { db } = newDatabase();
  const store = new SqliteConsentStore(db);
  await store.append([decisionOf(subjectOf('alice'))], AT);
  const seen = recordStatements(db);
  await store.search(query, after === undefined ? { limit: 10 } : { limit: 10, after });
  const sql = seen.at(-1);
  if (sql === undefined) throw new Error('search prepared no statement');
  return planOf(db, sql);
}

describe('embedded sqlite ledger search: query plans', () => {
  for (const [name, query, index] of EXPECTED_INDEX) {
    it(`searches by ${name} through ${index}, without sorting`, async () => {
      const plan = await searchPlan(query);
      expect(plan).toContain(`USING INDEX ${index}`);
      expect(plan).not.toContain('TEMP B-TREE');
    });
  }

  it('starts a deeper page inside the same index, at the cursor', async () => {
    const { db } = newDatabase();
    const store = new SqliteConsentStore(db);
    await store.append([decisionOf(subjectOf('a')), decisionOf(subjectOf('a'))], AT);
    const { next } = await store.search({ decision: 'given' }, { limit: 1 });
    const seen = recordStatements(db);
    await store.search({ decision: 'given' }, { limit: 1, after: next ?? '' });
    const plan = planOf(db, seen.at(-1) ?? '');
    expect(plan).toMatch(
      /SEARCH consent_events USING INDEX consent_events_decision \(decision=\? AND \(recorded_at,event_id\)<\(\?,\?\)\)/,
    );
    expect(plan).not.toContain('TEMP B-TREE');
  });

  it('scans in chain order along the primary key, and in recorded order along an index, never sorting', async () => {
    const { db } = newDatabase();
    const store = new SqliteConsentStore(db);
    const seen = recordStatements(db);
    const queries: LedgerQuery[] = [
      {},
      { purposeId: 'newsletter' },
      { decision: 'given', from: AT },
      { subject: subjectOf('alice'), to: AT },
    ];
    for (const query of queries) {
      for (const order of ['chain', 'recorded'] as const) {
        for await (const event of store.scan(query, order)) expect(event).toBeDefined();
      }
    }
    // The last one, one person's history in recorded order, is sorted: it is short.
    const plans = seen.map((sql) => planOf(db, sql)).slice(0, -1);
    expect(plans).toHaveLength(7);
    plans.forEach((plan, i) => {
      expect(plan).not.toContain('TEMP B-TREE');
      if (i % 2 === 0) expect(plan).toContain('sqlite_autoindex_consent_events_1');
    });
  });

  it("searches a subject by the primary key, sorting only that person's history", async () => {
    const plan = await searchPlan({ subject: subjectOf('alice') });
    expect(plan).toMatch(
      /SEARCH consent_events USING INDEX sqlite_autoindex_consent_events_1 \(subject_key=\?\)/,
    );
  });

  it('counts through an index range that holds purpose and decision, never a table scan', async () => {
    const { db } = newDatabase();
    const store = new SqliteConsentStore(db);
    const seen = recordStatements(db);
    await store.countDecisions({}, 'month');
    await store.countDecisions({ from: AT, to: AT }, 'month');
    await store.countDecisions({ purposeId: 'newsletter', from: AT }, 'day');
    const [all, period, purpose] = seen.slice(-3).map((sql) => planOf(db, sql));
    expect(all).toContain('SEARCH consent_events USING INDEX consent_events_time');
    expect(period).toContain('SEARCH consent_events USING INDEX consent_events_time');
    expect(purpose).toContain('SEARCH consent_events USING INDEX consent_events_purpose');
  });
});

describe('embedded sqlite ledger search: databases made before it', () => {
  it('adds its columns and indexes at open, idempotently, without touching an event', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'consent-bot-search-'));
    folders.push(folder);
    const [event] = await new MemoryConsentStore().append(
      [decisionOf(subjectOf('old'), { decision: 'withdrawn', conversationId: 'old-c' })],
      AT,
    );
    if (!event) throw new Error('no event');
    // The table and guards exactly as the first release made them, with one event in it.
    const old = new Database(join(folder, 'consent-bot.sqlite'));
    old.exec(`CREATE TABLE consent_events (
      subject_key TEXT NOT NULL, seq INTEGER NOT NULL, delivery_key TEXT NOT NULL,
      purpose_id TEXT NOT NULL, recorded_at TEXT NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (subject_key, seq), UNIQUE (subject_key, delivery_key));
    CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
    BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;`);
    old
      .prepare('INSERT INTO consent_events VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        'webchat|old',
        1,
        `old-c|${event.activityId}|newsletter`,
        'newsletter',
        event.recordedAt,
        JSON.stringify(event),
      );
    old.close();

    for (let round = 0; round < 2; round += 1) {
      const stores = openEmbeddedStores(folder);
      try {
        for (const query of [
          { decision: 'withdrawn' as const },
          { conversationId: 'old-c' },
          { channelId: 'webchat' },
          { catalogueVersion: event.catalogueVersion },
        ]) {
          expect((await stores.ledger.search(query, { limit: 5 })).events).toEqual([event]);
        }
        expect((await stores.ledger.search({ decision: 'given' }, { limit: 5 })).events).toEqual(
          [],
        );
      } finally {
        await stores.close();
      }
    }
  });
});

describe('embedded sqlite access log', () => {
  it('refuses to update or delete a record: append-only in the database itself', async () => {
    const { db } = newDatabase();
    const log = new SqliteAccessLog(db);
    await log.record({
      at: AT.toISOString(),
      principal: 'token:compliance:ab12',
      role: 'compliance',
      action: 'ledger.search',
      target: '*',
    });
    expect(() => db.prepare("UPDATE access_log SET principal = 'someone else'").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM access_log').run()).toThrow(/append-only/);
    expect((await log.list({}, { limit: 5 })).records).toHaveLength(1);
  });

  it('lists newest first through an index, for everyone or for one principal', async () => {
    const { db } = newDatabase();
    const log = new SqliteAccessLog(db);
    const seen = recordStatements(db);
    await log.list({}, { limit: 5 });
    await log.list({ principal: 'p', from: AT }, { limit: 5 });
    const [everyone, one] = seen.slice(-2).map((sql) => planOf(db, sql));
    expect(everyone).toContain('USING INDEX access_log_time');
    expect(one).toContain('USING INDEX access_log_principal');
    for (const plan of [everyone, one]) expect(plan).not.toContain('TEMP B-TREE');
  });
});
