import type {
  AppendOptions,
  ConsentDecision,
  ConsentEvent,
  ConsentLedger,
  DecisionCount,
  LedgerPage,
  LedgerQuery,
  LedgerSearch,
  NoticeArchive,
  NoticeRecord,
  Period,
} from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';
import { GENESIS_HASH } from '../../consent/chain.js';
import {
  checkHead,
  deliveryKey,
  singleSubjectKey,
  toEvent,
  type ConsentStoreOptions,
} from '../ledger-rules.js';
import { compareUtf8 } from '../transcript-rules.js';
import {
  checkPeriod,
  DecisionTally,
  decodeEventCursor,
  encodeEventCursor,
  ledgerFilter,
  ledgerScope,
  matchesLedger,
  newestFirst,
  pageFrom,
  periodOf,
  searchLimit,
  type LedgerFilter,
} from '../search-rules.js';

/** Every value goes through JSON on the way in and out, so serialisation bugs show in tests. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** In-memory ledger and notice archive for tests. Same contract as the durable stores. */
export class MemoryConsentStore implements ConsentLedger, LedgerSearch, NoticeArchive {
  readonly #events = new Map<string, string[]>();
  readonly #notices = new Map<string, string>();
  readonly #options: ConsentStoreOptions;

  constructor(options: ConsentStoreOptions = {}) {
    this.#options = options;
  }

  append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
    options?: AppendOptions,
  ): Promise<readonly ConsentEvent[]> {
    if (decisions.length === 0) return Promise.resolve([]);
    // Through attempt() so two subjects in one call reject the promise, as the durable stores do.
    return attempt('append consent events', () => this.#append(decisions, recordedAt, options));
  }

  #append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
    options: AppendOptions | undefined,
  ): readonly ConsentEvent[] {
    const key = singleSubjectKey(decisions);
    const stored = this.#events.get(key) ?? [];
    const existing = stored.map((json) => JSON.parse(json) as ConsentEvent);
    const seen = new Map(existing.map((e) => [deliveryKey(e), e]));
    if (decisions.some((decision) => !seen.has(deliveryKey(decision)))) {
      checkHead(stored.length, options);
    }
    const result: ConsentEvent[] = [];
    let prevHash = existing.at(-1)?.hash ?? GENESIS_HASH;
    for (const decision of decisions) {
      const already = seen.get(deliveryKey(decision));
      if (already) {
        result.push(already);
        continue;
      }
      const event = toEvent(decision, stored.length + 1, recordedAt, prevHash, this.#options.seal);
      prevHash = event.hash;
      stored.push(JSON.stringify(event));
      seen.set(deliveryKey(event), event);
      result.push(event);
    }
    this.#events.set(key, stored);
    return roundTrip(result);
  }

  head(subject: Subject): Promise<number> {
    return Promise.resolve(this.#events.get(subjectKey(subject))?.length ?? 0);
  }

  history(subject: Subject): Promise<readonly ConsentEvent[]> {
    const stored = this.#events.get(subjectKey(subject)) ?? [];
    return Promise.resolve(stored.map((json) => JSON.parse(json) as ConsentEvent));
  }

  async latest(subject: Subject): Promise<readonly ConsentEvent[]> {
    const byPurpose = new Map<string, ConsentEvent>();
    for (const event of await this.history(subject)) byPurpose.set(event.purposeId, event);
    return [...byPurpose.values()];
  }

  /** Every matching event, parsed afresh (so callers never share the stored objects). */
  #matching(filter: LedgerFilter): ConsentEvent[] {
    const keys = filter.subjectKey === undefined ? [...this.#events.keys()] : [filter.subjectKey];
    return keys.flatMap((key) =>
      (this.#events.get(key) ?? [])
        .map((json) => JSON.parse(json) as ConsentEvent)
        .filter((event) => matchesLedger(event, filter)),
    );
  }

  search(query: LedgerQuery, page: { limit: number; after?: string }): Promise<LedgerPage> {
    return attempt('search consent events', () => {
      const filter = ledgerFilter(query);
      const limit = searchLimit(page.limit);
      const scope = ledgerScope(filter);
      const position = decodeEventCursor(page.after, scope);
      const fetched = this.#matching(filter)
        .filter((event) => position === undefined || newestFirst(event, position) > 0)
        .sort(newestFirst)
        .slice(0, limit + 1);
      const { items, next } = pageFrom(fetched, limit, (last) => encodeEventCursor(scope, last));
      return next === undefined ? { events: items } : { events: items, next };
    });
  }

  async *scan(query: LedgerQuery, order: 'recorded' | 'chain'): AsyncIterable<ConsentEvent> {
    const events = await attempt('scan consent events', () =>
      this.#matching(ledgerFilter(query)).sort(
        order === 'chain'
          ? (x, y) => compareUtf8(subjectKey(x.subject), subjectKey(y.subject)) || x.seq - y.seq
          : (x, y) => newestFirst(y, x),
      ),
    );
    yield* events;
  }

  countDecisions(query: LedgerQuery, period: Period): Promise<readonly DecisionCount[]> {
    return attempt('count consent decisions', () => {
      const filter = ledgerFilter(query);
      checkPeriod(period);
      const tally = new DecisionTally();
      for (const event of this.#matching(filter)) {
        tally.add(periodOf(event.recordedAt, period), event.purposeId, event.decision);
      }
      return tally.counts();
    });
  }

  archive(notice: NoticeRecord): Promise<void> {
    if (!this.#notices.has(notice.hash)) this.#notices.set(notice.hash, JSON.stringify(notice));
    return Promise.resolve();
  }

  get(hash: string): Promise<NoticeRecord | undefined> {
    const json = this.#notices.get(hash);
    return Promise.resolve(json === undefined ? undefined : (JSON.parse(json) as NoticeRecord));
  }
}
