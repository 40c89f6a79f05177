import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { requireChanges, requireKeys } from '../bot-storage-rules.js';
import { attempt, ETagConflictError } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Bot Framework conversation state on the embedded store, with real optimistic concurrency: an
 * item written with a stale eTag is rejected (the stock BotState writes with "*" and would silently
 * lose a concurrent turn).
 */
export class SqliteBotStorage implements Storage {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS bot_state (
      key  TEXT PRIMARY KEY,
      etag TEXT NOT NULL,
      body TEXT NOT NULL
    )`);
  }

  read(keys: string[]): Promise<StoreItems> {
    return attempt('read bot state', () => {
      requireKeys(keys, 'reading');
      const select = this.#db.prepare<[string], { etag: string; body: string }>(
        'SELECT etag, body FROM bot_state WHERE key = ?',
      );
      const items: StoreItems = {};
      for (const key of keys) {
        const row = select.get(key);
        if (row) items[key] = { ...(JSON.parse(row.body) as object), eTag: row.etag };
      }
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    // Statements are prepared inside attempt(): on a closed database, prepare() throws, and that
    // must reject with STORE_UNAVAILABLE like every other call, not throw synchronously.
    return attempt('write bot state', () => {
      this.#writeAll(requireChanges(changes));
    });
  }

  #writeAll(changes: StoreItems): void {
    const select = this.#db.prepare<[string], { etag: string }>(
      'SELECT etag FROM bot_state WHERE key = ?',
    );
    const upsert = this.#db.prepare(
      `INSERT INTO bot_state (key, etag, body) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, body = excluded.body`,
    );
    const writeAll = this.#db.transaction((entries: [string, unknown][]) => {
      for (const [key, item] of entries) {
        const { eTag, ...body } = (item ?? {}) as { eTag?: string };
        if (eTag !== undefined && eTag !== '*') {
          const stored = select.get(key);
          if (stored?.etag !== eTag) {
            throw new ETagConflictError(`Storage: eTag conflict on write for key "${key}"`);
          }
        }
        upsert.run(key, randomUUID(), JSON.stringify(body));
      }
    });
    writeAll.immediate(Object.entries(changes));
  }

  delete(keys: string[]): Promise<void> {
    return attempt('delete bot state', () => {
      requireKeys(keys, 'deleting');
      const remove = this.#db.prepare('DELETE FROM bot_state WHERE key = ?');
      for (const key of keys) remove.run(key);
    });
  }
}
