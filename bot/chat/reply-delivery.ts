import {
  ActivityEventNames,
  ActivityTypes,
  CloudAdapter,
  type Activity,
  type InvokeResponse,
  type Middleware,
  type ResourceResponse,
  type TurnContext,
} from 'botbuilder';
import { errorFields, type Logger } from '../platform/log.js';

/** The SDK's own event of a proactive turn (continueConversationAsync), not a channel's. */
export function isProactive(activity: Partial<Activity>): boolean {
  return (
    activity.type === (ActivityTypes.Event as string) &&
    activity.name === (ActivityEventNames.ContinueConversation as string)
  );
}

/**
 * Replies the channel could not take. Without `deliveryMode: expectReplies`, the bot POSTs each
 * reply to the activity's serviceUrl; when that fails (the channel is down, or the serviceUrl is
 * unreachable), botbuilder throws from sendActivity, the turn failed half-way, and the channel got
 * a 500 for a turn whose decision was already in the ledger: it would then resend the activity.
 *
 * Use it first, before the transcript logger: a reply that was not delivered is then not in the
 * transcript (the logger records a reply only once the channel took it), and the turn goes on. A
 * decision is durable once the ledger has it; the reply is a courtesy the channel may not get.
 * After the first failure, the turn's later replies are not attempted: each attempt would wait out
 * the connector's retries again. Proactive turns are left alone: their caller reports the failure.
 */
export class ReplyDeliveryMiddleware implements Middleware {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    // A proactive turn (a hand-off) has a caller waiting to learn that the channel refused.
    if (isProactive(context.activity)) {
      await next();
      return;
    }
    let unreachable = false;
    context.onSendActivities(async (_context, activities, sendNext) => {
      const facts = {
        conversation: context.activity.conversation.id,
        activity: context.activity.id,
        replies: activities.length,
      };
      if (unreachable) {
        this.#log.warn('reply.not_delivered', { ...facts, attempted: false });
        return [] as ResourceResponse[];
      }
      try {
        return await sendNext();
      } catch (error) {
        unreachable = true;
        this.#log.warn('reply.not_delivered', { ...facts, attempted: true, ...errorFields(error) });
        return [] as ResourceResponse[];
      }
    });
    await next();
  }
}

/** What one request to the messaging endpoint gets: the status, and a body when there is one. */
export type TurnAnswer =
  | { readonly status: number; readonly body?: unknown }
  | { readonly status: 401; readonly unauthenticated: true };

/**
 * CloudAdapter, without the parts of `process` that do not suit a server with structured logs:
 * `process` prints every failed request with console.error, error message and stack included, and
 * sends that message back to the caller. Here the activity is run by the same processActivity, and
 * the caller decides what is logged and answered.
 */
export class ConsentAdapter extends CloudAdapter {
  async run(
    authorization: string,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<TurnAnswer> {
    try {
      const invoke: InvokeResponse | undefined = await this.processActivity(
        authorization,
        withDates(activity),
        logic,
      );
      return { status: invoke?.status ?? 200, body: invoke?.body };
    } catch (error) {
      // botframework-connector's AuthenticationError carries the status it means (401).
      if ((error as { statusCode?: unknown }).statusCode === 401) {
        return { status: 401, unauthenticated: true };
      }
      throw error;
    }
  }
}

/**
 * What `process` does to an activity before running it (botbuilder's validateAndFixActivity, not
 * exported): the channel's date strings become Dates, the strings are kept as raw*.
 */
function withDates(activity: Activity): Activity {
  const fixed = activity as Activity & Record<string, unknown>;
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value: unknown = fixed[field];
    if (typeof value === 'string') {
      fixed[raw] = value;
      fixed[field] = new Date(value);
    }
  }
  return fixed;
}
