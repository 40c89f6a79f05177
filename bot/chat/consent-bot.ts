import { ActivityHandler, MessageFactory, type TurnContext } from 'botbuilder';
import type { Catalogue, Locale } from '../../consent/catalogue.js';
import type { ContactAddresses } from '../../consent/contact-addresses.js';
import { deriveStatuses, purposesToAsk, type ConsentLedger } from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import type { AgentTopic, ConversationEvent } from '../../dialogs/events.js';
import { purposeRefs, understand, understandSubmission } from '../../dialogs/intents.js';
import { isIdle, openQuestionOf } from '../../dialogs/run-conversation.js';
import type { Translate } from '../platform/i18n.js';
import type { Logger } from '../platform/log.js';
import type { ConversationData } from './conversation-memory.js';
import type { TurnRunner } from './turn.js';

export interface ConsentBotDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly addresses: ContactAddresses;
  readonly translator: (locale: Locale) => Translate;
  readonly maxMessageChars: number;
  readonly refusalPauseMs: number;
  readonly now: () => Date;
  readonly log: Logger;
  /** Runs the turns: shared with the opt-out guard. */
  readonly turns: TurnRunner;
}

/** What a support agent hands over (POST /api/handoffs), already checked. */
export interface AgentHandoffRequest {
  readonly handoffId: string;
  readonly topic: AgentTopic;
  /** Purposes to ask about; none given: for `consent`, those the person has not decided. */
  readonly purposeIds?: readonly string[];
  readonly locale?: Locale;
}

/** Bot Framework's hand-off status, as a channel or an agent hub sends it. */
const HANDOFF_STATUS = 'handoff.status';
const HANDOFF_STATES = new Set(['accepted', 'failed', 'completed']);

/**
 * A thin activity handler: maps activities to conversation events and hands them to the turn
 * runner. The flow lives in dialogs/, what each output does in outputs/.
 */
export class ConsentBot extends ActivityHandler {
  readonly #deps: ConsentBotDeps;

