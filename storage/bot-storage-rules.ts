import type { StoreItems } from 'botbuilder';

/**
 * Arguments of botbuilder's `Storage`, checked the same way on every backend. A bad one is the
 * caller's mistake: a RangeError, which `attempt` and `mongoAttempt` pass through, so it is never
 * reported as STORE_UNAVAILABLE. Each store checks inside its promise, so the call rejects and
 * never throws (botbuilder's own MemoryStorage rejects too).
 */

/** Keys of a read or a delete: an array of strings. A string alone would be iterated by character. */
export function requireKeys(keys: unknown, when: 'reading' | 'deleting'): readonly string[] {
  if (!Array.isArray(keys)) {
    throw new RangeError(`Storage: keys are required when ${when}: an array of strings`);
  }
  for (const key of keys as unknown[]) {
    if (typeof key !== 'string') {
      throw new RangeError(`Storage: every key must be a string when ${when}`);
    }
  }
  return keys as string[];
}

/**
 * Changes of a write: an object of items by key. An empty array is taken as no changes, as
 * botbuilder callers pass it and expect no error.
 */
export function requireChanges(changes: unknown): StoreItems {
  if (typeof changes !== 'object' || changes === null) {
    throw new RangeError('Storage: changes are required when writing: an object of items by key');
  }
  return changes;
}
