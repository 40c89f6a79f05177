import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTemporarySqlite } from '../../test/sqlite-database.js';
import { activityOf } from '../../test/transcript-contract.js';
import { SqliteConsentStore } from './sqlite-consent-store.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteTranscriptStore } from './sqlite-transcript-store.js';

/** The transcript store on a database in a temporary folder (or reopened in `folder`). */
function openInFolder(folder?: string) {
  const opened = openTemporarySqlite(folder);
  return { ...opened, store: new SqliteTranscriptStore(opened.db) };
}

describe('embedded sqlite transcripts', () => {
  it('keeps transcripts across close and reopen of the same folder', async () => {
    const first = openInFolder();
    const activity = activityOf('webchat', 'kept');
    await first.store.logActivity(activity);
    first.db.close();
    const second = openInFolder(first.folder);
    try {
      const page = await second.store.getTranscriptActivities('webchat', 'kept');
      expect(JSON.parse(JSON.stringify(page.items))).toEqual(
        JSON.parse(JSON.stringify([activity])),
      );
    } finally {
      await second.close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE once closed, never throwing synchronously', async () => {
    const opened = openInFolder();
    await opened.close();
    const unavailable = { code: 'STORE_UNAVAILABLE' };
    const { store } = opened;
    let logged: Promise<void> | undefined;
    expect(() => {
      logged = store.logActivity(activityOf('webchat', 'c'));
    }).not.toThrow();
    await expect(logged).rejects.toMatchObject(unavailable);
    await expect(store.getTranscriptActivities('webchat', 'c')).rejects.toMatchObject(unavailable);
    await expect(store.listTranscripts('webchat')).rejects.toMatchObject(unavailable);
    await expect(store.deleteTranscript('webchat', 'c')).rejects.toMatchObject(unavailable);
    await expect(store.deleteOlderThan(new Date())).rejects.toMatchObject(unavailable);
    await expect(store.activitiesOfUser('webchat', 'u')).rejects.toMatchObject(unavailable);
    await expect(store.deleteForUser('webchat', 'u')).rejects.toMatchObject(unavailable);
  });

  it('upgrades a table made before the participant columns, finding the rows already there', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'consent-bot-transcripts-'));
    const old = openSqliteDatabase(folder);
    const legacy = activityOf('webchat', 'old', { from: { id: "jane's", name: 'Customer' } });
    // The schema and a row as an earlier version wrote them.
    old.exec(`CREATE TABLE transcript_activities (
      seq INTEGER PRIMARY KEY, channel_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
      ts INTEGER NOT NULL, body TEXT NOT NULL)`);
    old
      .prepare(
        'INSERT INTO transcript_activities (channel_id, conversation_id, ts, body) VALUES (?, ?, ?, ?)',
      )
      .run('webchat', 'old', legacy.timestamp?.getTime(), JSON.stringify(legacy));
    old.close();
    const opened = openInFolder(folder);
    try {
      new SqliteTranscriptStore(opened.db);
      const found = await opened.store.activitiesOfUser('webchat', "jane's");
      expect(found.map((a) => a.id)).toEqual([legacy.id]);
      // Through the participant indexes, not a scan, even with no statistics (no ANALYZE).
      const plan = JSON.stringify(
        opened.db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT body FROM transcript_activities WHERE seq IN (
               SELECT seq FROM transcript_activities WHERE channel_id = 'w' AND from_id = 'x'
               UNION ALL
               SELECT seq FROM transcript_activities WHERE channel_id = 'w' AND recipient_id = 'x')`,
          )
          .all(),
      );
      expect(plan).toContain('transcript_activities_from');
      expect(plan).toContain('transcript_activities_recipient');
      expect(await opened.store.deleteForUser('webchat', "jane's")).toBe(1);
    } finally {
      await opened.close();
    }
  });

  it('shares the database with the ledger, and opening it twice is harmless', async () => {
    const opened = openInFolder();
    try {
      const ledger = new SqliteConsentStore(opened.db);
      const again = new SqliteTranscriptStore(opened.db);
      await opened.store.logActivity(activityOf('webchat', 'shared'));
      expect((await again.getTranscriptActivities('webchat', 'shared')).items).toHaveLength(1);
      expect(await ledger.history({ channelId: 'webchat', userId: 'user-1' })).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
