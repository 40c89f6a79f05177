import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activityOf, describeTranscriptStoreContract } from '../../test/transcript-contract.js';
import { SqliteConsentStore } from './sqlite-consent-store.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteTranscriptStore } from './sqlite-transcript-store.js';

function openInFolder(folder = mkdtempSync(join(tmpdir(), 'consent-bot-transcripts-'))) {
  const db = openSqliteDatabase(folder);
  return {
    folder,
    db,
    store: new SqliteTranscriptStore(db),
    close: () => {
      db.close();
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

describeTranscriptStoreContract('embedded sqlite', () => Promise.resolve(openInFolder()));

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
