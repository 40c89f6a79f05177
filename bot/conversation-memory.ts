import type { Activity, Storage } from 'botbuilder';
import type { Snapshot } from 'xstate';
import { isLocale, type Locale } from '../consent/catalogue.js';
import type { Subject } from '../consent/subject.js';
import { ETagConflictError } from '../storage/errors.js';

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
  /** The person as the ledger knows them: pseudonymous (see bot/secrets.ts). */
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

const ATTEMPTS = 3;

/**
 * Reads and writes conversation data with optimistic concurrency. Two turns of one conversation
 * on two servers cannot silently overwrite each other: the loser re-runs on fresh data. The work
 * passed in must therefore be idempotent (ledger appends are, by activity id).
 */
export class ConversationMemory {
  readonly #storage: Storage;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** The conversation's data without changing it (e.g. its language, for an error reply). */
  async read(facts: TurnFacts): Promise<ConversationData> {
    return (await this.#load(facts)).data;
  }

  async update<T>(
    facts: TurnFacts,
    work: (data: ConversationData) => Promise<{ data: ConversationData; result: T }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { key, eTag, data } = await this.#load(facts);
      const outcome = await work(data);
      try {
        await this.#storage.write({ [key]: { ...outcome.data, eTag: eTag ?? '*' } });
        return outcome.result;
      } catch (error) {
        if (!(error instanceof ETagConflictError) || attempt >= ATTEMPTS) throw error;
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
