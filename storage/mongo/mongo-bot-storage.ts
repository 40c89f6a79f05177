import type { Storage, StoreItems } from 'botbuilder';
import type { Collection, Db } from 'mongodb';
import { requireChanges, requireKeys } from '../bot-storage-rules.js';
import { ETagConflictError } from '../errors.js';
import { DURABLE, isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/**
 * One version of one item. `_id` is key#version, so two writers of the same next version cannot
 * both succeed. The item is kept as JSON text: its keys may contain "." or start with "$".
 */
interface VersionDocument {
  _id: string;
  key: string;
  version: number;
  body: string;
}

/** Unconditional writers racing each other retry; conditional ones lose with a conflict. */
const UNCONDITIONAL_ATTEMPTS = 10;

/**
 * Bot Framework conversation state on MongoDB with real optimistic concurrency. The eTag is the
 * item's version, and a write inserts the next version. FerretDB v1 does not apply a conditional
 * update atomically (it checks the filter, then writes by _id), so a compare-and-set on an etag
 * field would let two servers both "win" a turn; an insert against a unique _id cannot.
 */
export class MongoBotStorage implements Storage {
  readonly #versions: Collection<VersionDocument>;

  constructor(db: Db) {
    this.#versions = db.collection<VersionDocument>('bot_state');
  }

  async ensureIndexes(): Promise<void> {
    await mongoAttempt('create bot state indexes', async () => {
      await this.#versions.createIndex({ key: 1, version: -1 });
    });
  }

  read(keys: string[]): Promise<StoreItems> {
    return mongoAttempt('read bot state', async () => {
      const items: StoreItems = {};
      for (const key of requireKeys(keys, 'reading')) {
        const doc = await this.#current(key);
        if (doc) items[key] = { ...(JSON.parse(doc.body) as object), eTag: String(doc.version) };
      }
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    return mongoAttempt('write bot state', async () => {
      const entries = Object.entries(requireChanges(changes)).map(([key, item]) => {
        const { eTag, ...body } = (item ?? {}) as { eTag?: string };
        const conditional = eTag !== undefined && eTag !== '*';
        return { key, expected: conditional ? eTag : undefined, body: JSON.stringify(body) };
      });
      // Every eTag is checked before any item is written: a batch with a stale one writes nothing.
      for (const entry of entries) {
        if (entry.expected === undefined) continue;
        const current = await this.#current(entry.key);
        if (String(current?.version) !== entry.expected) throw conflict(entry.key);
      }
      for (const entry of entries) await this.#writeOne(entry.key, entry.expected, entry.body);
    });
  }

  delete(keys: string[]): Promise<void> {
    return mongoAttempt('delete bot state', async () => {
      requireKeys(keys, 'deleting');
      if (keys.length > 0) await this.#versions.deleteMany({ key: { $in: keys } }, DURABLE);
    });
  }

  async #current(key: string): Promise<VersionDocument | null> {
    return this.#versions.findOne({ key }, { sort: { version: -1 } });
  }

  async #writeOne(key: string, expected: string | undefined, body: string): Promise<void> {
    for (let attempt = 1; attempt <= UNCONDITIONAL_ATTEMPTS; attempt++) {
      const base =
        expected === undefined ? ((await this.#current(key))?.version ?? 0) : Number(expected);
      const version = base + 1;
      try {
        await this.#versions.insertOne({ _id: `${key}#${version}`, key, version, body }, DURABLE);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (expected !== undefined) throw conflict(key);
        continue;
      }
      // Older versions are history nobody reads; a delete is safe to race.
      await this.#versions.deleteMany({ key, version: { $lt: version } });
      return;
    }
    throw conflict(key);
  }
}

function conflict(key: string): ETagConflictError {
  return new ETagConflictError(`Storage: eTag conflict on write for key "${key}"`);
}
