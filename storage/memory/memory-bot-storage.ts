import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { requireChanges, requireKeys } from '../bot-storage-rules.js';
import { attempt, ETagConflictError } from '../errors.js';

/**
 * Bot Framework state in memory, for tests. Items go through JSON both ways like botbuilder's
 * MemoryStorage, and a stale eTag is rejected with the same error as the durable stores.
 */
export class MemoryBotStorage implements Storage {
  readonly #items = new Map<string, { etag: string; body: string }>();

  read(keys: string[]): Promise<StoreItems> {
    return attempt('read bot state', () => {
      const items: StoreItems = {};
      for (const key of requireKeys(keys, 'reading')) {
        const stored = this.#items.get(key);
        if (stored) items[key] = { ...(JSON.parse(stored.body) as object), eTag: stored.etag };
      }
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    // Through attempt() so a conflict rejects the promise, as the durable stores do, not throws.
    return attempt('write bot state', () => {
      const entries = Object.entries(requireChanges(changes)).map(([key, item]) => {
        const { eTag, ...body } = (item ?? {}) as { eTag?: string };
        if (eTag !== undefined && eTag !== '*' && this.#items.get(key)?.etag !== eTag) {
          throw new ETagConflictError(`Storage: eTag conflict on write for key "${key}"`);
        }
        return [key, { etag: randomUUID(), body: JSON.stringify(body) }] as const;
      });
      for (const [key, stored] of entries) this.#items.set(key, stored);
    });
  }

  delete(keys: string[]): Promise<void> {
    return attempt('delete bot state', () => {
      for (const key of requireKeys(keys, 'deleting')) this.#items.delete(key);
    });
  }
}
