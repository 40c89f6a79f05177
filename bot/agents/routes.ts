import { randomUUID } from 'node:crypto';
import type { CloudAdapter, ConversationReference, TranscriptStore } from 'botbuilder';
import { z } from 'zod';
import { LOCALES, purposeOf, type Catalogue } from '../../consent/catalogue.js';
import { STATUSES } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { AGENT_TOPICS } from '../../dialogs/events.js';
import type { ConsentBot } from '../chat/consent-bot.js';
import { transcriptOf, type Handoffs } from '../chat/handoff.js';
import { MAX_ID_CHARS } from '../http/http-common.js';
import {
  coded,
  error,
  HttpError,
  id as idSchema,
  invalidRequest,
  route,
  type Route,
} from '../http/route.js';
import { errorFields, type Logger } from '../platform/log.js';

export interface HandoffRoutesDeps {
  readonly adapter: CloudAdapter;
  readonly bot: ConsentBot;
  readonly catalogue: Catalogue;
  readonly handoffs: Handoffs;
  /** Where the bot looks up whether it has been part of the conversation handed over. */
  readonly transcripts: TranscriptStore;
  /** The bot's Microsoft App id ('' when running without Bot Framework credentials). */
  readonly appId: string;
  /** HANDOFF_CALLBACK_ORIGINS: the only places a webhook may be sent to. */
  readonly callbackOrigins: readonly string[];
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
}

const id = z.string().min(1).max(MAX_ID_CHARS);
const isoTime = z.iso.datetime();
const account = z.looseObject({ id });

/** A Bot Framework ConversationReference, as the agent's channel or CRM kept it. */
const reference = z.looseObject({
  channelId: id,
  serviceUrl: z.url({ protocol: /^https?$/ }),
  conversation: account,
  user: account,
  bot: account.optional(),
  locale: z.string().max(64).optional(),
});

const body = z.strictObject({
  conversationReference: reference,
  purposes: z.array(id).min(1).max(100).optional(),
  topic: z.enum(AGENT_TOPICS).default('consent'),
  locale: z.enum(LOCALES).optional(),
  callbackUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
});

/** Only support agents hand conversations over; they also read how their hand-offs went. */
const ROLES = ['agent'] as const;

/**
 * Agent -> bot hand-off: an agent gives the bot a customer's conversation and a topic;
 * the bot starts in that conversation at once (a proactive message) and, when the customer is
 * done, reports the outcome of each purpose as a `handoff.status` event in the conversation and,
 * when asked, to a webhook. Reports carry the hand-off id, purpose ids and statuses only.
 */
