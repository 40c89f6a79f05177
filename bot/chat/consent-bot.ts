import { randomUUID } from 'node:crypto';
import {
  ActivityHandler,
  EventFactory,
  MessageFactory,
  type Activity,
  type TranscriptStore,
  type TurnContext,
} from 'botbuilder';
import type { Catalogue, Locale } from '../../consent/catalogue.js';
import {
  decisionAbout,
  deriveStatuses,
  needsDoubleOptIn,
  purposesToAsk,
  LedgerConflictError,
  type ConsentDecision,
  type ConsentLedger,
  type NoticeArchive,
} from '../../consent/ledger.js';
import {
  hasKantaraReceipt,
  kantaraReceipt,
  validateKantaraReceipt,
  type ControllerDetails,
} from '../../consent/receipts.js';
import type { Subject } from '../../consent/subject.js';
import type { AgentTopic, ConversationEvent } from '../../dialogs/events.js';
import { purposeRefs, understand, understandSubmission } from '../../dialogs/intents.js';
import { isIdle, openQuestionOf, runConversation } from '../../dialogs/run-conversation.js';
import type { ConversationOutput } from '../../dialogs/outputs.js';
import { reportAgentHandoff, transcriptOf, type HandoffRecord, type Handoffs } from './handoff.js';
import {
  markHandled,
  turnFacts,
  type ConversationData,
  type ConversationMemory,
  type TurnFacts,
} from './conversation-memory.js';
import { localeFrom, type Translate } from '../platform/i18n.js';
import { errorFields, type Logger } from '../platform/log.js';
import type { Keys } from '../platform/secrets.js';
import type { ContactAddresses } from '../../consent/contact-addresses.js';
import type { OptOutReasons } from '../../consent/opt-out-reasons.js';
import type { DoubleOptIn } from '../email/double-opt-in.js';
import { noticesToShow, renderOutputs, type ReceiptResult, type TurnResults } from './render.js';
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
  /** Read to hand a conversation, with its transcript, to a person. */
  readonly transcripts: TranscriptStore;
  /** Support agents' hand-offs to the bot, and the webhook that reports their outcome. */
  readonly handoffs: Handoffs;
  /** What Kantara v1.1 requires of the controller beyond the data map (address, phone). */
  readonly controller?: ControllerDetails;
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

/** Events that make sense before any purpose was presented: never a decision (none shown). */
const FIRST_CONTACT_EVENTS = new Set<ConversationEvent['type']>([
  'user.asked',
  'user.showedChoices',
  'user.switchedLocale',
  'user.helped',
  'user.changing',
  'user.restarted',
  'user.askedReceipt',
  'user.askedHuman',
]);

/** Answered on first contact without starting a round of questions first. */
const NO_ROUND_FIRST = new Set<ConversationEvent['type']>([
  'user.askedErasure',
  'user.askedExport',
  'user.askedReceipt',
  'user.askedHuman',
]);

