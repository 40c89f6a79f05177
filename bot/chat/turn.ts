import { randomUUID } from 'node:crypto';
import { MessageFactory, type TurnContext } from 'botbuilder';
import type { Locale } from '../../consent/catalogue.js';
import {
  deriveStatuses,
  LedgerConflictError,
  type NoticeArchive,
  type NoticeRecord,
} from '../../consent/ledger.js';
import type { ConversationEvent } from '../../dialogs/events.js';
import type { ConversationOutput } from '../../dialogs/outputs.js';
import { runConversation } from '../../dialogs/run-conversation.js';
import { localeFrom, type Translate } from '../platform/i18n.js';
import { errorFields, type Logger } from '../platform/log.js';
import type { Keys } from '../platform/secrets.js';
import {
  markHandled,
  turnFacts,
  type ConversationData,
  type ConversationMemory,
  type TurnFacts,
} from './conversation-memory.js';
import { handlerOf, type OutputDeps, type Turn } from './outputs/index.js';
import type { Reply } from './render.js';

export interface TurnDeps extends OutputDeps {
  readonly memory: ConversationMemory;
  readonly notices: NoticeArchive;
  readonly translator: (locale: Locale) => Translate;
  readonly defaultLocale: Locale;
  readonly log: Logger;
  readonly keys: Keys;
}

/** What a turn is about; the events are built on the conversation as stored (one read). */
export interface TurnRequest {
  readonly events: (data: ConversationData) => Promise<readonly ConversationEvent[]>;
  /** The language to speak from now on (an agent's hand-off may set it). */
  readonly locale?: Locale;
}

/** Records a stop and confirms it; resolves to false when it could not be recorded. */
export type StopRecord = (said: {
  readonly facts: TurnFacts;
  readonly locale: Locale;
  readonly t: Translate;
}) => Promise<boolean>;

interface Carried {
  readonly replies: readonly Reply[];
  readonly afterSave: () => void;
}

const NOTHING: Carried = { replies: [], afterSave: () => undefined };

/**
 * One turn of the conversation, for the bot and the opt-out guard alike: the language, the
 * conversation's state read with the person's ledger head, the statechart run, the proof made
 * durable (notices, then decisions with `expectedHead`), the effects, the messages, and the
 * activity marked handled so a redelivery is not answered twice. What each output means is in
 * `outputs/`; this only keeps the order.
 */
export class TurnRunner {
  readonly #deps: TurnDeps;

  constructor(deps: TurnDeps) {
    this.#deps = deps;
  }

