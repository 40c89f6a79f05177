import type { Decision } from '../consent/ledger.js';
import type { QuestionTopic } from './events.js';

/** Keys of plain messages the conversation says; each is a key of locales/{en,fr}. */
export const SAY_KEYS = [
  'welcome.new',
  'welcome.back',
  'welcome.nothingToAsk',
  'explicit.needStatement',
  'purpose.skipped',
  'purpose.postponed',
  'help.general',
  'help.duringQuestion',
  'help.afterChoices',
  'stopped.reminder',
  'stopped.reminderResumable',
  'stopped.nothingToResume',
  'summary.howToChange',
  'change.which',
  'language.switched',
] as const;
export type SayKey = (typeof SAY_KEYS)[number];

/**
 * What the conversation asks the bot to do, in order. Only `record` has an effect: the bot makes it
 * durable before sending anything of the same turn. The rest are messages to render.
 */
export type ConversationOutput =
  | { readonly type: 'say'; readonly key: SayKey }
  /** Present a purpose and ask; `brief` re-asks only the question after a digression. */
  | {
      readonly type: 'ask';
      readonly purposeId: string;
      readonly step: 'question' | 'explicit';
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
    };
