import { randomUUID } from 'node:crypto';
import { ActivityHandler, MessageFactory, type TurnContext } from 'botbuilder';
import type { Catalogue, Locale } from '../consent/catalogue.js';
import {
  decisionAbout,
  deriveStatuses,
  needsDoubleOptIn,
  purposesToAsk,
  type ConsentDecision,
  type ConsentLedger,
  type NoticeArchive,
} from '../consent/ledger.js';
import type { Subject } from '../consent/subject.js';
import type { ConversationEvent } from '../dialogs/events.js';
import { purposeRefs, understand, understandSubmission } from '../dialogs/intents.js';
import { isIdle, openQuestionOf, runConversation } from '../dialogs/run-conversation.js';
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
import type { Keys } from './secrets.js';
import type { ContactAddresses } from '../consent/contact-addresses.js';
import type { OptOutReasons } from '../consent/opt-out-reasons.js';
import type { DoubleOptIn } from './double-opt-in.js';
import { noticesToShow, renderOutputs, type TurnResults } from './render.js';
import { ERASED_THIS_TURN } from './transcript-logger.js';

export interface ConsentBotDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly notices: NoticeArchive;
  readonly memory: ConversationMemory;
  readonly translator: (locale: Locale) => Translate;
  readonly defaultLocale: Locale;
  readonly maxMessageChars: number;
  readonly refusalPauseMs: number;
  readonly confirmationHours: number;
  readonly addresses: ContactAddresses;
  readonly doubleOptIn: DoubleOptIn;
  readonly reasons: OptOutReasons;
  /** GDPR art. 15 and 17 for the person in the chat; returns what to say. */
  readonly rights: {
    export(
      user: Subject,
      ledgerSubject: Subject,
      t: Translate,
      locale: Locale,
    ): Promise<{ summary: string; json: unknown }>;
    erase(
      user: Subject,
      ledgerSubject: Subject,
      t: Translate,
      conversationId: string,
    ): Promise<string>;
  };
  readonly now: () => Date;
  readonly log: Logger;
  readonly keys: Keys;
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
    const facts = turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject);
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
      // A first "delete my data" or "what do you have on me?" is answered without a consent round.
      const rightsOnly = event?.type === 'user.askedErasure' || event?.type === 'user.askedExport';
      if (isIdle(data.snapshot) && !rightsOnly) events.push(await this.#startEvent(facts.subject));
      if (event && (!isIdle(data.snapshot) || FIRST_CONTACT_EVENTS.has(event.type))) {
        events.push(await this.#withAddressKnowledge(event, facts.subject));
      }
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
        const results = await this.#effects(step.outputs, facts, locale);
        if (results.erasure !== undefined) context.turnState.set(ERASED_THIS_TURN, true);
        const shown = { ...data.shown };
        for (const notice of notices) shown[notice.purposeId] = notice.hash;
        const replies = await renderOutputs(
          {
            ...input,
            results,
            confirmationHours: deps.confirmationHours,
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
    const { catalogue, ledger, now, refusalPauseMs, addresses } = this.#deps;
    const latest = await ledger.latest(subject);
    const toAsk = purposesToAsk(
      catalogue,
      deriveStatuses(catalogue, latest),
      now(),
      refusalPauseMs,
    );
    return {
      type: 'conversation.started',
      purposes: purposeRefs(catalogue, toAsk, (await addresses.get(subject)) !== undefined),
      returning: latest.length > 0,
    };
  }

  /** Rounds started mid-conversation need to know, too, whether an address is verified already. */
  async #withAddressKnowledge(
    event: ConversationEvent,
    subject: Subject,
  ): Promise<ConversationEvent> {
    if (event.type !== 'user.restarted' && event.type !== 'user.changing') return event;
    const known = (await this.#deps.addresses.get(subject)) !== undefined;
    const ids = event.purposes.map((p) => p.id);
    return { ...event, purposes: purposeRefs(this.#deps.catalogue, ids, known) };
  }

  /** Effects other than ledger records, carried out before anything is rendered or sent. */
  async #effects(
    outputs: readonly ConversationOutput[],
    facts: TurnFacts,
    locale: Locale,
  ): Promise<TurnResults> {
    const { doubleOptIn, rights, reasons, now } = this.#deps;
    const t = this.#deps.translator(locale);
    const mail: Record<string, string> = {};
    let erasure: string | undefined;
    let exported: TurnResults['export'];
    for (const output of outputs) {
      if (output.type === 'record' && output.address !== undefined) {
        mail[output.purposeId] = await doubleOptIn.send(
          facts.subject,
          output.purposeId,
          output.address,
          locale,
        );
      } else if (output.type === 'erase') {
        erasure = await rights.erase(facts.user, facts.subject, t, facts.conversationId);
      } else if (output.type === 'export') {
        exported = await rights.export(facts.user, facts.subject, t, locale);
      } else if (output.type === 'reason') {
        // Anonymous by construction: only the reason and the day are kept (issue 4).
        await reasons.record(output.reason, now());
      }
    }
    return { mail, ...(erasure ? { erasure } : {}), ...(exported ? { export: exported } : {}) };
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
      const decision = decisionAbout(catalogue, purpose, {
        subject: facts.subject,
        decision: output.decision,
        noticeHash: data.shown[purpose.id] ?? null,
        locale,
        channelId: facts.channelId,
        conversationId: facts.conversationId,
        activityId: facts.activityId,
        source: 'conversation',
        explicit: output.explicit,
      });
      // An e-mail purpose agreed to without a new address: the one on file is verified already
      // (double opt-in done before), so consent counts at once.
      const verifiedAlready =
        output.decision === 'given' && output.address === undefined && needsDoubleOptIn(purpose);
      return verifiedAlready
        ? [
            decision,
            {
              ...decision,
              decision: 'confirmed' as const,
              activityId: `${facts.activityId}:confirmed`,
            },
          ]
        : [decision];
    });
  }

  /** A reply outside the conversation's flow, in the conversation's language. */
  async #reply(context: TurnContext, key: string, values?: Record<string, unknown>): Promise<void> {
    const data = await this.#deps.memory.read(
      turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject),
    );
    const locale = data.locale ?? localeFrom(context.activity.locale, this.#deps.defaultLocale);
    await context.sendActivity(MessageFactory.text(this.#deps.translator(locale)(key, values)));
  }
}