  facts(context: TurnContext): TurnFacts {
    return turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject);
  }

  /** The language of the conversation, for a reply outside its flow. */
  async localeOf(context: TurnContext): Promise<Locale> {
    const data = await this.#deps.memory.read(this.facts(context));
    return data.locale ?? localeFrom(context.activity.locale, this.#deps.defaultLocale);
  }

  /**
   * A turn whose every record is durable before its first reply. A conflict (the conversation or
   * the person's ledger moved on, e.g. a stop on another server) re-runs it on fresh data.
   */
  async run(context: TurnContext, request: TurnRequest): Promise<void> {
    const deps = this.#deps;
    const facts = this.facts(context);
    const carried = await deps.memory.update<Carried>(facts, async ({ data, head }) => {
      if (data.handled?.includes(facts.activityId)) {
        deps.log.info('turn.redelivered', {
          conversation: facts.conversationId,
          activity: facts.activityId,
        });
        return { data, result: NOTHING };
      }
      const events = await request.events(data);
      if (events.length === 0) return { data, result: NOTHING };
      const locale =
        switchedTo(events) ??
        request.locale ??
        data.locale ??
        localeFrom(context.activity.locale, deps.defaultLocale);
      const step = runConversation(data.snapshot, events);
      const turn = this.#turn(context, facts, data, locale, step.outputs);
      try {
        // Proof first, each durable before anything is sent: never claim a consent recorded
        // unless it is, never show a notice the archive does not hold.
        const notices = step.outputs.flatMap((o) => handlerOf(o).notices?.(turn, o) ?? []);
        for (const notice of notices) await deps.notices.archive(notice);
        const decisions = step.outputs.flatMap((o) => handlerOf(o).decisions?.(turn, o) ?? []);
        await deps.ledger.append(decisions, deps.now(), { expectedHead: head });
        const done = await carryOut(turn);
        deps.log.info('turn', {
          conversation: facts.conversationId,
          activity: facts.activityId,
          events: events.map((e) => e.type).join(','),
          state: step.state,
        });
        return {
          data: {
            snapshot: step.snapshot,
            locale,
            shown: { ...data.shown, ...shownBy(notices) },
            handled: markHandled(data, facts.activityId),
          },
          result: done,
        };
      } catch (error) {
        // The person's ledger moved on (a stop on another server): decide again on fresh data.
        if (error instanceof LedgerConflictError) throw error;
        deps.log.error('turn.not_recorded', {
          conversation: facts.conversationId,
          activity: facts.activityId,
          ...errorFields(error),
        });
        // Keep the conversation where it was: the person can simply answer again.
        return {
          data,
          result: {
            replies: [MessageFactory.text(turn.t('error.notRecorded'))],
            afterSave: NOTHING.afterSave,
          },
        };
      }
    });
    if (carried.replies.length > 0) await context.sendActivities([...carried.replies]);
    // Once, after the turn's state is saved: a retried turn must not call a webhook twice.
    carried.afterSave();
  }

  /**
   * A stop's turn, in the order that makes it hold against a concurrent turn of the same
   * conversation on another server: first the conversation is saved as stopped, then the
   * withdrawal is recorded (`record`, which sends the confirmation), then the outputs of the
   * conversation are carried out (an agent's hand-off reported as ended). A turn that read the
   * conversation before the mark has a ledger head from before the withdrawal, so its decisions
   * conflict and it re-runs on the stopped conversation. Conversation state is disposable: when
   * it cannot be saved, the withdrawal is recorded all the same.
   */
  async runStop(
    context: TurnContext,
    events: readonly ConversationEvent[],
    record: StopRecord,
  ): Promise<void> {
    const deps = this.#deps;
    const facts = this.facts(context);
    let locale = localeFrom(context.activity.locale, deps.defaultLocale);
    let marked: { data: ConversationData; outputs: readonly ConversationOutput[] } | undefined;
    try {
      marked = await deps.memory.update(facts, ({ data }) => {
        locale = data.locale ?? locale;
        const step = runConversation(data.snapshot, events);
        return Promise.resolve({
          data: {
            ...data,
            snapshot: step.snapshot,
            locale,
            handled: markHandled(data, facts.activityId),
          },
          result: { data, outputs: step.outputs },
        });
      });
    } catch (error) {
      deps.log.error('turn.state_not_saved', {
        conversation: facts.conversationId,
        activity: facts.activityId,
        ...errorFields(error),
      });
    }
    const t = deps.translator(locale);
    if (!(await record({ facts, locale, t })) || !marked) return;
    // A stop's turn appends nothing but the withdrawal: an output that needs proof (a decision,
    // a notice) has no place in it and is not carried out, so nothing unrecorded is ever acted on.
    const outputs = marked.outputs.filter((o) => !handlerOf(o).decisions && !handlerOf(o).notices);
    const turn = this.#turn(context, facts, marked.data, locale, outputs);
    try {
      const done = await carryOut(turn);
      if (done.replies.length > 0) await context.sendActivities([...done.replies]);
      done.afterSave();
    } catch (error) {
      // The stop is recorded and confirmed; only what came with it (an agent's report) is missing.
      deps.log.error('turn.outputs_failed', {
        conversation: facts.conversationId,
        activity: facts.activityId,
        outputs: outputs.map((o) => o.type).join(','),
        ...errorFields(error),
      });
    }
  }

  #turn(
    context: TurnContext,
    facts: TurnFacts,
    data: ConversationData,
    locale: Locale,
    outputs: readonly ConversationOutput[],
  ): Turn {
    const deps = this.#deps;
    return {
      deps,
      context,
      facts,
      data,
      outputs,
      catalogue: deps.catalogue,
      locale,
      t: deps.translator(locale),
      confirmationHours: deps.confirmationHours,
      transcriptRetentionDays: deps.transcriptRetentionDays,
      statuses: async () => deriveStatuses(deps.catalogue, await deps.ledger.latest(facts.subject)),
    };
  }
}

/** Effects in order, then messages in order: a message may report any effect of the turn. */
async function carryOut(turn: Turn): Promise<Carried> {
  const acted: unknown[] = [];
  for (const output of turn.outputs) acted.push(await handlerOf(output).act?.(turn, output));
  const replies: Reply[] = [];
  for (const [index, output] of turn.outputs.entries()) {
    replies.push(...(await handlerOf(output).render(turn, output, acted[index])));
  }
  return {
    replies,
    afterSave: () => {
      for (const [index, output] of turn.outputs.entries()) {
        handlerOf(output).afterSave?.(turn, output, acted[index]);
      }
    },
  };
}

function shownBy(notices: readonly NoticeRecord[]): Record<string, string> {
  return Object.fromEntries(notices.map((notice) => [notice.purposeId, notice.hash]));
}

/** The language a person switched to in this turn, if they did. */
function switchedTo(events: readonly ConversationEvent[]): Locale | undefined {
  for (const event of events) {
    const said = event.type === 'conversation.started' ? event.message : event;
    if (said?.type === 'user.switchedLocale') return said.locale;
  }
  return undefined;
}
