import type { Activity, Storage } from 'botbuilder';
import type { Snapshot } from 'xstate';
import { isLocale, type Locale } from '../../consent/catalogue.js';
import type { Subject } from '../../consent/subject.js';
import { LedgerConflictError, type ConsentLedger } from '../../consent/ledger.js';
import { ETagConflictError } from '../../storage/errors.js';

/** What the bot keeps about one conversation. Disposable: the ledger is the record. */
export interface ConversationData {
  readonly snapshot?: Snapshot<unknown>;
  readonly locale?: Locale;
  /** Hash of the notice last shown in full for each purpose, which a decision then refers to. */
  readonly shown: Readonly<Record<string, string>>;
  /** Ids of the last activities handled: channels redeliver, and a retry must not answer twice. */
  readonly handled?: readonly string[];
}

const HANDLED_KEPT = 20;

/** Remembers an activity as handled, keeping the list short. */
export function markHandled(data: ConversationData, activityId: string): readonly string[] {
  return [...(data.handled ?? []), activityId].slice(-HANDLED_KEPT);
}

/** The ids every record of a turn carries. */
export interface TurnFacts {
  /** The person as the ledger knows them: pseudonymous (see bot/platform/secrets.ts). */
  readonly subject: Subject;
  /** The person as the channel knows them, for what must reach them or be erased. */
  readonly user: Subject;
  readonly channelId: string;
  readonly conversationId: string;
  readonly activityId: string;
}

export function turnFacts(
  activity: Partial<Activity>,
  fallbackId: () => string,
  ledgerSubject: (user: Subject) => Subject,
): TurnFacts {
  const channelId = activity.channelId ?? 'unknown';
  const user = { channelId, userId: activity.from?.id ?? 'unknown' };
  return {
    subject: ledgerSubject(user),
    user,
    channelId,
    conversationId: activity.conversation?.id ?? 'unknown',
    activityId: activity.id ?? fallbackId(),
  };
}

/**
 * How often a turn is re-run on fresh data before it gives up. Each conflict means another writer
 * made progress on the same conversation or person, so a handful is plenty.
 */
const ATTEMPTS = 5;

/** What a turn knows when it starts: the person's ledger head, then the conversation's data. */
export interface TurnView {
  readonly data: ConversationData;
  /**
   * The seq of the person's last ledger event, read before the conversation's data. Decisions
   * the turn makes are appended with it as `expectedHead`, so they land only on the ledger the
   * turn saw: a stop recorded meanwhile (which writes "stopped" to the conversation before it
   * touches the ledger) makes the append conflict, and the re-run sees the stopped conversation.
   */
  readonly head: number;
}

/**
 * Reads and writes conversation data with optimistic concurrency. Two turns of one conversation
 * on two servers cannot silently overwrite each other, and a decision cannot be recorded on a
 * stale view of the person's ledger: the loser re-runs on fresh data. The work passed in must
 * therefore be idempotent (ledger appends are, by delivery).
 */
export class ConversationMemory {
  readonly #storage: Storage;
  readonly #ledger: Pick<ConsentLedger, 'head'>;

  constructor(storage: Storage, ledger: Pick<ConsentLedger, 'head'>) {
    this.#storage = storage;
    this.#ledger = ledger;
  }

  /** The conversation's data without changing it (e.g. its language, for an error reply). */
  async read(facts: TurnFacts): Promise<ConversationData> {
    return (await this.#load(facts)).data;
  }

  async update<T>(
    facts: TurnFacts,
    work: (view: TurnView) => Promise<{ data: ConversationData; result: T }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // The head first: whatever the data then shows was written after it, never before.
        const head = await this.#ledger.head(facts.subject);
        const { key, eTag, data } = await this.#load(facts);
        const outcome = await work({ data, head });
        await this.#storage.write({ [key]: { ...outcome.data, eTag: eTag ?? '*' } });
        return outcome.result;
      } catch (error) {
        const conflict = error instanceof ETagConflictError || error instanceof LedgerConflictError;
        if (!conflict || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  async #load(facts: TurnFacts): Promise<{ key: string; eTag?: string; data: ConversationData }> {
    const key = `${facts.channelId}/conversations/${facts.conversationId}/consent`;
    const stored = (await this.#storage.read([key]))[key] as
      (ConversationData & { eTag?: string }) | undefined;
    const { eTag, ...data } = stored ?? { shown: {} };
    return {
      key,
      ...(eTag === undefined ? {} : { eTag }),
      data: {
        shown: data.shown,
        ...(data.handled ? { handled: data.handled } : {}),
        ...(data.snapshot ? { snapshot: data.snapshot } : {}),
        ...(isLocale(data.locale) ? { locale: data.locale } : {}),
      },
    };
  }
}
