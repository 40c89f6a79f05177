import {
  ActivityEventNames,
  ActivityTypes,
  type Activity,
  type Middleware,
  type ResourceResponse,
  type TranscriptLogger,
  type TurnContext,
} from 'botbuilder';
import { redactPersonalData } from '../../consent/redaction.js';
import { errorFields, type Logger } from '../platform/log.js';

export interface TranscriptLoggingDeps {
  readonly store: TranscriptLogger;
  readonly log: Logger;
  readonly now?: () => Date;
}

const EVENT: string = ActivityTypes.Event;
const CONTINUE_CONVERSATION: string = ActivityEventNames.ContinueConversation;

type Direction = 'in' | 'out' | 'update' | 'delete';

/** Every string inside a value, redacted; keys and non-string values untouched. */
function redactDeep(value: unknown, count: { redactions: number }): unknown {
  if (typeof value === 'string') {
    const redacted = redactPersonalData(value);
    count.redactions += redacted.redactions;
    return redacted.text;
  }
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, count));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, count)]),
    );
  }
  return value;
}

/**
 * A copy of the activity as the transcript keeps it: what the person typed or was shown (`text`,
 * `speak`), what a card submitted (`value`) and what a card displayed (attachment content, e.g.
 * Adaptive Card TextBlocks) lose e-mail addresses, phone numbers, IBANs and card numbers. The live
 * activity is never changed: the opt-out guard and the bot read the original.
 */
export function redactActivity(activity: Partial<Activity>): {
  activity: Partial<Activity>;
  redactions: number;
} {
  // A JSON copy: nothing in the stored activity is shared with the one the turn works on.
  const copy = JSON.parse(JSON.stringify(activity)) as Partial<Activity>;
  const count = { redactions: 0 };
  if (typeof copy.text === 'string') copy.text = redactDeep(copy.text, count) as string;
  if (typeof copy.speak === 'string') copy.speak = redactDeep(copy.speak, count) as string;
  if (copy.value !== undefined) copy.value = redactDeep(copy.value, count);
  if (Array.isArray(copy.attachments)) {
    copy.attachments = copy.attachments.map((attachment) =>
      attachment.content === undefined
        ? attachment
        : { ...attachment, content: redactDeep(attachment.content, count) },
    );
  }
  return { activity: copy, redactions: count.redactions };
}

/**
 * Keeps every activity of a conversation, in and out, in a transcript store, redacted. Unlike
 * botbuilder's TranscriptLoggerMiddleware, which writes fire-and-forget after the turn and writes
 * nothing for a turn that throws:
 * - the incoming activity is stored before the rest of the turn runs;
 * - each reply is stored right after the channel accepted it, and the send resolves only then, so
 *   a turn is not acknowledged before its transcript is stored;
 * - a turn that throws has already stored what it received and sent; the error goes on unchanged.
 *
 * Use it before the opt-out guard, so stops and their confirmations are in the transcript.
 */
/** Set in turn state by whoever erased the person during this turn (GDPR art. 17). */
export const ERASED_THIS_TURN = Symbol('erased-this-turn');

export class TranscriptLoggingMiddleware implements Middleware {
  readonly #store: TranscriptLogger;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor({ store, log, now = () => new Date() }: TranscriptLoggingDeps) {
    this.#store = store;
    this.#log = log;
    this.#now = now;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const incoming = context.activity;
    // The SDK's own event to resume a conversation (proactive messages) is nothing anyone said.
    const internal = incoming.type === EVENT && incoming.name === CONTINUE_CONVERSATION;
    if (!internal) {
      await this.#keep({ ...incoming, from: { role: 'user', ...incoming.from } }, 'in');
    }

    context.onSendActivities(async (_context, activities, sendNext) => {
      const responses: ResourceResponse[] = await sendNext();
      // The person's data was just erased: the reply must not start a new transcript of them.
      if (context.turnState.get(ERASED_THIS_TURN) === true) return responses;
      for (const [index, activity] of activities.entries()) {
        const id = responses[index]?.id ?? activity.id;
        await this.#keep({ ...activity, ...(id ? { id } : {}) }, 'out');
      }
      return responses;
    });
    context.onUpdateActivity(async (_context, activity, updateNext) => {
      await updateNext();
      await this.#keep({ ...activity, type: ActivityTypes.MessageUpdate }, 'update');
    });
    context.onDeleteActivity(async (_context, reference, deleteNext) => {
      await deleteNext();
      await this.#keep(
        {
          type: ActivityTypes.MessageDelete,
          id: reference.activityId,
          channelId: reference.channelId,
          conversation: reference.conversation,
          from: reference.bot,
          recipient: reference.user,
          serviceUrl: reference.serviceUrl,
        },
        'delete',
      );
    });

    await next();
  }

  async #keep(activity: Partial<Activity>, direction: Direction): Promise<void> {
    const { activity: redacted, redactions } = redactActivity({
      ...activity,
      timestamp: activity.timestamp ?? this.#now(),
    });
    const fields = {
      conversation: activity.conversation?.id,
      activity: activity.id,
      direction,
    };
    try {
      await this.#store.logActivity(redacted as Activity);
      this.#log.debug('transcript.stored', { ...fields, redactions });
    } catch (error) {
      // Deliberately not rethrown. The ledger is the proof of consent (GDPR art. 7(1)) and is
      // written, durably, before any reply; a transcript is supporting evidence. Failing the turn
      // here would either withhold the confirmation of a stop that is already recorded, or have
      // the person repeat a decision already made. So the gap is logged (by code: the error may
      // quote the activity) for operators to see, and the conversation goes on.
      this.#log.error('transcript.not_stored', { ...fields, ...errorFields(error) });
    }
  }
}
