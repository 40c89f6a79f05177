import type { Locale } from '../consent/catalogue.js';
import type { OptOutReason } from '../consent/opt-out-reasons.js';

/** A purpose as the conversation needs it: which one, and what agreeing to it takes. */
export interface PurposeRef {
  readonly id: string;
  /** An express statement (art. 9(2)(a), location data), not a mere yes. */
  readonly explicit: boolean;
  /** An e-mail purpose and no verified address yet: ask for one, then double opt-in. */
  readonly needsAddress: boolean;
}

export { OPT_OUT_REASONS, type OptOutReason } from '../consent/opt-out-reasons.js';

/** What the person can ask about; answered from the data map (GDPR art. 12-13). */
export const QUESTION_TOPICS = [
  'collect',
  'why',
  'retention',
  'recipients',
  'controller',
  'rights',
] as const;
export type QuestionTopic = (typeof QUESTION_TOPICS)[number];

/** Why the bot hands the conversation to a person. */
export type HandoffReason = 'requested' | 'not-understood';

/** What a support agent hands over to the bot: consent questions, the data map, or a receipt. */
export const AGENT_TOPICS = ['consent', 'data-map', 'receipt'] as const;
export type AgentTopic = (typeof AGENT_TOPICS)[number];

/** Everything the consent conversation reacts to. The bot maps activities to these. */
export type ConversationEvent =
  | {
      readonly type: 'conversation.started';
      readonly purposes: readonly PurposeRef[];
      readonly returning: boolean;
      /**
       * The person's first message, when they wrote first: the conversation decides what of it
       * to answer before, instead of, or after its welcome. Never a decision: nothing was shown.
       */
      readonly message?: ConversationEvent;
    }
  | { readonly type: 'user.agreed' }
  | { readonly type: 'user.agreedExplicitly' }
  | { readonly type: 'user.refused' }
  | { readonly type: 'user.wantedDetails' }
  | { readonly type: 'user.skipped' }
  | { readonly type: 'user.postponed' }
  | { readonly type: 'user.greeted' }
  /** "Maybe", « je sais pas », "hmm": not a decision; nothing is recorded. */
  | { readonly type: 'user.hesitated' }
  | { readonly type: 'user.unclear' }
  /**
   * A message the bot could not read at all (too long, or no text): the bot has said why; the
   * open question is asked again so that the next answer is read as its answer.
   */
  | { readonly type: 'user.unreadable' }
  | { readonly type: 'user.continued' }
  | { readonly type: 'user.helped' }
  | { readonly type: 'user.asked'; readonly topic: QuestionTopic; readonly purposeId?: string }
  | { readonly type: 'user.showedChoices' }
  | { readonly type: 'user.gaveAddress'; readonly email: string }
  /** "What do you have on me?" (GDPR art. 15). */
  | { readonly type: 'user.askedExport' }
  /** "Delete my data" (GDPR art. 17), then its confirmation or cancellation. */
  | { readonly type: 'user.askedErasure' }
  | { readonly type: 'user.confirmedErasure' }
  | { readonly type: 'user.cancelledErasure' }
  | { readonly type: 'user.gaveReason'; readonly reason: OptOutReason }
  | { readonly type: 'user.switchedLocale'; readonly locale: Locale }
  /** Sent by the opt-out guard: the conversation is saved as stopped before the withdrawal is recorded. */
  | { readonly type: 'user.withdrew'; readonly purposeIds: readonly string[] | 'all' }
  /** START: a fresh opt-in round over these purposes, never an undo of the withdrawal. */
  | { readonly type: 'user.restarted'; readonly purposes: readonly PurposeRef[] }
  /** "change my newsletter choice": ask these purposes again now. */
  | { readonly type: 'user.changing'; readonly purposes: readonly PurposeRef[] }
  /** "My receipt", "proof of my consent": the receipts of what the person agreed to. */
  | { readonly type: 'user.askedReceipt' }
  /** "Talk to a person": hand the conversation to a human. */
  | { readonly type: 'user.askedHuman' }
  /** The channel's answer to a hand-off to a human (Bot Framework `handoff.status`). */
  | { readonly type: 'human.accepted' }
  | { readonly type: 'human.failed' }
  | { readonly type: 'human.completed' }
  /** "Continue" while no person has taken the conversation yet: the bot carries on. */
  | { readonly type: 'user.stoppedWaiting' }
  /** A support agent handed this conversation to the bot, for these purposes (maybe none). */
  | {
      readonly type: 'agent.handedOver';
      readonly handoffId: string;
      readonly topic: AgentTopic;
      readonly purposes: readonly PurposeRef[];
    };
