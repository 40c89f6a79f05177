import { createActor, type Snapshot } from 'xstate';
import {
  consentConversationMachine,
  type ConsentConversationContext,
} from './consent-conversation.machine.js';
import type { ConversationEvent } from './events.js';
import type { ConversationOutput } from './outputs.js';

export interface ConversationStep {
  /** JSON-safe snapshot to persist in conversation state. */
  readonly snapshot: Snapshot<unknown>;
  /** What the bot must do, in order: durable records first, then messages. */
  readonly outputs: readonly ConversationOutput[];
  /** Dotted name of the state reached, e.g. "collecting.asking", for tests and logs. */
  readonly state: string;
}

/**
 * Runs events through the conversation from a persisted snapshot (or from the start) and collects
 * what it emitted. Pure: no I/O, the same inputs always give the same step.
 */
export function runConversation(
  persisted: Snapshot<unknown> | undefined,
  events: readonly ConversationEvent[],
): ConversationStep {
  const actor = createActor(
    consentConversationMachine,
    persisted ? { snapshot: upgraded(persisted) } : undefined,
  );
  const outputs: ConversationOutput[] = [];
  actor.on('*', (output) => outputs.push(output));
  actor.start();
  for (const given of events) {
    const { withHuman } = actor.getSnapshot().context;
    // Until a person takes the conversation, "continue" takes the request back: a channel with
    // no one to answer (or no agent hub at all) must not leave the customer facing silence.
    const event: ConversationEvent =
      withHuman === 'pending' && given.type === 'user.continued'
        ? { type: 'user.stoppedWaiting' }
        : given;
    // A person has the conversation: what the customer says is for them, not for the bot. A stop
    // is still obeyed (the opt-out guard records it first, then sends `user.withdrew`).
    if (withHuman && isForThePerson(event) && event.type !== 'user.stoppedWaiting') continue;
    // Never a silent state change: what a state does not handle is "unclear" there.
    actor.send(actor.getSnapshot().can(event) ? event : { type: 'user.unclear' });
  }
  const snapshot = actor.getPersistedSnapshot();
  const state = stateName(actor.getSnapshot().value);
  actor.stop();
  return { snapshot, outputs, state };
}

/** The machine's starting context: every field a conversation is expected to carry. */
const INITIAL_CONTEXT = createActor(consentConversationMachine).getSnapshot().context;

/**
 * A snapshot saved before a context field existed gets that field's starting value, so that a
 * conversation open during an upgrade goes on (e.g. counts unclear answers from zero).
 */
function upgraded(persisted: Snapshot<unknown>): Snapshot<unknown> {
  const saved = persisted as unknown as { context?: object };
  const context = { ...INITIAL_CONTEXT, ...saved.context };
  return { ...saved, context } as unknown as Snapshot<unknown>;
}

function isForThePerson(event: ConversationEvent): boolean {
  return (
    (event.type.startsWith('user.') && event.type !== 'user.withdrew') ||
    event.type === 'conversation.started'
  );
}

function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, child] = Object.entries(value)[0] ?? [];
    return key === undefined ? '' : `${key}.${stateName(child)}`;
  }
  return '';
}

/** The question a persisted conversation is waiting on, if any. */
export function openQuestionOf(
  persisted: Snapshot<unknown> | undefined,
): ConsentConversationContext['prompt'] {
  const context = (persisted as { context?: Partial<ConsentConversationContext> } | undefined)
    ?.context;
  return context?.prompt ?? null;
}

/** True before the first round of questions has started. */
export function isIdle(persisted: Snapshot<unknown> | undefined): boolean {
  const value = (persisted as { value?: unknown } | undefined)?.value;
  return !persisted || (value as { flow?: unknown } | undefined)?.flow === 'idle';
}

/** Whether a person has, or is about to take, the conversation (a hand-off to a human). */
export function withHumanOf(
  persisted: Snapshot<unknown> | undefined,
): ConsentConversationContext['withHuman'] {
  const context = (persisted as { context?: Partial<ConsentConversationContext> } | undefined)
    ?.context;
  return context?.withHuman ?? null;
}
