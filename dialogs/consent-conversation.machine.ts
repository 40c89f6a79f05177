import { assign, emit, enqueueActions, setup } from 'xstate';
import type { ConversationEvent, HandoffReason, PurposeRef } from './events.js';
import type { AskStep, ConversationOutput, HandoffEnding, SayKey } from './outputs.js';

/**
 * The consent conversation: a welcome, then each purpose one at a time (GDPR art. 7(2) and EDPB
 * 05/2020 §3.1.3: granular, one purpose per question, nothing pre-selected), a summary, and
 * questions answered from any state, after which the open question is asked again.
 *
 * The machine does no I/O and holds no text. It emits `record` outputs, which the bot makes durable
 * before it replies, and message outputs, which the bot renders with i18next.
 *
 * The first message of a conversation arrives with `conversation.started`: the idle state decides
 * what of it to answer (never a decision: nothing was shown yet).
 *
 * Withdrawal is not decided here: the opt-out guard sends `user.withdrew`, saves the conversation
 * as stopped, then records the withdrawal, so the conversation stops without a word (the stop's
 * confirmation is the only message of that turn, GDPR art. 7(3): withdrawing as easy as giving).
 *
 * Hand-offs go both ways. To a person: when asked, or after two answers in a row the bot could
 * not understand; while a person has the conversation the machine ignores what the customer says
 * (see runConversation), until the channel says the person is done or no one could take it. From
 * a support agent: a round over the purposes the agent chose, whose end is reported back.
 */
export interface ConsentConversationContext {
  /** Purposes still to ask in this round, the one being asked first. */
  readonly queue: readonly PurposeRef[];
  /** Purposes the person skipped or wants to hear about later: nothing is recorded for them. */
  readonly postponed: readonly string[];
  /** The question waiting for an answer, asked again after a digression. */
  readonly prompt: { readonly purposeId: string; readonly step: AskStep } | null;
  /** The stop confirmation offered "why are you leaving?": one answer is welcome, no follow-up. */
  readonly whyAsked: boolean;
  /** Answers in a row to the open question that the bot could not understand. */
  readonly unclearTries: number;
  /** A person has, or is about to take, the conversation. */
  readonly withHuman: 'pending' | 'accepted' | null;
  /** The support agent's hand-off this round answers, and the purposes to report on. */
  readonly agentHandoff: { readonly id: string; readonly purposeIds: readonly string[] } | null;
}

type Ctx = ConsentConversationContext;

/** A parameterised `say` action, so every key a state says is checked against SAY_KEYS. */
const say = (key: SayKey) => ({ type: 'say', params: { key } }) as const;
const handOff = (reason: HandoffReason) => ({ type: 'handOff', params: { reason } }) as const;
interface RecordParams {
  readonly decision: 'given' | 'refused';
  readonly explicit: boolean | 'asPurpose';
}
const record = (decision: RecordParams['decision'], explicit: RecordParams['explicit'] = false) =>
  ({ type: 'record', params: { decision, explicit } }) as const;
const reportToAgent = (ending: HandoffEnding) =>
  ({ type: 'reportToAgent', params: { ending } }) as const;

/** Before a question is answered, saying "I did not understand" twice hands over to a person. */
const UNCLEAR_TRIES = 2;

/**
 * A first message answered right after the welcome. Anything else the person writes first is no
 * decision, since nothing was shown yet (EDPB 05/2020 §3.1.3: consent follows the information):
 * the welcome and the first question answer it.
 */
const ANSWERED_AFTER_WELCOME = new Set<ConversationEvent['type']>([
  'user.asked',
  'user.showedChoices',
  'user.switchedLocale',
  'user.helped',
  'user.changing',
  'user.restarted',
]);

/** A first message answered without a round of questions first: the person asked for that. */
const ANSWERED_WITHOUT_ROUND = new Set<ConversationEvent['type']>([
  'user.askedErasure',
  'user.askedExport',
  'user.askedReceipt',
  'user.askedHuman',
]);

