import type { Storage, StoreItems } from 'botbuilder';
import type { Collection, Db } from 'mongodb';
import { requireChanges, requireKeys } from '../bot-storage-rules.js';
import { ETagConflictError } from '../errors.js';
import { DURABLE, isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/**
 * One version of one item. `_id` is key#version, so two writers of the same next version cannot
 * both succeed. The item is kept as JSON text: its keys may contain "." or start with "$".
 * A delete is a version too, a tombstone without a body: the version counter of a key never
 * restarts, so an eTag is never given twice for one key (a write carrying an eTag read before the
 * delete would otherwise match the re-created item). Documents written before tombstones existed
 * have no `deleted` field and read as they always did.
 */
interface VersionDocument {
  _id: string;
  key: string;
  version: number;
  body?: string;
  deleted?: true;
}

/** Unconditional writers (and deletes) racing each other retry; conditional ones lose with a conflict. */
const UNCONDITIONAL_ATTEMPTS = 10;

/**
 * Bot Framework conversation state on MongoDB with real optimistic concurrency. The eTag is the
 * item's version, and every change, a delete included, inserts the next version. FerretDB v1 does
 * not apply a conditional update atomically (it checks the filter, then writes by _id), so a
 * compare-and-set on an etag field would let two servers both "win" a turn; an insert against a
 * unique _id cannot. Because a delete also takes the next version, a write that checked its eTag
 * just before a concurrent delete loses on that insert instead of landing on the re-created item.
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
        if (doc && !doc.deleted && doc.body !== undefined) {
          items[key] = { ...(JSON.parse(doc.body) as object), eTag: String(doc.version) };
        }
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
        if (!current || current.deleted || String(current.version) !== entry.expected) {
          throw conflict(entry.key);
        }
      }
      for (const entry of entries) {
        await this.#insertNext(entry.key, entry.expected, { body: entry.body });
      }
    });
  }

  delete(keys: string[]): Promise<void> {
    return mongoAttempt('delete bot state', async () => {
      for (const key of requireKeys(keys, 'deleting')) {
        const current = await this.#current(key);
        // Nothing stored, or already deleted: nothing to do. Never stored means no eTag was ever
        // given, so there is no counter to keep.
        if (!current || current.deleted) continue;
        await this.#insertNext(key, undefined, { deleted: true });
      }
    });
  }

  async #current(key: string): Promise<VersionDocument | null> {
    return this.#versions.findOne({ key }, { sort: { version: -1 } });
  }

  /**
   * Inserts the version after `expected` (a conditional write: losing the insert is a conflict),
   * or after whatever is current (unconditional: a lost insert is retried on the new current).
   */
  async #insertNext(
    key: string,
    expected: string | undefined,
    content: { body: string } | { deleted: true },
  ): Promise<void> {
    for (let attempt = 1; attempt <= UNCONDITIONAL_ATTEMPTS; attempt++) {
      const base =
        expected === undefined ? ((await this.#current(key))?.version ?? 0) : Number(expected);
      const version = base + 1;
      try {
        await this.#versions.insertOne(
          { _id: `${key}#${version}`, key, version, ...content },
          DURABLE,
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (expected !== undefined) throw conflict(key);
        continue;
      }
      // Older versions are history nobody reads, and after a delete they hold what was erased;
      // a delete is safe to race. The newest version, a tombstone included, stays: it is the
      // counter the next write continues from.
      await this.#versions.deleteMany({ key, version: { $lt: version } }, DURABLE);
      return;
    }
    throw conflict(key);
  }
}

function conflict(key: string): ETagConflictError {
  return new ETagConflictError(`Storage: eTag conflict on write for key "${key}"`);
}
