import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StoreItem } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../consent/chain.js';
import type { ConsentEvent } from '../../consent/ledger.js';
import { subjectKey } from '../../consent/subject.js';
import { decisionOf, subjectOf } from '../../test/storage-contract.js';
import { openEmbeddedStores, type StoreOptions, type Stores } from '../stores.js';

const AT = new Date('2026-11-02T09:30:00.000Z');
const DATABASE_FILE = 'consent-bot.sqlite';

/** Every folder made here, removed after each test (stores are closed first). */
const folders: string[] = [];
const opened: Stores[] = [];

function newFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'consent-bot-sqlite-'));
  folders.push(folder);
  return folder;
}

function open(folder: string, options?: StoreOptions): Stores {
  const stores = openEmbeddedStores(folder, options);
  opened.push(stores);
  return stores;
}

afterEach(async () => {
  for (const stores of opened.splice(0)) await stores.close().catch(() => undefined);
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('embedded sqlite: durability and tamper resistance', () => {
  it('keeps ledger, notices and bot state across close and reopen of the same folder', async () => {
    const folder = newFolder();
    const alice = subjectOf('alice');
    const first = open(folder);
    const appended = await first.ledger.append(
      [
        decisionOf(alice, { purposeId: 'newsletter' }),
        decisionOf(alice, { purposeId: 'location' }),
      ],
      AT,
    );
    const notice = {
      hash: 'b'.repeat(64),
      purposeId: 'newsletter',
      purposeVersion: 1,
      catalogueVersion: '2026-11-01',
      locale: 'fr' as const,
      text: 'Newsletter hebdomadaire « é »',
    };
    await first.notices.archive(notice);
    await first.botState.write({ 'webchat/conversation-1': { step: 'asking', pending: ['x'] } });
    const written = (await first.botState.read(['webchat/conversation-1']))[
      'webchat/conversation-1'
    ] as StoreItem | undefined;
    const etag = written?.eTag;
    await first.close();

    const second = open(folder);
    expect(await second.ledger.history(alice)).toEqual(appended);
    expect(await second.notices.get(notice.hash)).toEqual(notice);
    expect(await second.botState.read(['webchat/conversation-1'])).toEqual({
      'webchat/conversation-1': { step: 'asking', pending: ['x'], eTag: etag },
    });
    const [next] = await second.ledger.append([decisionOf(alice)], AT);
    expect(next?.seq).toBe(3);
  });

  it('shows tampering by someone who bypasses the triggers: the hash chain breaks there', async () => {
    const folder = newFolder();
    const alice = subjectOf('alice');
    const stores = open(folder);
    for (const decision of ['given', 'given', 'withdrawn'] as const) {
      await stores.ledger.append([decisionOf(alice, { decision })], AT);
    }
    await stores.close();

    // Someone with file access drops the guard and turns the withdrawal into a consent.
    const db = new Database(join(folder, DATABASE_FILE));
    try {
      db.exec('DROP TRIGGER consent_events_no_update');
      const row = db.prepare('SELECT body FROM consent_events WHERE seq = 3').get() as {
        body: string;
      };
      const forged = { ...(JSON.parse(row.body) as ConsentEvent), decision: 'given' };
      db.prepare('UPDATE consent_events SET body = ? WHERE seq = 3').run(JSON.stringify(forged));
    } finally {
      db.close();
    }

    const reopened = open(folder);
    const history = await reopened.ledger.history(alice);
    expect(history.at(-1)?.decision).toBe('given');
    expect(verifyChain(history)).toEqual([{ kind: 'altered', seq: 3, eventId: history[2]?.id }]);
    await reopened.close();
  });

  it('reads status from the append-only events only: a forged "latest" row changes nothing', async () => {
    const folder = newFolder();
    const alice = subjectOf('alice');
    const stores = open(folder);
    await stores.ledger.append([decisionOf(alice, { purposeId: 'newsletter' })], AT);
    await stores.ledger.append(
      [decisionOf(alice, { purposeId: 'newsletter', decision: 'withdrawn' })],
      AT,
    );
    await stores.ledger.append([decisionOf(alice, { purposeId: 'analytics' })], AT);
    const [given] = await stores.ledger.history(alice);
    await stores.close();
    // A database administrator, or a database from an earlier version that kept a mutable table of
    // current statuses, says "given" where the person withdrew.
    const db = new Database(join(folder, DATABASE_FILE));
    db.exec(`CREATE TABLE consent_latest (subject_key TEXT, purpose_id TEXT, seq INTEGER, body TEXT,
      PRIMARY KEY (subject_key, purpose_id))`);
    db.prepare('INSERT INTO consent_latest VALUES (?, ?, ?, ?)').run(
      subjectKey(alice),
      'newsletter',
      99,
      JSON.stringify({ ...given, seq: 99 }),
    );
    db.close();

    const reopened = open(folder);
    const latest = await reopened.ledger.latest(alice);
    expect(latest.map((e) => [e.purposeId, e.decision, e.seq])).toEqual([
      ['newsletter', 'withdrawn', 2],
      ['analytics', 'given', 3],
    ]);
    await reopened.close();
    const after = new Database(join(folder, DATABASE_FILE));
    const tables = after
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => row.name);
    after.close();
    expect(tables).not.toContain('consent_latest');
  });

  it('refuses an UPDATE or DELETE of consent_events at the database itself', async () => {
    const folder = newFolder();
    const alice = subjectOf('alice');
    const stores = open(folder);
    await stores.ledger.append([decisionOf(alice)], AT);
    await stores.close();

    const db = new Database(join(folder, DATABASE_FILE));
    try {
      expect(() => db.prepare("UPDATE consent_events SET body = '{}' WHERE seq = 1").run()).toThrow(
        /append-only/,
      );
      expect(() => db.prepare('DELETE FROM consent_events').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE notices SET body = '{}'").run()).not.toThrow(); // no rows
      const { count } = db.prepare('SELECT COUNT(*) AS count FROM consent_events').get() as {
        count: number;
      };
      expect(count).toBe(1);
    } finally {
      db.close();
    }
    const reopened = open(folder);
    expect(await reopened.ledger.history(alice)).toHaveLength(1);
  });

  it('refuses an UPDATE or DELETE of an archived notice at the database itself', async () => {
    const folder = newFolder();
    const stores = open(folder);
    await stores.notices.archive({
      hash: 'c'.repeat(64),
      purposeId: 'newsletter',
      purposeVersion: 1,
      catalogueVersion: '2026-11-01',
      locale: 'en',
      text: 'The exact text.',
    });
    await stores.close();
    const db = new Database(join(folder, DATABASE_FILE));
    try {
      expect(() => db.prepare("UPDATE notices SET body = '{}'").run()).toThrow(/immutable/);
      expect(() => db.prepare('DELETE FROM notices').run()).toThrow(/immutable/);
      const { count } = db.prepare('SELECT COUNT(*) AS count FROM notices').get() as {
        count: number;
      };
      expect(count).toBe(1);
    } finally {
      db.close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE once closed, never throwing synchronously', async () => {
    const stores = open(newFolder());
    const alice = subjectOf('alice');
    await stores.close();
    const unavailable = { code: 'STORE_UNAVAILABLE' };
    await expect(stores.ledger.append([decisionOf(alice)], AT)).rejects.toMatchObject(unavailable);
    await expect(stores.ledger.history(alice)).rejects.toMatchObject(unavailable);
    await expect(stores.notices.get('x')).rejects.toMatchObject(unavailable);
    await expect(stores.botState.read(['k'])).rejects.toMatchObject(unavailable);
    let write: Promise<void> | undefined;
    expect(() => {
      write = stores.botState.write({ k: { v: 1 } });
    }).not.toThrow();
    await expect(write).rejects.toMatchObject(unavailable);
    await expect(stores.botState.delete(['k'])).rejects.toMatchObject(unavailable);
  });
});

describe('embedded sqlite: two instances on one folder', () => {
  it('gives interleaved appends of two instances seqs 1..n without gap or duplicate', async () => {
    const folder = newFolder();
    const one = open(folder);
    const two = open(folder);
    const alice = subjectOf('alice');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? one : two).ledger.append(
          [decisionOf(alice, { activityId: `two-instances-${i}` })],
          AT,
        ),
      ),
    );
    const n = 30;
    const expected = Array.from({ length: n }, (_, i) => i + 1);
    expect(
      results
        .flat()
        .map((e) => e.seq)
        .sort((a, b) => a - b),
    ).toEqual(expected);
    expect((await one.ledger.history(alice)).map((e) => e.seq)).toEqual(expected);
    expect((await two.ledger.history(alice)).map((e) => e.seq)).toEqual(expected);
  });

  it('gives appends from two threads running at the same time seqs 1..n', async () => {
    const folder = newFolder();
    // Creates the schema once, so both threads start from the same database.
    const stores = open(folder);
    const perThread = 40;
    // better-sqlite3 is synchronous: only two threads, each with its own connection, truly race.
    const start = new Int32Array(new SharedArrayBuffer(4));
    const storesModule = new URL('../stores.ts', import.meta.url).href;
    const decision = decisionOf(subjectOf('alice'));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        // Resolved from the project folder, where vitest runs: tsx loads the TypeScript stores.
        const { register } = await import('tsx/esm/api');
        register();
        const { openEmbeddedStores } = await import(workerData.storesModule);
        const stores = openEmbeddedStores(workerData.folder);
        parentPort.postMessage({ ready: true });
        Atomics.wait(workerData.start, 0, 0);
        const seqs = [];
        for (let i = 0; i < workerData.perThread; i++) {
          const [event] = await stores.ledger.append(
            [{ ...workerData.decision, activityId: workerData.name + '-' + i }],
            new Date(),
          );
          seqs.push(event.seq);
        }
        await stores.close();
        parentPort.postMessage({ seqs });
      })().catch((error) => parentPort.postMessage({ error: String(error && error.stack) }));
    `;
    const run = (name: string) => {
      const worker = new Worker(code, {
        eval: true,
        workerData: { storesModule, decision, folder, perThread, start, name },
      });
      const messages = new Promise<number[]>((resolve, reject) => {
        worker.on('message', (message: { ready?: true; seqs?: number[]; error?: string }) => {
          if (message.ready) markReady();
          else if (message.seqs) resolve(message.seqs);
          else reject(new Error(message.error));
        });
        worker.on('error', reject);
      });
      let markReady: () => void = () => undefined;
      // A thread that fails before it is ready must fail the test, not leave it waiting.
      const ready = Promise.race([
        new Promise<void>((resolve) => (markReady = resolve)),
        messages.then(() => undefined),
      ]);
      const done = messages;
      return { ready, done };
    };
    const threads = [run('thread-a'), run('thread-b')];
    await Promise.all(threads.map((t) => t.ready));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const [a, b] = await Promise.all(threads.map((t) => t.done));

    const n = perThread * 2;
    const expected = Array.from({ length: n }, (_, i) => i + 1);
    expect([...(a ?? []), ...(b ?? [])].sort((x, y) => x - y)).toEqual(expected);
    const history: readonly ConsentEvent[] = await stores.ledger.history(subjectOf('alice'));
    expect(history.map((e) => e.seq)).toEqual(expected);
    expect(new Set(history.map((e) => e.activityId)).size).toBe(n);
  });
});
