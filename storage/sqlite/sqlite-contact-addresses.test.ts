import { describe, expect, it } from 'vitest';
import { openTemporarySqlite as openFresh } from '../../test/sqlite-database.js';
import { SqliteContactAddresses } from './sqlite-contact-addresses.js';

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
