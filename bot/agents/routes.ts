import { randomUUID } from 'node:crypto';
import type { CloudAdapter, ConversationReference, TranscriptStore } from 'botbuilder';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { LOCALES, purposeOf, type Catalogue } from '../../consent/catalogue.js';
import type { AccessLog } from '../../consent/access-log.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { AGENT_TOPICS } from '../../dialogs/events.js';
import type { Authenticator } from '../http/auth.js';
import type { ConsentBot } from '../chat/consent-bot.js';
import { transcriptOf, type Handoffs } from '../chat/handoff.js';
import { admit, fail, ID_RULE, isId, MAX_ID_CHARS, recordAccess } from '../http/http-common.js';
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
  readonly auth: Authenticator;
  /** Handing a person's conversation over is an access to their data: recorded first. */
  readonly accessLog: AccessLog;
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
}

const id = z.string().min(1).max(MAX_ID_CHARS);
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
export function registerHandoffRoutes(server: Server, deps: HandoffRoutesDeps): void {
  const { adapter, bot, catalogue, handoffs, log } = deps;

  server.post('/api/handoffs', async (req: Request, res: Response) => {
    const caller = await admit(req, res, deps.auth, ROLES);
    if (!caller) return;
    const parsed = body.safeParse(req.body);
    if (!parsed.success) {
      fail(res, 400, 'INVALID_HANDOFF', 'the body is not a valid hand-off request', {
        problems: parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`,
        ),
      });
      return;
    }
    const request = parsed.data;
    const unknown = (request.purposes ?? []).filter((p) => !purposeOf(catalogue, p));
    if (unknown.length > 0) {
      fail(res, 400, 'UNKNOWN_PURPOSE', 'the data map has no purpose with these ids', {
        purposes: unknown,
      });
      return;
    }
    // SSRF: the bot only ever calls back where the operator allowed (HANDOFF_CALLBACK_ORIGINS).
    if (
      request.callbackUrl &&
      !deps.callbackOrigins.includes(new URL(request.callbackUrl).origin)
    ) {
      fail(res, 400, 'CALLBACK_NOT_ALLOWED', 'callbackUrl is not on an allowed origin');
      return;
    }

    // The bot writes only where a channel has already talked to it, at the address that channel
    // gave: otherwise any agent token could make the bot (and its Bot Framework credentials) post
    // to a URL of the caller's choosing.
    const { channelId, conversation, serviceUrl } = request.conversationReference;
    let known: boolean;
    try {
      known = await conversationSeenAt(deps.transcripts, channelId, conversation.id, serviceUrl);
    } catch (error) {
      log.error('api.handoff_lookup_failed', { role: caller.role, ...errorFields(error) });
      fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable, try again');
      return;
    }
    if (!known) {
      fail(
        res,
        404,
        'CONVERSATION_NOT_FOUND',
        'the bot has no record of this conversation at this serviceUrl',
      );
      return;
    }

    const handoffId = randomUUID();
    const person = deps.ledgerSubjectOf({
      channelId,
      userId: request.conversationReference.user.id,
    });
    const detail = { handoff: handoffId, topic: request.topic };
    if (
      !(await recordAccess(
        res,
        deps.accessLog,
        caller,
        'handoff.start',
        subjectKey(person),
        detail,
      ))
    ) {
      return;
    }
    const purposeIds = request.purposes ? [...new Set(request.purposes)] : undefined;
    try {
      await handoffs.start({
        id: handoffId,
        topic: request.topic,
        purposeIds: purposeIds ?? [],
        ...(request.locale ? { locale: request.locale } : {}),
        ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
      });
    } catch (error) {
      log.error('api.handoff_not_recorded', { role: caller.role, ...errorFields(error) });
      fail(res, 503, 'STORE_UNAVAILABLE', 'the hand-off could not be recorded, try again');
      return;
    }

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
    } catch (error) {
      log.error('api.handoff_not_started', {
        role: caller.role,
        handoff: handoffId,
        ...errorFields(error),
      });
      await handoffs.discard(handoffId).catch(() => undefined);
      fail(res, 502, 'CHANNEL_UNREACHABLE', 'the bot could not write in this conversation');
      return;
    }
    log.info('api.handoff_started', {
      role: caller.role,
      handoff: handoffId,
      topic: request.topic,
      purposes: purposeIds?.length ?? 0,
      callback: request.callbackUrl !== undefined,
    });
    res.send(202, { handoffId, status: 'started' });
  });

  server.get('/api/handoffs/:id', async (req: Request, res: Response) => {
    const caller = await admit(req, res, deps.auth, ROLES);
    if (!caller) return;
    const { id: handoffId } = (req.params ?? {}) as Record<string, unknown>;
    if (!isId(handoffId)) {
      fail(res, 400, 'INVALID_HANDOFF_ID', `the hand-off id must be ${ID_RULE}`);
      return;
    }
    try {
      const record = await handoffs.get(handoffId);
      if (!record) {
        fail(res, 404, 'HANDOFF_NOT_FOUND', 'there is no hand-off with this id');
        return;
      }
      const detail = { handoff: handoffId };
      if (!(await recordAccess(res, deps.accessLog, caller, 'handoff.read', '*', detail))) return;
      res.header('Cache-Control', 'no-store');
      res.send(200, record);
    } catch (error) {
      log.error('api.handoff_read_failed', { role: caller.role, ...errorFields(error) });
      fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable, try again');
    }
  });
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
