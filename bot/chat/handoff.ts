import {
  EventFactory,
  type Activity,
  type Storage,
  type Transcript,
  type TranscriptStore,
  type TurnContext,
} from 'botbuilder';
import type { Catalogue, Locale } from '../../consent/catalogue.js';
import { deriveStatuses, type ConsentLedger, type ConsentStatus } from '../../consent/ledger.js';
import type { AgentTopic } from '../../dialogs/events.js';
import type { ConversationOutput, HandoffEnding } from '../../dialogs/outputs.js';
import type { TurnFacts } from './conversation-memory.js';
import { errorFields, type Logger } from '../platform/log.js';
import { conversationActivities } from '../proof/transcript-links.js';

/** One purpose of an agent's hand-off, as reported back: an id and a status, nothing else. */
export interface HandoffOutcome {
  readonly purposeId: string;
  readonly status: ConsentStatus;
}

/**
 * A support agent's hand-off of a conversation to the bot. Holds no personal data (no user id,
 * no conversation reference): the agent's system knows whom a hand-off id is about, the bot's
 * reports name only the id.
 */
export interface HandoffRecord {
  readonly id: string;
  readonly state: 'started' | 'completed';
  readonly topic: AgentTopic;
  readonly purposeIds: readonly string[];
  readonly locale?: Locale;
  readonly callbackUrl?: string;
  readonly startedAt: string;
  readonly completedAt?: string;
  readonly ending?: HandoffEnding;
  readonly outcome?: readonly HandoffOutcome[];
}

/** What the webhook receives when the customer is done. */
export interface HandoffCallback {
  readonly handoffId: string;
  readonly state: 'completed';
  readonly ending: HandoffEnding;
  readonly outcome: readonly HandoffOutcome[];
  readonly at: string;
}

export interface HandoffsDeps {
  readonly storage: Storage;
  readonly log: Logger;
  readonly now: () => Date;
  /** Pauses before each retry of a webhook; the first attempt is immediate. */
  readonly retryDelaysMs?: readonly number[];
  readonly callbackTimeoutMs?: number;
}

const keyOf = (id: string): string => `handoffs/${id}`;

/** Agent hand-offs by id, kept in bot state, and the webhook that reports their outcome. */
export class Handoffs {
  readonly #deps: HandoffsDeps;

  constructor(deps: HandoffsDeps) {
    this.#deps = deps;
  }

  async start(record: Omit<HandoffRecord, 'state' | 'startedAt'>): Promise<HandoffRecord> {
    const started: HandoffRecord = {
      ...record,
      state: 'started',
      startedAt: this.#deps.now().toISOString(),
    };
    await this.#deps.storage.write({ [keyOf(record.id)]: { ...started, eTag: '*' } });
    return started;
  }

  async get(id: string): Promise<HandoffRecord | undefined> {
    const stored = (await this.#deps.storage.read([keyOf(id)]))[keyOf(id)] as
      (HandoffRecord & { eTag?: string }) | undefined;
    if (!stored) return undefined;
    const { eTag: _eTag, ...record } = stored;
    return record;
  }

  /** Forgets a hand-off that could not start. */
  async discard(id: string): Promise<void> {
    await this.#deps.storage.delete([keyOf(id)]);
  }

  /** Marks the hand-off completed; resolves to the record, or undefined for an unknown id. */
  async complete(
    id: string,
    ending: HandoffEnding,
    outcome: readonly HandoffOutcome[],
  ): Promise<HandoffRecord | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    const completed: HandoffRecord = {
      ...record,
      state: 'completed',
      completedAt: this.#deps.now().toISOString(),
      ending,
      outcome,
    };
    await this.#deps.storage.write({ [keyOf(id)]: { ...completed, eTag: '*' } });
    return completed;
  }

  /**
   * Posts the outcome to the hand-off's callback URL, in the background: the customer's turn
   * never waits for, nor fails with, the agent's system. A few retries, then a logged give-up.
   */
  notify(record: HandoffRecord): void {
    const { callbackUrl, ending, outcome, completedAt } = record;
    if (!callbackUrl || !ending || !outcome) return;
    const body: HandoffCallback = {
      handoffId: record.id,
      state: 'completed',
      ending,
      outcome,
      at: completedAt ?? this.#deps.now().toISOString(),
    };
    // Not awaited on purpose; #deliver catches and logs every failure itself.
    void this.#deliver(callbackUrl, body);
  }

  async #deliver(url: string, body: HandoffCallback): Promise<void> {
    const { log, retryDelaysMs = [1_000, 5_000], callbackTimeoutMs = 5_000 } = this.#deps;
    const delays = [0, ...retryDelaysMs];
    for (const [index, delay] of delays.entries()) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const attempt = index + 1;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          // A redirect could lead anywhere: only the allowed origin is ever called.
          redirect: 'error',
          signal: AbortSignal.timeout(callbackTimeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) {
          log.info('handoff.callback_delivered', { handoff: body.handoffId, attempt });
          return;
        }
        log.warn('handoff.callback_failed', {
          handoff: body.handoffId,
          attempt,
          status: response.status,
        });
      } catch (error) {
        log.warn('handoff.callback_failed', {
          handoff: body.handoffId,
          attempt,
          ...errorFields(error),
        });
      }
    }
    log.error('handoff.callback_abandoned', { handoff: body.handoffId, attempts: delays.length });
  }
}

/** The whole transcript of a conversation as stored (redacted), every page of it. */
export async function transcriptOf(
  store: TranscriptStore,
  channelId: string,
  conversationId: string,
): Promise<Transcript> {
  return { activities: await conversationActivities(store, channelId, conversationId) };
}

export interface AgentReportDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly handoffs: Handoffs;
  readonly log: Logger;
}

/**
 * An agent's round is over (answered, stopped or erased): the outcome of its purposes, read from
 * the ledger after the turn's records, as a `handoff.status` event for the conversation. The
 * record it returns is what the webhook reports, once the turn is saved.
 */
export async function reportAgentHandoff(
  deps: AgentReportDeps,
  context: TurnContext,
  facts: TurnFacts,
  done: Extract<ConversationOutput, { type: 'handoffDone' }>,
): Promise<{ status: Partial<Activity>; record?: HandoffRecord }> {
  const { catalogue, ledger, handoffs, log } = deps;
  const statuses = deriveStatuses(catalogue, await ledger.latest(facts.subject));
  const outcome = done.purposeIds.map((purposeId) => ({
    purposeId,
    status: statuses.find((s) => s.purposeId === purposeId)?.status ?? ('unknown' as const),
  }));
  const record = await handoffs.complete(done.handoffId, done.ending, outcome);
  const status = EventFactory.createHandoffStatus(context.activity.conversation, 'completed');
  status.value = { state: 'completed', handoffId: done.handoffId, ending: done.ending, outcome };
  log.info('handoff.completed', {
    handoff: done.handoffId,
    conversation: facts.conversationId,
    ending: done.ending,
    purposes: outcome.length,
  });
  return { status, ...(record ? { record } : {}) };
}
