import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ConsentDecision } from '../../consent/ledger.js';
import { temporaryFolder } from '../../test/harness.js';
import { holdWriteLock, tickCounter } from '../../test/sqlite-lock-holder.js';
import { attempt } from '../errors.js';
import { openEmbeddedStores } from '../stores.js';
import { openSqliteDatabase, stopWaitingInSqlite } from './sqlite-database.js';

const SUBJECT = { channelId: 'webchat', userId: 'busy-user' };

const stop: ConsentDecision = {
  subject: SUBJECT,
  purposeId: 'newsletter',
  decision: 'withdrawn',
  purposeVersion: 1,
  catalogueVersion: 'test',
  noticeHash: null,
  locale: 'en',
  channelId: 'webchat',
  conversationId: 'conv-busy',
  activityId: 'activity-stop',
  source: 'opt-out',
  explicit: false,
};

/**
 * Another process holds the database's write lock (BEGIN IMMEDIATE). better-sqlite3 is
 * synchronous: a busy_timeout would make every call sleep inside SQLite and freeze the event loop.
 * The store must wait on timers instead, and write once the lock is released.
 */
describe('the embedded store while another process holds the write lock', () => {
  it('keeps the event loop turning, and records the stop once the lock is released', async () => {
    const folder = temporaryFolder();
    const stores = openEmbeddedStores(folder.path);
    onTestFinished(async () => {
      await stores.close();
      folder.remove();
    });
    const holder = await holdWriteLock(join(folder.path, 'consent-bot.sqlite'));
    const counter = tickCounter(10);
    let settled = false;
    const appended = stores.ledger.append([stop], new Date()).finally(() => {
      settled = true;
    });
    await sleep(2000);
    const ticksWhileLocked = counter.ticks();
    // The lock is still held: the stop waits, and the loop kept turning meanwhile.
    expect(settled).toBe(false);
    expect(ticksWhileLocked).toBeGreaterThanOrEqual(50);
    // Other calls are served meanwhile too (a read needs no write lock in WAL mode).
    expect(await stores.ledger.history(SUBJECT)).toEqual([]);
    await holder.release();
    const [event] = await appended;
    counter.stop();
    expect(event).toMatchObject({ decision: 'withdrawn', seq: 1 });
    expect(await stores.ledger.history(SUBJECT)).toHaveLength(1);
  });

  it('refuses cleanly with STORE_UNAVAILABLE once its deadline has passed', async () => {
    const folder = temporaryFolder();
    const db = openSqliteDatabase(folder.path);
    stopWaitingInSqlite(db);
    db.exec('CREATE TABLE t (n INTEGER)');
    const holder = await holdWriteLock(join(folder.path, 'consent-bot.sqlite'));
    onTestFinished(async () => {
      await holder.release();
      db.close();
      folder.remove();
    });
    const counter = tickCounter(10);
    const write = attempt('write t', () => db.prepare('INSERT INTO t (n) VALUES (1)').run(), {
      deadlineMs: 600,
      firstDelayMs: 2,
      maxDelayMs: 50,
    });
    await expect(write).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    counter.stop();
    expect(counter.ticks()).toBeGreaterThanOrEqual(10);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
  });
});
