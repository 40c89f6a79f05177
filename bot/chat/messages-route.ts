import type { Activity, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { error, HttpError, invalidRequest, route, type Route } from '../http/route.js';
import { MAX_ID_CHARS } from '../http/http-common.js';
import { errorFields, type Logger } from '../platform/log.js';
import { checkActivity, KNOWN_FIELDS } from './activity-shape.js';
import type { ConsentAdapter } from './reply-delivery.js';

export interface MessagesRouteDeps {
  readonly adapter: ConsentAdapter;
  readonly runTurn: (context: TurnContext) => Promise<void>;
  readonly log: Logger;
}

/** POST /api/messages: the channel's activities, checked (activity-shape.ts), then the turn. */
export function messagesRoute(deps: MessagesRouteDeps): Route {
  const { adapter, log } = deps;
  return route({
    method: 'POST',
    path: '/api/messages',
    summary: 'Bot Framework activities from the channel (Web Chat, Teams)',
    description:
      'Authenticated by the Bot Framework (MicrosoftAppId) when configured. ' +
      'deliveryMode expectReplies returns the replies in the response.',
    // The activity's own checks name the field (bot/chat/activity-shape.ts); the schema only
    // documents the body.
    body: z.unknown().meta({ type: 'object', description: 'A Bot Framework activity' }),
    responses: {
      200: { description: 'Processed (with expectReplies: the replies)' },
      201: { description: 'Processed' },
      400: invalidRequest(
        'INVALID_ACTIVITY: not a Bot Framework activity, a field the bot reads of the wrong ' +
          `type (the message names it), or an id over ${MAX_ID_CHARS} characters. A ` +
          'channelData, value or unknown field nested too deep is dropped, not refused',
      ),
      401: error('UNAUTHENTICATED: the Bot Framework token is missing or invalid'),
      413: error('The activity is larger than the body limit'),
      500: error('TURN_FAILED: the adapter failed outside the turn; safe to resend'),
    },
    handle: async ({ body }, { req }) => {
      const check = checkActivity(body);
      if (!check.ok) {
        // The problem names the field it is about: `activity.from.id must be...`.
        const field = /^activity\.(\S+)/.exec(check.problem)?.[1] ?? '';
        throw new HttpError(400, 'INVALID_ACTIVITY', check.problem, {
          issues: [{ path: field, message: check.problem }],
        });
      }
      for (const { field, reason } of check.dropped) {
        // Field names come from the body too: only the schema's own are worth naming.
        log.warn('activity.field_dropped', {
          field: KNOWN_FIELDS.has(field) ? field : 'other',
          reason,
        });
      }
      const authorization = req.header('authorization', '');
      let answer: Awaited<ReturnType<ConsentAdapter['run']>>;
      try {
        answer = await adapter.run(authorization, body as Activity, deps.runTurn);
      } catch (failure) {
        // onTurnError answers every failure of the turn itself: this is the adapter's own.
        log.error('turn.unhandled', errorFields(failure));
        throw new HttpError(
          500,
          'TURN_FAILED',
          'the activity could not be processed; it may be sent again',
        );
      }
      if ('unauthenticated' in answer) {
        throw new HttpError(
          401,
          'UNAUTHENTICATED',
          'the Bot Framework token is missing or invalid',
        );
      }
      return { status: answer.status, body: answer.body };
    },
  });
}
