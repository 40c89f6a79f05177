import type { Decision } from '../consent/ledger.js';
import type { HandoffReason, OptOutReason, QuestionTopic } from './events.js';

/** Keys of plain messages the conversation says; each is a key of locales/{en,fr}. */
export const SAY_KEYS = [
  'welcome.new',
  'welcome.back',
  'welcome.backAllMade',
  'welcome.nothingToAsk',
  'explicit.needStatement',
  'purpose.skipped',
  'purpose.postponed',
  'purpose.hesitation',
  'greeting.reply',
  'help.reachPerson',
  'help.general',
  'help.duringQuestion',
  'help.afterChoices',
  'stopped.reminder',
  'stopped.reminderResumable',
  'stopped.nothingToResume',
  'summary.howToChange',
  'change.which',
  'language.switched',
  'address.invalid',
  'address.notGiven',
  'erasure.cancelled',
  'optOut.reasonThanks',
  'handoff.fromAgent',
  'handoff.noOneAvailable',
  'handoff.humanDone',
  'handoff.stoppedWaiting',
] as const;
export type SayKey = (typeof SAY_KEYS)[number];

/** What an open question waits for: a yes or no, an express statement, an e-mail address. */
export type AskStep = 'question' | 'explicit' | 'address';

/**
 * What the conversation asks the bot to do, in order. Each kind has one handler in
 * bot/chat/outputs/: `record` is made durable before anything of the turn is sent, some kinds
 * have an effect (a mail, an erasure, a report), every kind says what it renders.
 */
export type ConversationOutput =
  | { readonly type: 'say'; readonly key: SayKey }
  /** Present a purpose and ask; `brief` re-asks only the question after a digression. */
  | {
      readonly type: 'ask';
      readonly purposeId: string;
      readonly step: AskStep;
      readonly brief: boolean;
    }
  | { readonly type: 'details'; readonly purposeId: string }
  | { readonly type: 'answer'; readonly topic: QuestionTopic; readonly purposeId: string | null }
  | { readonly type: 'summary'; readonly postponed: readonly string[] }
  | { readonly type: 'choices' }
  | {
      readonly type: 'record';
      readonly purposeId: string;
      readonly decision: Decision;
      readonly explicit: boolean;
      /** Double opt-in: the address to send the confirmation link to. */
      readonly address?: string;
    }
  | { readonly type: 'export' }
  | { readonly type: 'askErasure' }
  /** Erase now: the person confirmed. */
  | { readonly type: 'erase' }
  | { readonly type: 'reason'; readonly reason: OptOutReason }
  /** The person's current decisions in words, with the receipts of their consents. */
  | { readonly type: 'receipt' }
  /** Hand the conversation to a person: the bot tells the channel and the customer. */
  | { readonly type: 'handoff'; readonly reason: HandoffReason }
  /**
   * The round a support agent handed over is over: the bot reports the outcome of these purposes
   * to the agent. `ending` says how: answered to the end, a stop, or an erasure.
   */
  | {
      readonly type: 'handoffDone';
      readonly handoffId: string;
      readonly purposeIds: readonly string[];
      readonly ending: HandoffEnding;
    };

export type HandoffEnding = 'finished' | 'stopped' | 'erased';