  constructor(deps: ConsentBotDeps) {
    super();
    this.#deps = deps;
    this.onMessage(async (context, next) => {
      await this.#onMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const people = (context.activity.membersAdded ?? []).filter(
        (member) => member.id !== context.activity.recipient.id,
      );
      if (people.length > 0) await this.#converse(context, undefined);
      await next();
    });
    this.onEvent(async (context, next) => {
      if (context.activity.name === HANDOFF_STATUS) await this.#onHandoffStatus(context);
      await next();
    });
  }

  /**
   * A support agent hands this conversation to the bot (a proactive turn): it says so, then asks
   * the purposes the agent chose, nothing pre-selected; the outcome is reported when done.
   */
  async startAgentHandoff(context: TurnContext, request: AgentHandoffRequest): Promise<void> {
    const { catalogue, ledger, now, refusalPauseMs, turns } = this.#deps;
    const subject = turns.facts(context).subject;
    const ids =
      request.purposeIds ??
      (request.topic === 'consent'
        ? purposesToAsk(
            catalogue,
            deriveStatuses(catalogue, await ledger.latest(subject)),
            now(),
            refusalPauseMs,
          )
        : []);
    const event: ConversationEvent = {
      type: 'agent.handedOver',
      handoffId: request.handoffId,
      topic: request.topic,
      purposes: purposeRefs(catalogue, ids, await this.#addressKnown(subject)),
    };
    await turns.run(context, {
      events: () => Promise.resolve([event]),
      ...(request.locale ? { locale: request.locale } : {}),
    });
  }

  /** The channel's word on a hand-off to a person; anything malformed is ignored, not fatal. */
  async #onHandoffStatus(context: TurnContext): Promise<void> {
    const value: unknown = context.activity.value;
    const state =
      value && typeof value === 'object' ? (value as { state?: unknown }).state : undefined;
    if (typeof state !== 'string' || !HANDOFF_STATES.has(state)) {
      this.#deps.log.warn('handoff.status_ignored', {
        conversation: context.activity.conversation.id,
        activity: context.activity.id,
        state: typeof state === 'string' ? state.slice(0, 32) : typeof state,
      });
      return;
    }
    this.#deps.log.info('handoff.status', {
      conversation: context.activity.conversation.id,
      activity: context.activity.id,
      state,
    });
    const event = { type: `human.${state}` } as ConversationEvent;
    await this.#deps.turns.run(context, { events: () => Promise.resolve([event]) });
  }

  async #onMessage(context: TurnContext): Promise<void> {
    const { activity } = context;
    // Typed as a string by botbuilder, but absent on attachment-only messages.
    const raw: unknown = activity.text;
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text.length > this.#deps.maxMessageChars) {
      await this.#reply(context, 'error.tooLong', { max: this.#deps.maxMessageChars });
      await this.#reaskAfterUnreadable(context);
      return;
    }
    const submitted = understandSubmission(activity.value);
    if (!submitted && text === '') {
      await this.#reply(context, 'error.unsupported');
      await this.#reaskAfterUnreadable(context);
      return;
    }
    await this.#converse(context, (data) => {
      if (!submitted) return understand(text, this.#deps.catalogue);
      // A button from an older card must not answer the question open now.
      const purposeId = (activity.value as { purposeId?: unknown }).purposeId;
      const open = openQuestionOf(data.snapshot);
      if (typeof purposeId === 'string' && open && open.purposeId !== purposeId) {
        return { type: 'user.unclear' };
      }
      return submitted;
    });
  }

  /**
   * After a message the bot could not read: the open question again, with its buttons, or the
   * customer's next "1" or tap is read without the question it answers. A conversation not
   * started yet stays so: nothing of the message was understood.
   */
  async #reaskAfterUnreadable(context: TurnContext): Promise<void> {
    await this.#deps.turns.run(context, {
      events: (data) =>
        Promise.resolve(isIdle(data.snapshot) ? [] : [{ type: 'user.unreadable' } as const]),
    });
  }

  /**
   * A customer's turn: a conversation not started yet starts now, carrying what they said first
   * (the conversation decides what to do with it).
   */
  async #converse(
    context: TurnContext,
    said: ((data: ConversationData) => ConversationEvent) | undefined,
  ): Promise<void> {
    const { turns } = this.#deps;
    const subject = turns.facts(context).subject;
    await turns.run(context, {
      events: async (data) => {
        const message = said?.(data);
        const event = message && (await this.#withAddressKnowledge(message, subject));
        if (!isIdle(data.snapshot)) return event ? [event] : [];
        return [{ ...(await this.#startEvent(subject)), ...(event ? { message: event } : {}) }];
      },
    });
  }

  async #startEvent(
    subject: Subject,
  ): Promise<Extract<ConversationEvent, { type: 'conversation.started' }>> {
    const { catalogue, ledger, now, refusalPauseMs } = this.#deps;
    const latest = await ledger.latest(subject);
    const toAsk = purposesToAsk(
      catalogue,
      deriveStatuses(catalogue, latest),
      now(),
      refusalPauseMs,
    );
    return {
      type: 'conversation.started',
      purposes: purposeRefs(catalogue, toAsk, await this.#addressKnown(subject)),
      returning: latest.length > 0,
    };
  }

  /** Rounds started mid-conversation need to know, too, whether an address is verified already. */
  async #withAddressKnowledge(
    event: ConversationEvent,
    subject: Subject,
  ): Promise<ConversationEvent> {
    if (event.type !== 'user.restarted' && event.type !== 'user.changing') return event;
    const ids = event.purposes.map((p) => p.id);
    return {
      ...event,
      purposes: purposeRefs(this.#deps.catalogue, ids, await this.#addressKnown(subject)),
    };
  }

  async #addressKnown(subject: Subject): Promise<boolean> {
    return (await this.#deps.addresses.get(subject)) !== undefined;
  }

  /** A reply outside the conversation's flow, in the conversation's language. */
  async #reply(context: TurnContext, key: string, values?: Record<string, unknown>): Promise<void> {
    const locale = await this.#deps.turns.localeOf(context);
    await context.sendActivity(MessageFactory.text(this.#deps.translator(locale)(key, values)));
  }
}
