/**
 * The adapter from the bot's current, hand-written recogniser to the corpus's intents: the one
 * place that says which conversation event counts as which intent. A new recogniser gets its own
 * module beside this one and is listed in nlu/eval.ts.
 *
 * It reads a message as the bot does: the opt-out guard (bot/chat/opt-out-guard.ts) runs
 * `detectKeywordIntent` first and withdraws at once; only when that is no withdrawal does the
 * conversation see the event `understand` makes of the text.
 */
import type { Catalogue } from '../../consent/catalogue.js';
import { detectKeywordIntent } from '../../consent/opt-out.js';
import type { ConversationEvent, QuestionTopic } from '../../dialogs/events.js';
import { understand } from '../../dialogs/intents.js';
import type { TopicIntent } from '../corpus.js';
import type { Prediction, Recogniser } from '../recogniser.js';

/** The question topics the rules know, as corpus intents. */
const TOPICS: Readonly<Record<QuestionTopic, TopicIntent>> = {
  collect: 'ask.data',
  why: 'ask.purposes',
  retention: 'ask.retention',
  recipients: 'ask.recipients',
  controller: 'ask.controller',
  rights: 'ask.rights',
};

export function currentRules(catalogue: Catalogue): Recogniser {
  return { name: 'rules', recognise: (text) => readAsTheBotDoes(text, catalogue) };
}

/** The guard's withdrawal, else the conversation's event; exported for the hybrid recognisers. */
export function readAsTheBotDoes(text: string, catalogue: Catalogue): Prediction {
  const keyword = detectKeywordIntent(text, catalogue);
  if (keyword?.kind === 'withdraw') return { kind: 'stop', purposes: keyword.purposeIds };
  // The guard answers a question about stopping itself: how, with the stop buttons.
  if (keyword?.kind === 'askStop') return { kind: 'intent', intent: 'ask.withdrawal' };
  return fromEvent(understand(text, catalogue));
}

export function fromEvent(event: ConversationEvent): Prediction {
  const is = (intent: Extract<Prediction, { kind: 'intent' }>['intent']): Prediction => ({
    kind: 'intent',
    intent,
  });
  switch (event.type) {
    case 'user.agreed':
    case 'user.agreedExplicitly':
      return is('yes');
    case 'user.refused':
      return is('no');
    case 'user.asked':
      return event.purposeId === undefined
        ? is(TOPICS[event.topic])
        : { kind: 'intent', intent: TOPICS[event.topic], purpose: event.purposeId };
    // "Tell me more" gets the purpose's details: what it is for.
    case 'user.wantedDetails':
      return is('ask.purposes');
    // Not deciding now: the conversation moves on and asks again later.
    case 'user.skipped':
    case 'user.postponed':
    case 'user.hesitated':
      return is('hesitation');
    case 'user.greeted':
      return is('greeting');
    case 'user.helped':
      return is('help');
    case 'user.askedHuman':
      return is('handoff');
    case 'user.askedExport':
      return is('request.export');
    // "Delete", "erase" alone: the bot takes them as confirming an erasure asked for before.
    case 'user.askedErasure':
    case 'user.confirmedErasure':
      return is('request.erase');
    case 'user.restarted':
      return is('restart');
    // The bot's "Sorry, I need a clear answer" is what an off-topic message should get; so every
    // message the rules do not understand counts as off-topic, and off-topic's precision shows
    // how often a real request ends there.
    case 'user.unclear':
      return is('offtopic');
    default:
      return is('other');
  }
}