/** The person's first message, carried by the event that starts the conversation. */
function firstMessageOf(event: ConversationEvent): ConversationEvent | undefined {
  return event.type === 'conversation.started' ? event.message : undefined;
}

/** Purposes carried by the events that open a round of questions. */
function purposesOf(event: ConversationEvent): readonly PurposeRef[] {
  return event.type === 'conversation.started' ||
    event.type === 'user.restarted' ||
    event.type === 'user.changing' ||
    event.type === 'agent.handedOver'
    ? event.purposes
    : [];
}

/** What a question state does with answers that are not a decision. */
const whileAsking = {
  'user.wantedDetails': { actions: ['sayDetails', 'reprompt', 'forgetUnclear'] },
  'user.skipped': { target: 'choosing', actions: [say('purpose.skipped'), 'postpone'] },
  'user.postponed': { target: 'choosing', actions: [say('purpose.postponed'), 'postpone'] },
  // A greeting, "ok", hesitation or anything unclear is never a yes: silence is not consent
  // (recital 32). A greeting or thanks gets a friendly word, hesitation the ways to decide later.
  'user.greeted': { actions: [say('greeting.reply'), 'reprompt', 'forgetUnclear'] },
  'user.hesitated': { actions: [say('purpose.hesitation'), 'reprompt', 'forgetUnclear'] },
  'user.unclear': unclearAnswer(say('help.duringQuestion')),
  'user.continued': { actions: ['reprompt', 'forgetUnclear'] },
} as const;

/**
 * An answer the bot did not understand: help and ask again; from the second in a row, also how to
 * reach a person. Never a hand-off on its own: on a channel with no agents nobody would come, and
 * the customer would wait for an answer that never arrives. A person is called when asked for.
 */
function unclearAnswer(help: ReturnType<typeof say>) {
  return [
    {
      guard: 'triedBefore',
      actions: [help, say('help.reachPerson'), 'reprompt', 'countUnclear'],
    },
    { actions: [help, 'reprompt', 'countUnclear'] },
  ] as const;
}

/** Anything said after the conversation ended, or after a stop. */
const answersWhenIdle = (action: 'sayHelpWhenDone' | 'sayStoppedReminder') =>
  Object.fromEntries(
    (
      [
        'user.greeted',
        'user.agreed',
        'user.agreedExplicitly',
        'user.refused',
        'user.wantedDetails',
        'user.skipped',
        'user.postponed',
        'user.hesitated',
        'user.unclear',
        'user.gaveAddress',
        'user.gaveReason',
        'user.confirmedErasure',
        'user.cancelledErasure',
      ] as const
    ).map((type) => [type, { actions: [action, 'forgetWhy'] }]),
  );