interface TurnOptions {
  /** Start a round of questions when the conversation has none yet (a customer's message). */
  readonly start: boolean;
  /** The language to speak from now on (an agent's hand-off may set it). */
  readonly locale?: Locale;
}

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
    const { catalogue, ledger, now, refusalPauseMs, addresses } = this.#deps;
    const subject = this.#facts(context).subject;
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
    const known = (await addresses.get(subject)) !== undefined;
    const event: ConversationEvent = {
      type: 'agent.handedOver',
      handoffId: request.handoffId,
      topic: request.topic,
      purposes: purposeRefs(catalogue, ids, known),
    };
    await this.#converse(context, () => event, {
      start: false,
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
    await this.#converse(context, () => event, { start: false });
  }

  #facts(context: TurnContext): TurnFacts {
    return turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject);
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
    options: TurnOptions = { start: true },
  ): Promise<void> {
    const deps = this.#deps;
    const facts = this.#facts(context);
    const none = { replies: [], reports: [] };
    const outcome = await deps.memory.update<{
      replies: Partial<Activity>[];
      reports: HandoffRecord[];
    }>(facts, async ({ data, head }) => {
      if (data.handled?.includes(facts.activityId)) {
        deps.log.info('turn.redelivered', {
          conversation: facts.conversationId,
          activity: facts.activityId,
        });
        return { data, result: none };
      }
      const event = eventOf?.(data);
      const locale =
        event?.type === 'user.switchedLocale'
          ? event.locale
          : (options.locale ??
            data.locale ??
            localeFrom(context.activity.locale, deps.defaultLocale));
      const events: ConversationEvent[] = [];
      // A first "delete my data", "what do you have on me?", "my receipt" or "a person, please"
      // is answered without a consent round first.
      const noRound = event !== undefined && NO_ROUND_FIRST.has(event.type);
      if (options.start && isIdle(data.snapshot) && !noRound) {
        events.push(await this.#startEvent(facts.subject));
      }
      if (
        event &&
        (!options.start || !isIdle(data.snapshot) || FIRST_CONTACT_EVENTS.has(event.type))
      ) {
        events.push(await this.#withAddressKnowledge(event, facts.subject));
      }
      if (events.length === 0) return { data, result: none };

      const step = runConversation(data.snapshot, events);
      const t = deps.translator(locale);
      const input = { catalogue: deps.catalogue, locale, t };
      try {
        // Proof first: the notices about to be shown, then the decisions, each durable before
        // anything is sent (never claim a consent recorded unless it is).
        const notices = noticesToShow(input, step.outputs);
        for (const notice of notices) await deps.notices.archive(notice);
        await deps.ledger.append(this.#decisions(step.outputs, data, facts, locale), deps.now(), {
          expectedHead: head,
        });
        const results = await this.#effects(context, step.outputs, facts, locale, data);
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
          events: events.map((e) => e.type).join(','),
          state: step.state,
        });
        return {
          data: {
            snapshot: step.snapshot,
            locale,
            shown,
            handled: markHandled(data, facts.activityId),
          },
          result: { replies, reports: results.reports ?? [] },
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
          result: { replies: [MessageFactory.text(t('error.notRecorded'))], reports: [] },
        };
      }
    });
    if (outcome.replies.length > 0) await context.sendActivities(outcome.replies);
    // Once, after the turn's state is saved: a retried turn must not call the webhook twice.
    for (const report of outcome.reports) deps.handoffs.notify(report);
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
    if (
      event.type !== 'user.restarted' &&
      event.type !== 'user.changing' &&
      event.type !== 'agent.handedOver'
    ) {
      return event;
    }
    const known = (await this.#deps.addresses.get(subject)) !== undefined;
    const ids = event.purposes.map((p) => p.id);
    return { ...event, purposes: purposeRefs(this.#deps.catalogue, ids, known) };
  }

  /** Effects other than ledger records, carried out before anything is rendered or sent. */
  async #effects(
    context: TurnContext,
    outputs: readonly ConversationOutput[],
    facts: TurnFacts,
    locale: Locale,
    data: ConversationData,
  ): Promise<TurnResults & { reports?: HandoffRecord[] }> {
    const { doubleOptIn, rights, reasons, now } = this.#deps;
    const t = this.#deps.translator(locale);
    const mail: Record<string, string> = {};
    let erasure: string | undefined;
    let exported: TurnResults['export'];
    const more: { -readonly [K in keyof TurnResults]?: TurnResults[K] } & {
      reports?: HandoffRecord[];
    } = {};
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
        // Anonymous by construction: only the reason and the day are kept.
        await reasons.record(output.reason, now());
      } else if (output.type === 'receipt') {
        more.receipt = await this.#receipt(facts.subject);
      } else if (output.type === 'handoff') {
        more.handoff = await this.#handoffToHuman(context, facts, locale, data, output.reason);
      } else if (output.type === 'handoffDone') {
        const report = await reportAgentHandoff(this.#deps, context, facts, output);
        more.handoffStatus = report.status;
        if (report.record) more.reports = [...(more.reports ?? []), report.record];
      }
    }
    return {
      mail,
      ...(erasure ? { erasure } : {}),
      ...(exported ? { export: exported } : {}),
      ...more,
    };
  }

  /** The person's decisions now, and a Kantara v1.1 receipt of each consent in effect. */
  async #receipt(subject: Subject): Promise<ReceiptResult | 'failed'> {
    const { catalogue, ledger, controller, log } = this.#deps;
    const statuses = deriveStatuses(catalogue, await ledger.latest(subject));
    const decisions = statuses.flatMap(({ purposeId, status, event }) =>
      event ? [{ purposeId, status, at: event.recordedAt }] : [],
    );
    const receipts = statuses.flatMap(({ purposeId, status, event }) =>
      status === 'granted' && event && hasKantaraReceipt(event)
        ? [
            {
              purposeId,
              // The ledger's pseudonym, as in the receipts the API gives: proof names no raw id.
              receipt: kantaraReceipt({
                event,
                catalogue,
                principalId: subject.userId,
                ...(controller ? { controller } : {}),
              }),
            },
          ]
        : [],
    );
    const problems = receipts.flatMap(({ receipt }) => validateKantaraReceipt(receipt));
    if (problems.length > 0) {
      // A configuration gap (controller details): an incomplete receipt is not one.
      log.error('receipt.incomplete', { problems: problems.length });
      return 'failed';
    }
    return { decisions, receipts };
  }

  /**
   * Bot Framework's hand-off to a person: a `handoff.initiate` event carrying the transcript as
   * stored (redacted), which the channel or agent hub routes to its people.
   */
  async #handoffToHuman(
    context: TurnContext,
    facts: TurnFacts,
    locale: Locale,
    data: ConversationData,
    reason: 'requested' | 'not-understood',
  ): Promise<Partial<Activity>> {
    const transcript = await transcriptOf(
      this.#deps.transcripts,
      facts.channelId,
      facts.conversationId,
    );
    const open = openQuestionOf(data.snapshot);
    const event = EventFactory.createHandoffInitiation(
      context,
      { topic: 'consent', ...(open ? { purposes: [open.purposeId] } : {}), locale, reason },
      transcript,
    );
    this.#deps.log.info('handoff.to_human', {
      conversation: facts.conversationId,
      activity: facts.activityId,
      reason,
      transcriptActivities: transcript.activities.length,
    });
    return event;
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
    const data = await this.#deps.memory.read(this.#facts(context));
    const locale = data.locale ?? localeFrom(context.activity.locale, this.#deps.defaultLocale);
    await context.sendActivity(MessageFactory.text(this.#deps.translator(locale)(key, values)));
  }
}