export function handoffRoutes(deps: HandoffRoutesDeps): Route[] {
  const { adapter, bot, catalogue, handoffs, log } = deps;
  return [
    route({
      method: 'POST',
      path: '/api/handoffs',
      summary: "Hands a customer's consent question to the bot, in their conversation",
      description:
        'The bot writes in the conversation at once (proactive message) and asks only the ' +
        'given purposes. When the customer is done (answered, stopped or erased), a ' +
        'handoff.status event { state: completed, handoffId, ending, outcome } goes into the ' +
        'conversation, and the same outcome is POSTed to callbackUrl (HANDOFF_CALLBACK_ORIGINS).',
      roles: ROLES,
      body,
      invalid: 'INVALID_HANDOFF',
      access: 'handoff.start',
      failure: 'api.handoff_not_recorded',
      responses: {
        202: {
          description: 'Started',
          schema: z.object({ handoffId: z.string(), status: z.literal('started') }),
        },
        400: invalidRequest('INVALID_HANDOFF, UNKNOWN_PURPOSE or CALLBACK_NOT_ALLOWED'),
        404: error(
          'CONVERSATION_NOT_FOUND: the bot has not been part of this conversation at this serviceUrl',
        ),
        502: error('CHANNEL_UNREACHABLE: the channel refused the bot'),
      },
      handle: async ({ body: request }, { caller, access }) => {
        const unknown = (request.purposes ?? []).filter((p) => !purposeOf(catalogue, p));
        if (unknown.length > 0) {
          throw new HttpError(
            400,
            'UNKNOWN_PURPOSE',
            'the data map has no purpose with these ids',
            {
              purposes: unknown,
              issues: [{ path: 'purposes', message: 'the data map has no purpose with these ids' }],
            },
          );
        }
        // SSRF: the bot only ever calls back where the operator allowed (HANDOFF_CALLBACK_ORIGINS).
        if (
          request.callbackUrl &&
          !deps.callbackOrigins.includes(new URL(request.callbackUrl).origin)
        ) {
          throw new HttpError(
            400,
            'CALLBACK_NOT_ALLOWED',
            'callbackUrl is not on an allowed origin',
            {
              issues: [{ path: 'callbackUrl', message: 'not on an allowed origin' }],
            },
          );
        }

        // The bot writes only where a channel has already talked to it, at the address that channel
        // gave: otherwise any agent token could make the bot (and its Bot Framework credentials)
        // post to a URL of the caller's choosing.
        const { channelId, conversation, serviceUrl } = request.conversationReference;
        let known: boolean;
        try {
          known = await conversationSeenAt(
            deps.transcripts,
            channelId,
            conversation.id,
            serviceUrl,
          );
        } catch (failure) {
          log.error('api.handoff_lookup_failed', { role: caller.role, ...errorFields(failure) });
          throw new HttpError(503, 'STORE_UNAVAILABLE', 'the store is unavailable, try again');
        }
        if (!known) {
          throw new HttpError(
            404,
            'CONVERSATION_NOT_FOUND',
            'the bot has no record of this conversation at this serviceUrl',
          );
        }

        const handoffId = randomUUID();
        const person = deps.ledgerSubjectOf({
          channelId,
          userId: request.conversationReference.user.id,
        });
        await access(subjectKey(person), { handoff: handoffId, topic: request.topic });
        const purposeIds = request.purposes ? [...new Set(request.purposes)] : undefined;
        await handoffs.start({
          id: handoffId,
          topic: request.topic,
          purposeIds: purposeIds ?? [],
          ...(request.locale ? { locale: request.locale } : {}),
          ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
        });

        // Checked above; botbuilder's types ask for more (names) than a reference needs.
        const target = {
          ...request.conversationReference,
          bot: request.conversationReference.bot ?? { id: deps.appId || 'consent-bot' },
        } as unknown as Partial<ConversationReference>;
        try {
          await adapter.continueConversationAsync(deps.appId, target, (context) =>
            bot.startAgentHandoff(context, {
              handoffId,
              topic: request.topic,
              ...(purposeIds ? { purposeIds } : {}),
              ...(request.locale ? { locale: request.locale } : {}),
            }),
          );
        } catch (failure) {
          log.error('api.handoff_not_started', {
            role: caller.role,
            handoff: handoffId,
            ...errorFields(failure),
          });
          await handoffs.discard(handoffId).catch(() => undefined);
          throw new HttpError(
            502,
            'CHANNEL_UNREACHABLE',
            'the bot could not write in this conversation',
          );
        }
        log.info('api.handoff_started', {
          role: caller.role,
          handoff: handoffId,
          topic: request.topic,
          purposes: purposeIds?.length ?? 0,
          callback: request.callbackUrl !== undefined,
        });
        return { status: 202, body: { handoffId, status: 'started' } };
      },
    }),
    route({
      method: 'GET',
      path: '/api/handoffs/:id',
      summary: 'A hand-off: state, purposes, ending and outcome (no personal ids)',
      roles: ROLES,
      params: z.object({
        id: coded(idSchema.meta({ description: 'The handoffId' }), 'INVALID_HANDOFF_ID'),
      }),
      access: 'handoff.read',
      failure: 'api.handoff_read_failed',
      responses: {
        200: {
          description: 'The hand-off',
          schema: z.looseObject({
            id: z.string(),
            state: z.enum(['started', 'completed']),
            topic: z.enum(AGENT_TOPICS),
            purposeIds: z.array(z.string()),
            startedAt: isoTime,
            ending: z.enum(['finished', 'stopped', 'erased']).optional(),
            outcome: z
              .array(z.looseObject({ purposeId: z.string(), status: z.enum(STATUSES) }))
              .optional(),
          }),
        },
        404: error('HANDOFF_NOT_FOUND: no such hand-off'),
      },
      handle: async ({ params }, { access }) => {
        const record = await handoffs.get(params.id);
        if (!record) {
          throw new HttpError(404, 'HANDOFF_NOT_FOUND', 'there is no hand-off with this id');
        }
        await access('*', { handoff: params.id });
        return { status: 200, body: record, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
  ];
}

/** Whether the transcripts hold an activity of this conversation with this serviceUrl. */
async function conversationSeenAt(
  transcripts: TranscriptStore,
  channelId: string,
  conversationId: string,
  serviceUrl: string,
): Promise<boolean> {
  const { activities } = await transcriptOf(transcripts, channelId, conversationId);
  return activities.some((activity) => activity.serviceUrl === serviceUrl);
}
