import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTemporarySqlite as openFresh } from '../../test/sqlite-database.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteOptOutReasons } from './sqlite-opt-out-reasons.js';

describe('embedded sqlite: opt-out reasons on disk', () => {
  const AT = new Date('2026-11-02T09:30:12.345Z');

  it('keeps a count per day and reason, and nothing else: no time, no order of arrival', async () => {
    const { db, close } = openFresh();
    try {
      const reasons = new SqliteOptOutReasons(db);
      await reasons.record('privacy-worries', AT);
      await reasons.record('other', new Date(AT.getTime() + 60_000));
      await reasons.record('privacy-worries', new Date(AT.getTime() + 120_000));
      const columns = db
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('opt_out_reasons')")
        .all()
        .map((c) => c.name);
      expect(columns).toEqual(['day', 'reason', 'count']);
      expect(db.prepare('SELECT * FROM opt_out_reasons ORDER BY reason').all()).toEqual([
        { day: '2026-11-02', reason: 'other', count: 1 },
        { day: '2026-11-02', reason: 'privacy-worries', count: 2 },
      ]);
      expect(JSON.stringify(db.prepare('SELECT * FROM opt_out_reasons').all())).not.toContain(
        '09:3',
      );
    } finally {
      await close();
    }
  });

  it('keeps the counts across close and reopen of the same folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'consent-bot-reasons-'));
    try {
      const first = openSqliteDatabase(folder);
      await new SqliteOptOutReasons(first).record('not-relevant', AT);
      first.close();
      const second = openSqliteDatabase(folder);
      try {
        const reasons = new SqliteOptOutReasons(second);
        await reasons.record('not-relevant', AT);
        expect(await reasons.summary(AT, AT)).toEqual([
          { day: '2026-11-02', reason: 'not-relevant', count: 2 },
        ]);
      } finally {
        second.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('counts every answer of two connections writing at once', async () => {
    const { db, folder, close } = openFresh();
    const other = openSqliteDatabase(folder);
    try {
      const one = new SqliteOptOutReasons(db);
      const two = new SqliteOptOutReasons(other);
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? one : two).record('other', AT)),
      );
      expect(await one.summary(AT, AT)).toEqual([
        { day: '2026-11-02', reason: 'other', count: 50 },
      ]);
    } finally {
      other.close();
      await close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE once closed, never throwing synchronously', async () => {
    const { db, close } = openFresh();
    const reasons = new SqliteOptOutReasons(db);
    await close();
    const unavailable = { code: 'STORE_UNAVAILABLE' };
    await expect(reasons.record('other', AT)).rejects.toMatchObject(unavailable);
    await expect(reasons.summary(AT, AT)).rejects.toMatchObject(unavailable);
  });
});
