import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeContactAddressesContract } from '../../test/contact-addresses-contract.js';
import { SqliteContactAddresses } from './sqlite-contact-addresses.js';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';

/** A database in a fresh folder; closing it removes the folder. */
function openFresh(folder = mkdtempSync(join(tmpdir(), 'consent-bot-addresses-'))): {
  db: SqliteDatabase;
  folder: string;
  close: () => Promise<void>;
} {
  const db = openSqliteDatabase(folder);
  return {
    db,
    folder,
    close: () => {
      db.close();
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

describeContactAddressesContract('embedded sqlite', () => {
  const { db, close } = openFresh();
  return { addresses: new SqliteContactAddresses(db), close };
});

describe('embedded sqlite contact addresses', () => {
  const subject = { channelId: 'webchat', userId: 'jane' };
  const address = { email: 'jane@example.com', verifiedAt: '2026-11-02T09:30:00.000Z' };

  it('keeps an address across close and reopen, and opening twice is harmless', async () => {
    const first = openFresh();
    await new SqliteContactAddresses(first.db).set(subject, address);
    first.db.close();
    const second = openFresh(first.folder);
    try {
      new SqliteContactAddresses(second.db);
      expect(await new SqliteContactAddresses(second.db).get(subject)).toEqual(address);
    } finally {
      await second.close();
    }
  });

  it('rejects with code STORE_UNAVAILABLE once closed, never throwing synchronously', async () => {
    const { db, close } = openFresh();
    const addresses = new SqliteContactAddresses(db);
    await close();
    const unavailable = { code: 'STORE_UNAVAILABLE' };
    let call: Promise<void> | undefined;
    expect(() => {
      call = addresses.set(subject, address);
    }).not.toThrow();
    await expect(call).rejects.toMatchObject(unavailable);
    await expect(addresses.get(subject)).rejects.toMatchObject(unavailable);
    await expect(addresses.delete(subject)).rejects.toMatchObject(unavailable);
  });
});
