import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Collection, Db } from 'mongodb';
import { ETagConflictError } from '../errors.js';
import { isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/** Items are kept as JSON text: their keys may contain "." or start with "$". */
interface StateDocument {
  _id: string;
  etag: string;
  body: string;
}

/**
 * Bot Framework conversation state on MongoDB with real optimistic concurrency: a write with a
 * stale eTag matches no document and is rejected, so two servers never silently overwrite a turn.
 */
export class MongoBotStorage implements Storage {
  readonly #state: Collection<StateDocument>;

  constructor(db: Db) {
    this.#state = db.collection<StateDocument>('bot_state');
  }

  read(keys: string[]): Promise<StoreItems> {
    return mongoAttempt('read bot state', async () => {
      const items: StoreItems = {};
      if (keys.length === 0) return items;
      for (const doc of await this.#state.find({ _id: { $in: keys } }).toArray()) {
        items[doc._id] = { ...(JSON.parse(doc.body) as object), eTag: doc.etag };
      }
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    return mongoAttempt('write bot state', async () => {
      const entries = Object.entries(changes).map(([key, item]) => {
        const { eTag, ...body } = (item ?? {}) as { eTag?: string };
        return { key, eTag, body: JSON.stringify(body) };
      });
      // Check every eTag before writing any item, so a batch with one stale item writes nothing.
      const conditional = entries.filter((e) => e.eTag !== undefined && e.eTag !== '*');
      if (conditional.length > 0) {
        const current = new Map(
          (
            await this.#state
              .find({ _id: { $in: conditional.map((e) => e.key) } }, { projection: { etag: 1 } })
              .toArray()
          ).map((doc) => [doc._id, doc.etag]),
        );
        const stale = conditional.find((e) => current.get(e.key) !== e.eTag);
        if (stale) throw conflict(stale.key);
      }
      for (const entry of entries) {
        const next = { etag: randomUUID(), body: entry.body };
        if (entry.eTag === undefined || entry.eTag === '*') {
          await this.#state.replaceOne({ _id: entry.key }, next, { upsert: true });
          continue;
        }
        try {
          const result = await this.#state.updateOne(
            { _id: entry.key, etag: entry.eTag },
            { $set: next },
          );
          if (result.matchedCount === 0) throw conflict(entry.key);
        } catch (error) {
          if (isDuplicateKey(error)) throw conflict(entry.key);
          throw error;
        }
      }
    });
  }

  delete(keys: string[]): Promise<void> {
    return mongoAttempt('delete bot state', async () => {
      if (keys.length > 0) await this.#state.deleteMany({ _id: { $in: keys } });
    });
  }
}

function conflict(key: string): ETagConflictError {
  return new ETagConflictError(`Storage: eTag conflict on write for key "${key}"`);
}