export const consentConversationMachine = setup({
  types: {
    context: {} as Ctx,
    events: {} as ConversationEvent,
    emitted: {} as ConversationOutput,
  },
  guards: {
    hasPendingPurposes: ({ context }) => context.queue.length > 0,
    currentNeedsExplicitConsent: ({ context }) => context.queue[0]?.explicit === true,
    currentNeedsAddress: ({ context }) => context.queue[0]?.needsAddress === true,
    eventHasPurposes: ({ event }) => purposesOf(event).length > 0,
    whyWasAsked: ({ context }) => context.whyAsked,
    triedBefore: ({ context }) => context.unclearTries + 1 >= UNCLEAR_TRIES,
    firstMessageWantsNoRound: ({ event }) =>
      ANSWERED_WITHOUT_ROUND.has(firstMessageOf(event)?.type ?? 'conversation.started'),
  },
  actions: {
    /** The first message, handled as if it came after what the conversation did so far. */
    replayFirstMessage: enqueueActions(
      ({ event, enqueue }, params: { only: 'afterWelcome' | 'any' }) => {
        const message = firstMessageOf(event);
        if (!message) return;
        if (params.only === 'any' || ANSWERED_AFTER_WELCOME.has(message.type))
          enqueue.raise(message);
      },
    ),
    say: emit((_, params: { key: SayKey }) => ({ type: 'say' as const, key: params.key })),
    startRound: assign(({ event }) => ({ queue: purposesOf(event), postponed: [], prompt: null })),
    /** Asked-for purposes first, then the rest of the round, each once. */
    putFirst: assign(({ context, event }) => {
      const first = purposesOf(event);
      const firstIds = new Set(first.map((p) => p.id));
      return { queue: [...first, ...context.queue.filter((p) => !firstIds.has(p.id))] };
    }),
    openQuestion: assign(({ context }) => openPrompt(context, 'question')),
    openExplicitQuestion: assign(({ context }) => openPrompt(context, 'explicit')),
    openAddressQuestion: assign(({ context }) => openPrompt(context, 'address')),
    closeQuestion: assign({ prompt: null, unclearTries: 0 }),
    countUnclear: assign(({ context }) => ({ unclearTries: context.unclearTries + 1 })),
    forgetUnclear: assign({ unclearTries: 0 }),
    handOff: enqueueActions(({ enqueue }, params: { reason: HandoffReason }) => {
      enqueue.assign({ withHuman: 'pending', unclearTries: 0 });
      enqueue.emit({ type: 'handoff', reason: params.reason });
    }),
    humanAccepted: assign(({ context }) => ({
      withHuman: context.withHuman ? ('accepted' as const) : null,
    })),
    /** Back from a person, or no one could come: the bot goes on where it was. */
    humanLeft: enqueueActions(({ context, enqueue }, params: { key: SayKey }) => {
      if (!context.withHuman) return;
      enqueue.assign({ withHuman: null });
      enqueue.emit({ type: 'say', key: params.key });
      if (context.prompt) enqueue.emit(askOutput(context.prompt, true));
    }),
    takeAgentHandoff: assign(({ event }) =>
      event.type === 'agent.handedOver'
        ? {
            withHuman: null,
            agentHandoff: { id: event.handoffId, purposeIds: event.purposes.map((p) => p.id) },
          }
        : {},
    ),
    /** What the agent asked for besides questions: the data map, or the receipts. */
    serveAgentTopic: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'agent.handedOver') return;
      if (event.topic === 'data-map') {
        enqueue.emit({ type: 'answer', topic: 'collect', purposeId: null });
      } else if (event.topic === 'receipt') enqueue.emit({ type: 'receipt' });
    }),
    reportToAgent: enqueueActions(({ context, enqueue }, params: { ending: HandoffEnding }) => {
      if (!context.agentHandoff) return;
      enqueue.emit({
        type: 'handoffDone',
        handoffId: context.agentHandoff.id,
        purposeIds: context.agentHandoff.purposeIds,
        ending: params.ending,
      });
      enqueue.assign({ agentHandoff: null });
    }),
    ask: enqueueActions(({ context, enqueue }) => {
      if (context.prompt) enqueue.emit(askOutput(context.prompt, false));
    }),
    reprompt: enqueueActions(({ context, enqueue }) => {
      if (context.prompt) enqueue.emit(askOutput(context.prompt, true));
    }),
    /** The current purpose is decided: off the queue, and no longer "later" in the summary. */
    advance: assign(({ context }) => ({
      queue: context.queue.slice(1),
      postponed: context.postponed.filter((id) => id !== context.queue[0]?.id),
    })),
    postpone: assign(({ context }) => {
      const id = context.queue[0]?.id;
      return {
        postponed: id ? [...context.postponed.filter((p) => p !== id), id] : context.postponed,
        queue: context.queue.slice(1),
      };
    }),
    /**
     * A decision about the purpose being asked. With an address (double opt-in) it is "given",
     * pending until the link is opened, and as express as the purpose requires.
     */
    record: enqueueActions(({ context, event, enqueue }, params: RecordParams) => {
      const purpose = context.queue[0];
      if (!purpose) return;
      const address = event.type === 'user.gaveAddress' ? event.email : undefined;
      enqueue.emit({
        type: 'record',
        purposeId: purpose.id,
        decision: params.decision,
        explicit: params.explicit === 'asPurpose' ? purpose.explicit : params.explicit,
        ...(address === undefined ? {} : { address }),
      });
    }),
    forgetWithdrawn: assign(({ context, event }) => {
      if (event.type !== 'user.withdrew') return {};
      const gone = event.purposeIds;
      if (gone === 'all') return { queue: [], postponed: [], prompt: null, whyAsked: true };
      return {
        queue: context.queue.filter((p) => !gone.includes(p.id)),
        postponed: context.postponed.filter((id) => !gone.includes(id)),
        prompt: null,
        whyAsked: false,
      };
    }),
    forgetWhy: assign({ whyAsked: false }),
    /** After an erasure nothing is left to ask: the conversation rests like after a stop. */
    forgetEverything: assign({ queue: [], postponed: [], prompt: null, whyAsked: false }),
    welcome: emit(({ event }) => ({
      type: 'say' as const,
      key:
        event.type === 'conversation.started' && event.returning
          ? ('welcome.back' as const)
          : ('welcome.new' as const),
    })),
    /**
     * Nothing left to ask: a returning person is not told that choices are still open, since the
     * next message says they are all made.
     */
    welcomeNothingOpen: emit(({ event }) => ({
      type: 'say' as const,
      key:
        event.type === 'conversation.started' && event.returning
          ? ('welcome.backAllMade' as const)
          : ('welcome.new' as const),
    })),
    sayDetails: enqueueActions(({ context, enqueue }) => {
      if (context.prompt) enqueue.emit({ type: 'details', purposeId: context.prompt.purposeId });
    }),
    sayStoppedReminder: emit(({ context }) => ({
      type: 'say' as const,
      key:
        context.queue.length > 0
          ? ('stopped.reminderResumable' as const)
          : ('stopped.reminder' as const),
    })),
    sayHelpWhenDone: emit({ type: 'say', key: 'help.afterChoices' }),
    summarise: emit(({ context }) => ({ type: 'summary' as const, postponed: context.postponed })),
    answer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'user.asked') return;
      // "What do you collect?" is about the whole data map unless a purpose is named; "how long
      // do you keep it?" is about the purpose being asked.
      const about = event.topic === 'collect' ? null : (context.prompt?.purposeId ?? null);
      enqueue.emit({ type: 'answer', topic: event.topic, purposeId: event.purposeId ?? about });
    }),
    showChoices: emit({ type: 'choices' }),
    sendReceipt: emit({ type: 'receipt' }),
    exportData: emit({ type: 'export' }),
    askErasure: emit({ type: 'askErasure' }),
    erase: emit({ type: 'erase' }),
    recordReason: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'user.gaveReason') enqueue.emit({ type: 'reason', reason: event.reason });
    }),
  },
}).createMachine({
  id: 'consentConversation',
  context: {
    queue: [],
    postponed: [],
    prompt: null,
    whyAsked: false,
    unclearTries: 0,
    withHuman: null,
    agentHandoff: null,
  },
  initial: 'flow',
  // Digressions that work from every state and come back to where the person was.
  on: {
    'user.asked': { actions: ['answer', 'reprompt', 'forgetUnclear'] },
    'user.showedChoices': { actions: ['showChoices', 'reprompt', 'forgetUnclear'] },
    'user.askedExport': { actions: ['exportData', 'reprompt', 'forgetUnclear'] },
    'user.askedReceipt': { actions: ['sendReceipt', 'reprompt', 'forgetUnclear'] },
    'user.switchedLocale': { actions: [say('language.switched'), 'reprompt', 'forgetUnclear'] },
    'user.helped': { actions: [say('help.general'), 'reprompt', 'forgetUnclear'] },
    // The bot already said why it could not read the message; the question and its buttons
    // come again, as after an unclear answer, so that a tap or a "1" is read as an answer.
    'user.unreadable': { actions: 'reprompt' },
    'user.askedErasure': { target: '.confirmingErasure' },
    // The open question stays open: the bot asks it again if the person hands back.
    'user.askedHuman': { actions: handOff('requested') },
    'human.accepted': { actions: 'humanAccepted' },
    'human.failed': { actions: { type: 'humanLeft', params: { key: 'handoff.noOneAvailable' } } },
    'human.completed': { actions: { type: 'humanLeft', params: { key: 'handoff.humanDone' } } },
    'user.stoppedWaiting': {
      actions: { type: 'humanLeft', params: { key: 'handoff.stoppedWaiting' } },
    },
    'agent.handedOver': [
      {
        guard: 'eventHasPurposes',
        target: '.flow.collecting',
        actions: ['takeAgentHandoff', say('handoff.fromAgent'), 'serveAgentTopic', 'startRound'],
      },
      {
        target: '.flow.done',
        actions: [
          'takeAgentHandoff',
          say('handoff.fromAgent'),
          'serveAgentTopic',
          reportToAgent('finished'),
        ],
      },
    ],
    'user.withdrew': {
      target: '.flow.stopped',
      actions: ['forgetWithdrawn', reportToAgent('stopped')],
    },
    'user.restarted': [
      { guard: 'eventHasPurposes', target: '.flow.collecting', actions: 'startRound' },
      { target: '.flow.done', actions: say('welcome.nothingToAsk') },
    ],
    'user.changing': [
      { guard: 'eventHasPurposes', target: '.flow.collecting', actions: 'putFirst' },
      { actions: [say('change.which'), 'reprompt'] },
    ],
  },
  states: {
    // The conversation itself; leaving it for the erasure question keeps its history.
    flow: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            'conversation.started': [
              {
                guard: 'firstMessageWantsNoRound',
                actions: { type: 'replayFirstMessage', params: { only: 'any' } },
              },
              {
                guard: 'eventHasPurposes',
                target: 'collecting',
                actions: [
                  'startRound',
                  'welcome',
                  { type: 'replayFirstMessage', params: { only: 'afterWelcome' } },
                ],
              },
              {
                target: 'done',
                actions: [
                  'welcomeNothingOpen',
                  say('welcome.nothingToAsk'),
                  { type: 'replayFirstMessage', params: { only: 'afterWelcome' } },
                ],
              },
            ],
          },
        },
        collecting: {
          initial: 'choosing',
          states: {
            choosing: {
              always: [
                { guard: 'hasPendingPurposes', target: 'asking' },
                { target: '#consentConversation.flow.summary' },
              ],
            },
            asking: {
              entry: ['openQuestion', 'ask'],
              exit: 'closeQuestion',
              on: {
                'user.agreed': [
                  { guard: 'currentNeedsExplicitConsent', target: 'confirmingExplicitly' },
                  { guard: 'currentNeedsAddress', target: 'collectingAddress' },
                  { target: 'choosing', actions: [record('given'), 'advance'] },
                ],
                'user.agreedExplicitly': [
                  {
                    guard: 'currentNeedsExplicitConsent',
                    target: 'choosing',
                    actions: [record('given', true), 'advance'],
                  },
                  { guard: 'currentNeedsAddress', target: 'collectingAddress' },
                  { target: 'choosing', actions: [record('given'), 'advance'] },
                ],
                'user.refused': { target: 'choosing', actions: [record('refused'), 'advance'] },
                ...whileAsking,
              },
            },
            // Art. 9(2)(a) and location data: a bare "yes" is not an express statement; ask for one.
            confirmingExplicitly: {
              entry: ['openExplicitQuestion', 'ask'],
              exit: 'closeQuestion',
              on: {
                'user.agreedExplicitly': {
                  target: 'choosing',
                  actions: [record('given', true), 'advance'],
                },
                'user.agreed': { actions: [say('explicit.needStatement'), 'reprompt'] },
                'user.refused': { target: 'choosing', actions: [record('refused'), 'advance'] },
                ...whileAsking,
              },
            },
            // Double opt-in: an e-mail purpose needs an address to confirm before it counts.
            collectingAddress: {
              entry: ['openAddressQuestion', 'ask'],
              exit: 'closeQuestion',
              on: {
                'user.gaveAddress': {
                  target: 'choosing',
                  actions: [record('given', 'asPurpose'), 'advance'],
                },
                // No address, no e-mail: nothing is recorded, as for a skip.
                'user.refused': {
                  target: 'choosing',
                  actions: [say('address.notGiven'), 'postpone'],
                },
                'user.agreed': { actions: [say('address.invalid'), 'reprompt'] },
                'user.agreedExplicitly': { actions: [say('address.invalid'), 'reprompt'] },
                ...whileAsking,
                'user.unclear': unclearAnswer(say('address.invalid')),
              },
            },
          },
        },
        summary: {
          entry: ['summarise', say('summary.howToChange'), reportToAgent('finished')],
          always: 'done',
        },
        done: {
          on: answersWhenIdle('sayHelpWhenDone'),
        },
        // After a stop: silent until the person writes again, then only says how to go on.
        stopped: {
          on: {
            // "Continue" while still waiting for a person after a stop arrives as
            // `user.stoppedWaiting`: it ends the wait and goes on, as a plain "continue" would,
            // so the customer does not have to say it twice.
            'user.stoppedWaiting': [
              {
                guard: 'hasPendingPurposes',
                target: 'collecting',
                actions: [
                  { type: 'humanLeft', params: { key: 'handoff.stoppedWaiting' } },
                  'forgetWhy',
                ],
              },
              {
                actions: [
                  { type: 'humanLeft', params: { key: 'handoff.stoppedWaiting' } },
                  say('stopped.nothingToResume'),
                  'forgetWhy',
                ],
              },
            ],
            'user.continued': [
              { guard: 'hasPendingPurposes', target: 'collecting', actions: 'forgetWhy' },
              { actions: [say('stopped.nothingToResume'), 'forgetWhy'] },
            ],
            ...answersWhenIdle('sayStoppedReminder'),
            // One optional answer to "why are you leaving?", right after the stop; never asked again.
            'user.gaveReason': [
              {
                guard: 'whyWasAsked',
                actions: ['recordReason', say('optOut.reasonThanks'), 'forgetWhy'],
              },
              { actions: ['sayStoppedReminder'] },
            ],
          },
        },

        back: { type: 'history', history: 'deep' },
      },
    },
    // Art. 17: erasure is irreversible, so it is confirmed first; "no" goes back to where we were.
    confirmingErasure: {
      entry: 'askErasure',
      on: {
        'user.confirmedErasure': {
          target: 'flow.stopped',
          actions: ['erase', 'forgetEverything', reportToAgent('erased')],
        },
        'user.agreed': {
          target: 'flow.stopped',
          actions: ['erase', 'forgetEverything', reportToAgent('erased')],
        },
        'user.cancelledErasure': { target: 'flow.back', actions: say('erasure.cancelled') },
        'user.refused': { target: 'flow.back', actions: say('erasure.cancelled') },
        'user.unclear': { actions: 'askErasure' },
        'user.unreadable': { actions: 'askErasure' },
        'user.greeted': { actions: 'askErasure' },
        'user.hesitated': { actions: 'askErasure' },
      },
    },
  },
});

function openPrompt(context: Ctx, step: AskStep): Partial<Ctx> {
  const purpose = context.queue[0];
  return { prompt: purpose ? { purposeId: purpose.id, step } : null, unclearTries: 0 };
}

function askOutput(prompt: NonNullable<Ctx['prompt']>, brief: boolean): ConversationOutput {
  return { type: 'ask', purposeId: prompt.purposeId, step: prompt.step, brief };
}
