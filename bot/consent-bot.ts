import { randomUUID } from 'node:crypto';
import { ActivityHandler, MessageFactory, type TurnContext } from 'botbuilder';
import type { Catalogue, Locale } from '../consent/catalogue.js';
import {
  deriveStatuses,
  purposesToAsk,
  type ConsentDecision,
  type ConsentLedger,
  type NoticeArchive,
} from '../consent/ledger.js';
import type { Subject } from '../consent/subject.js';
import type { ConversationEvent } from '../dialogs/events.js';
import { purposeRefs, understand, understandSubmission } from '../dialogs/intents.js';
import { openQuestionOf, runConversation } from '../dialogs/run-conversation.js';
import type { ConversationOutput } from '../dialogs/outputs.js';
import {
  markHandled,
  turnFacts,
  type ConversationData,
  type ConversationMemory,
  type TurnFacts,
} from './conversation-memory.js';
import { localeFrom, type Translate } from './i18n.js';
import { errorFields, type Logger } from './log.js';
import { noticesToShow, renderOutputs } from './render.js';

export interface ConsentBotDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly notices: NoticeArchive;
  readonly memory: ConversationMemory;
  readonly translator: (locale: Locale) => Translate;
  readonly defaultLocale: Locale;
  readonly maxMessageChars: number;
  readonly refusalPauseMs: number;
  readonly now: () => Date;
  readonly log: Logger;
}

/** Events that make sense before any purpose was presented: never a decision (rule 1). */
const FIRST_CONTACT_EVENTS = new Set<ConversationEvent['type']>([
  'user.asked',
  'user.showedChoices',
  'user.switchedLocale',
  'user.helped',
  'user.changing',
  'user.restarted',
]);

/**
 * A thin activity handler: maps activities to conversation events, makes the conversation's
 * records durable, then renders and sends its messages. The flow itself lives in dialogs/.
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
  }

  async #onMessage(context: TurnContext): Promise<void> {
    const { activity } = context;
    // Typed as a string by botbuilder, but absent on attachment-only messages.
    const raw: unknown = activity.text;
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text.length > this.#deps.maxMessageChars) {
      await this.#reply(context, 'error.tooLong', { max: this.#deps.maxMessageChars });
      return;
    }
    const submitted = understandSubmission(activity.value);
    if (!submitted && text === '') {
      await this.#reply(context, 'error.unsupported');
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

  /** One turn of the conversation, started on first contact, retried on a concurrent write. */
  async #converse(
    context: TurnContext,
    eventOf: ((data: ConversationData) => ConversationEvent) | undefined,
  ): Promise<void> {
    const deps = this.#deps;
    const facts = turnFacts(context.activity, randomUUID);
    const outcome = await deps.memory.update(facts, async (data) => {
      if (data.handled?.includes(facts.activityId)) {
        deps.log.info('turn.redelivered', {
          conversation: facts.conversationId,
          activity: facts.activityId,
        });
        return { data, result: { replies: [] } };
      }
      const event = eventOf?.(data);
      const locale =
        event?.type === 'user.switchedLocale'
          ? event.locale
          : (data.locale ?? localeFrom(context.activity.locale, deps.defaultLocale));
      const events: ConversationEvent[] = [];
      if (!data.snapshot) events.push(await this.#startEvent(facts.subject));
      if (event && (data.snapshot || FIRST_CONTACT_EVENTS.has(event.type))) events.push(event);
      if (events.length === 0) return { data, result: { replies: [] } };

      const step = runConversation(data.snapshot, events);
      const t = deps.translator(locale);
      const input = { catalogue: deps.catalogue, locale, t };
      try {
        // Proof first: the notices about to be shown, then the decisions, each durable before
        // anything is sent (never claim a consent recorded unless it is).
        const notices = noticesToShow(input, step.outputs);
        for (const notice of notices) await deps.notices.archive(notice);
        await deps.ledger.append(this.#decisions(step.outputs, data, facts, locale), deps.now());
        const shown = { ...data.shown };
        for (const notice of notices) shown[notice.purposeId] = notice.hash;
        const replies = await renderOutputs(
          {
            ...input,
            statuses: async () =>
              deriveStatuses(deps.catalogue, await deps.ledger.latest(facts.subject)),
          },
          step.outputs,
        );
        deps.log.info('turn', {
          conversation: facts.conversationId,
          activity: facts.activityId,
          event: events.map((e) => e.type).join(','),
          state: step.state,
        });
        return {
          data: {
            snapshot: step.snapshot,
            locale,
            shown,
            handled: markHandled(data, facts.activityId),
          },
          result: { replies },
        };
      } catch (error) {
        deps.log.error('turn.not_recorded', {
          conversation: facts.conversationId,
          activity: facts.activityId,
          ...errorFields(error),
        });
        // Keep the conversation where it was: the person can simply answer again.
        return { data, result: { replies: [MessageFactory.text(t('error.notRecorded'))] } };
      }
    });
    if (outcome.replies.length > 0) await context.sendActivities(outcome.replies);
  }

  async #startEvent(subject: Subject): Promise<ConversationEvent> {
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
      purposes: purposeRefs(catalogue, toAsk),
      returning: latest.length > 0,
    };
  }

  #decisions(
    outputs: readonly ConversationOutput[],
    data: ConversationData,
    facts: TurnFacts,
    locale: Locale,
  ): ConsentDecision[] {
    const { catalogue } = this.#deps;
    return outputs.flatMap((output) => {
      if (output.type !== 'record') return [];
      const purpose = catalogue.purposes.find((p) => p.id === output.purposeId);
      if (!purpose) return [];
      return [
        {
          subject: facts.subject,
          purposeId: purpose.id,
          decision: output.decision,
          purposeVersion: purpose.version,
          catalogueVersion: catalogue.version,
          noticeHash: data.shown[purpose.id] ?? null,
          locale,
          channelId: facts.channelId,
          conversationId: facts.conversationId,
          activityId: facts.activityId,
          source: 'conversation',
          explicit: output.explicit,
        },
      ];
    });
  }

  /** A reply outside the conversation's flow, in the conversation's language. */
  async #reply(context: TurnContext, key: string, values?: Record<string, unknown>): Promise<void> {
    const data = await this.#deps.memory.read(turnFacts(context.activity, randomUUID));
    const locale = data.locale ?? localeFrom(context.activity.locale, this.#deps.defaultLocale);
    await context.sendActivity(MessageFactory.text(this.#deps.translator(locale)(key, values)));
  }
}
