import type { AccessLog, AccessLogQuery, AccessRecord } from '../../consent/access-log.js';
import { attempt } from '../errors.js';
import {
  accessFilter,
  accessScope,
  checkAccessRecord,
  decodeAccessCursor,
  encodeAccessCursor,
  pageFrom,
  searchLimit,
} from '../search-rules.js';

interface Entry {
  /** Insertion order: the tie-breaker between records of the same millisecond. */
  readonly seq: number;
  readonly at: string;
  readonly principal: string;
  readonly json: string;
}

/** The access log in memory, for tests. Append-only, like the durable stores. */
export class MemoryAccessLog implements AccessLog {
  readonly #entries: Entry[] = [];

  record(entry: AccessRecord): Promise<void> {
    return attempt('record access', () => {
      const checked = checkAccessRecord(entry);
      this.#entries.push({
        seq: this.#entries.length + 1,
        at: checked.at,
        principal: checked.principal,
        json: JSON.stringify(checked),
      });
    });
  }

  list(
    query: AccessLogQuery,
    page: { limit: number; after?: string },
  ): Promise<{ readonly records: readonly AccessRecord[]; readonly next?: string }> {
    return attempt('list accesses', () => {
      const filter = accessFilter(query);
      const limit = searchLimit(page.limit);
      const scope = accessScope(filter);
      const position = decodeAccessCursor(page.after, scope);
      const below = (e: Entry): boolean =>
        position === undefined ||
        e.at < position.at ||
        (e.at === position.at && e.seq < Number(position.key));
      const fetched = this.#entries
        .filter(
          (e) =>
            (filter.principal === undefined || e.principal === filter.principal) &&
            (filter.from === undefined || e.at >= filter.from) &&
            (filter.to === undefined || e.at < filter.to) &&
            below(e),
        )
        .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.seq - a.seq))
        .slice(0, limit + 1);
      const { items, next } = pageFrom(fetched, limit, (last) =>
        encodeAccessCursor(scope, last.at, last.seq),
      );
      const records = items.map((e) => JSON.parse(e.json) as AccessRecord);
      return next === undefined ? { records } : { records, next };
    });
  }
}
