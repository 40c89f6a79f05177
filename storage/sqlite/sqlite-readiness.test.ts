import { describe, expect, it, onTestFinished } from 'vitest';
import { temporaryFolder } from '../../test/harness.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteReadiness } from './sqlite-readiness.js';

describe('the embedded store readiness probe', () => {
  it('passes while a durable write works, and fails with STORE_UNAVAILABLE when writes fail', async () => {
    const folder = temporaryFolder();
    const db = openSqliteDatabase(folder.path);
    onTestFinished(() => {
      db.close();
      folder.remove();
    });
    const probe = new SqliteReadiness(db);
    await expect(probe.check()).resolves.toBeUndefined();
    await expect(probe.check()).resolves.toBeUndefined();
    // Reads still work, writes are refused: what a full disk or a read-only volume looks like.
    db.pragma('query_only = ON');
    await expect(probe.check()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    db.pragma('query_only = OFF');
    await expect(probe.check()).resolves.toBeUndefined();
    // One row, rewritten: the probe never grows the database.
    expect(db.prepare('SELECT COUNT(*) AS n FROM readiness_probe').get()).toEqual({ n: 1 });
  });
});
