import {
  checkSuppressionEntry,
  type SuppressionEntry,
  type SuppressionList,
} from '../../consent/suppression.js';
import { attempt } from '../errors.js';

/** The suppression list in memory, for tests. Entries go through JSON both ways. */
export class MemorySuppressionList implements SuppressionList {
  readonly #entries = new Map<string, string>();

  add(entries: readonly SuppressionEntry[]): Promise<void> {
    // Through attempt() so a bad entry rejects the promise, as the durable stores do.
    return attempt('add suppression entries', () => {
      for (const entry of entries) checkSuppressionEntry(entry);
      for (const { hash, kind, reason, addedAt } of entries) {
        if (!this.#entries.has(hash)) {
          this.#entries.set(hash, JSON.stringify({ hash, kind, reason, addedAt }));
        }
      }
    });
  }

  anyOf(hashes: readonly string[]): Promise<readonly SuppressionEntry[]> {
    const found: SuppressionEntry[] = [];
    for (const hash of new Set(hashes)) {
      const json = this.#entries.get(hash);
      if (json !== undefined) found.push(JSON.parse(json) as SuppressionEntry);
    }
    return Promise.resolve(found);
  }
}
