import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingConfirmationOf } from '../../consent/confirmations.js';
import { suppressionEntriesFor } from '../../consent/suppression.js';
import { openTemporarySqlite as openFresh } from '../../test/sqlite-database.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqlitePendingConfirmations } from './sqlite-pending-confirmations.js';
import { SqliteSuppressionList } from './sqlite-suppression-list.js';

describe('embedded sqlite: suppression and confirmations on disk', () => {
  const AT = new Date('2026-11-02T09:30:00.000Z');
  const SECRET = 'sqlite-suppression-test-secret-0123';

  it('keeps both across close and reopen of the same folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'consent-bot-suppression-'));
    try {
      const subject = { channelId: 'webchat', userId: 'jane' };
      const entries = suppressionEntriesFor(
        SECRET,
        { subject, emails: ['jane@example.com'] },
        'erasure',
        AT,
      );
      const { confirmation } = pendingConfirmationOf(
        { subject, purposeId: 'newsletter', email: 'jane@example.com', locale: 'en' },
        AT,
      );
      const first = openSqliteDatabase(folder);
      await new SqliteSuppressionList(first).add(entries);
      await new SqlitePendingConfirmations(first).create(confirmation);
      first.close();

      const second = openSqliteDatabase(folder);
      try {
        expect(await new SqliteSuppressionList(second).anyOf(entries.map((e) => e.hash))).toEqual(
          entries,
        );
        expect(
          await new SqlitePendingConfirmations(second).consume(confirmation.tokenHash, AT),
        ).toEqual(confirmation);
      } finally {
        second.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('stores the token hash only, never the token', async () => {
    const { db, close } = openFresh();
    try {
      const { token, confirmation } = pendingConfirmationOf(
        {
          subject: { channelId: 'webchat', userId: 'jane' },
          purposeId: 'newsletter',
          email: 'j@example.com',
          locale: 'fr',
        },
        AT,
      );
      await new SqlitePendingConfirmations(db).create(confirmation);
      const rows = JSON.stringify(db.prepare('SELECT * FROM pending_confirmations').all());
      expect(rows).toContain(confirmation.tokenHash);
      expect(rows).not.toContain(token);
    } finally {
      await close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE once closed, never throwing synchronously', async () => {
    const { db, close } = openFresh();
    const suppression = new SqliteSuppressionList(db);
    const confirmations = new SqlitePendingConfirmations(db);
    await close();
    const unavailable = { code: 'STORE_UNAVAILABLE' };
    const subject = { channelId: 'webchat', userId: 'jane' };
    const { confirmation } = pendingConfirmationOf(
      { subject, purposeId: 'newsletter', email: 'j@example.com', locale: 'en' },
      AT,
    );
    await expect(
      suppression.add(suppressionEntriesFor(SECRET, { subject }, 'opt-out', AT)),
    ).rejects.toMatchObject(unavailable);
    await expect(suppression.anyOf(['a'.repeat(64)])).rejects.toMatchObject(unavailable);
    await expect(confirmations.create(confirmation)).rejects.toMatchObject(unavailable);
    await expect(confirmations.consume(confirmation.tokenHash, AT)).rejects.toMatchObject(
      unavailable,
    );
    await expect(confirmations.takeExpired(AT)).rejects.toMatchObject(unavailable);
    await expect(confirmations.deleteForSubject(subject)).rejects.toMatchObject(unavailable);
  });
});
