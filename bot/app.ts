import {
  type CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  MessageFactory,
  type TurnContext,
} from 'botbuilder';
import { join } from 'node:path';
import type { Server } from 'restify';
import type { Catalogue } from '../consent/catalogue.js';
import type { Stores } from '../storage/stores.js';
import { anyOf, jwtAuthenticator, tokenAuthenticator, type Authenticator } from './http/auth.js';
import type { Config } from './platform/config.js';
import { ConsentBot } from './chat/consent-bot.js';
import { controllerDetailsOf } from '../consent/receipts.js';
import { ConversationMemory } from './chat/conversation-memory.js';
import { createTranslator, localeFrom, type Translator } from './platform/i18n.js';
import { errorFields, type Logger } from './platform/log.js';
import type { Keys } from './platform/secrets.js';
import { suppressionEntriesFor } from '../consent/suppression.js';
import type { Subject } from '../consent/subject.js';
import { complianceRoutes } from './compliance/routes.js';
import { contactPermissionRoutes } from './subjects/contact-permission-routes.js';
import { DoubleOptIn } from './email/double-opt-in.js';
import { verifyLink } from './email/links.js';
import { createMailer, type Mailer } from './email/mailer.js';
import { consoleRoutes } from './compliance/console-routes.js';
import { receiptRoutes } from './subjects/receipt-routes.js';
import { reportRoutes } from './compliance/report-routes.js';
import { rightsRoutes } from './subjects/rights-routes.js';
import { consentsRoutes } from './subjects/consents-routes.js';
import { verifyRoutes } from './proof/verify-routes.js';
import { messagesRoute } from './chat/messages-route.js';
import { emailRoutes } from './email/routes.js';
import { healthRoutes } from './http/health-routes.js';
import {
  describeErasure,
  eraseSubject,
  exportSubject,
  summariseExport,
  type SubjectDataDeps,
} from './subjects/subject-data.js';
import { OptOutGuard } from './chat/opt-out-guard.js';
import { TurnRunner } from './chat/turn.js';
import { rateLimits, rateLimitSettingsOf } from './chat/rate-limits.js';
import { ConsentAdapter, isProactive, ReplyDeliveryMiddleware } from './chat/reply-delivery.js';
import { createServer } from './http/server.js';
import { linkTranscripts } from './proof/transcript-links.js';
import { proofChecksOf } from './proof/proof-checks.js';
import { TranscriptLoggingMiddleware } from './chat/transcript-logger.js';
import { startRetentionSchedule, type RetentionSchedule } from '../storage/retention.js';
import { startCheckpointSchedule, type CheckpointSchedule } from './proof/checkpoint-schedule.js';
import { verifyLedger } from './proof/ledger-verification.js';
// Hand-offs: agents to the bot, the bot to people.
import { Handoffs } from './chat/handoff.js';
import { handoffRoutes } from './agents/routes.js';
import { homeRoutes } from './http/home.js';

export interface App {
  readonly server: Server;
  readonly adapter: CloudAdapter;
  readonly bot: ConsentBot;
  readonly optOutGuard: OptOutGuard;
  /** Deletes expired transcripts and confirmation tokens on a timer; stop it before the stores. */
  readonly retention: RetentionSchedule;
  /** Checkpoints of the ledger on a timer, when CHECKPOINT_DIR is set; stop it before the stores. */
  readonly checkpoints?: CheckpointSchedule;
}

export interface AppDeps {
  readonly config: Config;
  readonly catalogue: Catalogue;
  readonly stores: Stores;
  readonly log: Logger;
  readonly keys: Keys;
  readonly now?: () => Date;
  /** Tests give a mailer of their own; otherwise SMTP_URL, or the outbox folder. */
  readonly mailer?: Mailer;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** What export and erasure reach; the keyed hashes come from the secret only the app holds. */
function subjectDataOf(deps: AppDeps, now: () => Date): SubjectDataDeps {
  const { catalogue, stores, keys } = deps;
  const entriesOf = (subject: Subject, email: string | undefined, at: Date) =>
    suppressionEntriesFor(
      keys.suppressionSecret,
      { subject, emails: email ? [email] : [] },
      'erasure',
      at,
    );
  return {
    catalogue,
    ledger: stores.ledger,
    transcripts: stores.transcripts,
    addresses: stores.addresses,
    confirmations: stores.confirmations,
    suppression: stores.suppression,
    botState: stores.botState,
    now,
    suppressionEntriesOf: entriesOf,
    suppressionHashesOf: async (subject) => {
      const address = await stores.addresses.get(keys.ledgerSubject(subject));
      return entriesOf(subject, address?.email, now()).map((entry) => entry.hash);
    },
  };
}

export interface ConsentTurns {
  readonly bot: ConsentBot;
  readonly optOutGuard: OptOutGuard;
  readonly transcriptLogger: TranscriptLoggingMiddleware;
  readonly translator: Translator;
  readonly doubleOptIn: DoubleOptIn;
  /** What export and erasure reach, shared by the chat and the agents' API. */
  readonly subjectData: SubjectDataDeps;
  /** Agents' hand-offs to the bot. */
  readonly handoffs: Handoffs;
}

/** The conversation's parts, as the server and the tests use them. */
export function createConsentTurns(deps: AppDeps): ConsentTurns {
  const { config, catalogue, stores, log, keys, now = () => new Date() } = deps;
  const translator = createTranslator();
  const mailer =
    deps.mailer ??
    createMailer({
      smtpUrl: config.SMTP_URL,
      from: config.MAIL_FROM,
      outboxDir: join(config.DATA_DIR, 'outbox'),
      log,
    });
  const doubleOptIn = new DoubleOptIn({
    catalogue,
    ledger: stores.ledger,
    confirmations: stores.confirmations,
    addresses: stores.addresses,
    mailer,
    translator,
    keys,
    publicUrl: config.PUBLIC_URL,
    ttlHours: config.CONFIRMATION_TTL_HOURS,
    now,
    log,
  });
  const subjectData = subjectDataOf(deps, now);
  // Hand-offs: shared by the bot, the opt-out guard and the agents' route.
  const handoffs = new Handoffs({ storage: stores.botState, log, now });
  const controller = controllerDetailsOf(catalogue);
  const common = {
    handoffs,
    catalogue,
    // Decisions made in chat carry the digest of their transcript.
    ledger: linkTranscripts(stores.ledger, stores.transcripts, log),
    memory: new ConversationMemory(stores.botState, stores.ledger),
    confirmations: stores.confirmations,
    translator,
    defaultLocale: config.DEFAULT_LOCALE,
    now,
    log,
    keys,
    doubleOptIn,
  };
  // One turn runner for the bot and the opt-out guard: a stop and a "yes" keep the same order.
  const turns = new TurnRunner({
    ...common,
    notices: stores.notices,
    reasons: stores.reasons,
    // Hand-offs and receipts in chat.
    transcripts: stores.transcripts,
    ...(controller ? { controller } : {}),
    rights: {
      export: async (user, ledgerSubject, t, locale) => {
        const exported = await exportSubject(subjectData, user, ledgerSubject);
        return { summary: summariseExport(exported, t, locale).join('\n'), json: exported };
      },
      erase: async (user, ledgerSubject, t, conversationId) =>
        describeErasure(
          await eraseSubject(subjectData, user, ledgerSubject, now(), {
            currentConversationId: conversationId,
          }),
          t,
        ),
    },
    confirmationHours: config.CONFIRMATION_TTL_HOURS,
    transcriptRetentionDays: config.TRANSCRIPT_RETENTION_DAYS,
  });
  return {
    translator,
    doubleOptIn,
    subjectData,
    handoffs,
    transcriptLogger: new TranscriptLoggingMiddleware({ store: stores.transcripts, log, now }),
    optOutGuard: new OptOutGuard({ ...common, turns }),
    bot: new ConsentBot({
      ...common,
      turns,
      addresses: stores.addresses,
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      refusalPauseMs: config.REFUSAL_PAUSE_DAYS * DAY_MS,
    }),
  };
}

/** API_TOKENS, and JWTs from the configured issuer when there is one. */
export function authenticatorOf(config: Config): Authenticator {
  const tokens = tokenAuthenticator(config.API_TOKENS);
  const { JWT_ISSUER, JWT_AUDIENCE, JWT_JWKS_URI } = config;
  if (!JWT_ISSUER || !JWT_AUDIENCE || !JWT_JWKS_URI) return tokens;
  return anyOf([
    tokens,
    jwtAuthenticator({
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      jwksUri: JWT_JWKS_URI,
      rolesClaim: config.JWT_ROLES_CLAIM,
    }),
  ]);
}

/** The one place where everything is wired, by plain arguments. */
export function createApp(deps: AppDeps): App {
  const { config, catalogue, stores, log } = deps;
  const turns = createConsentTurns(deps);
  const { bot, optOutGuard, transcriptLogger, translator, doubleOptIn } = turns;
  const now = deps.now ?? (() => new Date());
  const auth = authenticatorOf(config);
  // Every verification checks the chain and the evidence events name: notices, transcripts.
  const checkEvents = proofChecksOf(stores, deps.keys, config, now);
  const adapter = new ConsentAdapter(
    new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppId: config.MicrosoftAppId,
      MicrosoftAppPassword: config.MicrosoftAppPassword,
      MicrosoftAppType: config.MicrosoftAppType,
      MicrosoftAppTenantId: config.MicrosoftAppTenantId,
    }),
  );
  // Replies the channel cannot take do not fail the turn (see reply-delivery.ts); it wraps the
  // transcript logger, which wraps the guard, so stops and their confirmations are in transcripts.
  adapter.use(new ReplyDeliveryMiddleware(log));
  adapter.use(transcriptLogger);
  adapter.use(optOutGuard);
  // Replaces botbuilder's default, which prints the error and its message with console.error.
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error('turn.failed', {
      conversation: context.activity.conversation.id,
      activity: context.activity.id,
      ...errorFields(error),
    });
    try {
      const t = translator(localeFrom(context.activity.locale, config.DEFAULT_LOCALE));
      await context.sendActivity(MessageFactory.text(t('error.generic')));
    } catch (apology) {
      // A proactive turn's caller (a hand-off) answers the agent that the channel refused.
      if (isProactive(context.activity)) throw apology;
      log.error('turn.apology_failed', {
        conversation: context.activity.conversation.id,
        ...errorFields(apology),
      });
    }
  };

  const controller = controllerDetailsOf(catalogue);
  const ledgerSubjectOf = deps.keys.ledgerSubject;
  const isUnsubscribeToken = (token: string) => verifyLink(deps.keys.linkKey, token) !== undefined;
  // Each feature's routes; the server only mounts them (bot/http/route.ts).
  const routes = [
    ...healthRoutes({ readiness: stores.readiness, log }),
    messagesRoute({ adapter, runTurn: (context) => bot.run(context), log }),
    ...emailRoutes({
      confirm: (token) => doubleOptIn.confirm(token),
      unsubscribe: (token, locale) => doubleOptIn.unsubscribe(token, locale),
      isUnsubscribeToken,
      translator,
      defaultLocale: config.DEFAULT_LOCALE,
      log,
    }),
    ...consoleRoutes(),
    ...homeRoutes(config.DEFAULT_LOCALE),
    ...consentsRoutes({ catalogue, ledger: stores.ledger, ledgerSubjectOf, log }),
    ...verifyRoutes({
      ledger: stores.ledger,
      checkEvents,
      sealKey: deps.keys.sealKey,
      ledgerSubjectOf,
      log,
    }),
    ...contactPermissionRoutes({
      catalogue,
      ledger: stores.ledger,
      suppression: stores.suppression,
      suppressionHashesOf: async (subject) => [
        ...(await turns.subjectData.suppressionHashesOf(subject)),
      ],
      ledgerSubjectOf,
      log,
      now,
    }),
    ...reportRoutes({ reasons: stores.reasons, log }),
    ...receiptRoutes({
      catalogue,
      ledger: stores.ledger,
      ledgerSubjectOf,
      log,
      ...(controller ? { controller } : {}),
    }),
    ...complianceRoutes({
      catalogue,
      ledger: stores.ledger,
      notices: stores.notices,
      transcripts: stores.transcripts,
      accessLog: stores.accessLog,
      reasons: stores.reasons,
      ledgerSubjectOf,
      log,
      ...(controller ? { controller } : {}),
      checkEvents,
      sealKey: deps.keys.sealKey,
    }),
    ...rightsRoutes({ ...turns.subjectData, ledgerSubjectOf, log }),
    // Hand-offs: support agents hand a conversation to the bot.
    ...handoffRoutes({
      adapter,
      bot,
      catalogue,
      handoffs: turns.handoffs,
      transcripts: stores.transcripts,
      appId: config.MicrosoftAppId,
      callbackOrigins: config.HANDOFF_CALLBACK_ORIGINS,
      ledgerSubjectOf,
      log,
    }),
  ];
  const server = createServer({
    routes,
    auth,
    accessLog: stores.accessLog,
    log,
    publicUrl: config.PUBLIC_URL,
    // After the body parser: whether a message over its budget is a stop is read from its text.
    middleware: [
      rateLimits({ settings: rateLimitSettingsOf(config), catalogue, log, isUnsubscribeToken }),
    ],
  });
  const retention = startRetentionSchedule({
    jobs: [
      {
        name: 'transcripts',
        run: (at) =>
          stores.transcripts.deleteOlderThan(
            new Date(at.getTime() - config.TRANSCRIPT_RETENTION_DAYS * DAY_MS),
          ),
      },
      // Unopened confirmation links become `expired` events: the ledger keeps every outcome.
      { name: 'pending-confirmations', run: (at) => doubleOptIn.expire(at) },
    ],
    everyMs: config.RETENTION_INTERVAL_MINUTES * 60_000,
    now,
    log,
  });
  // Chains cut at the end and people deleted whole show only against an earlier checkpoint.
  const checkpoints = config.CHECKPOINT_DIR
    ? startCheckpointSchedule({
        dir: config.CHECKPOINT_DIR,
        everyMs: config.CHECKPOINT_INTERVAL_HOURS * 3_600_000,
        now,
        log,
        verify: (anchoring) =>
          verifyLedger(
            stores.ledger,
            {},
            {
              checkEvent: checkEvents(),
              sealKey: deps.keys.sealKey,
              ...anchoring,
            },
          ),
      })
    : undefined;
  return { server, adapter, bot, optOutGuard, retention, ...(checkpoints ? { checkpoints } : {}) };
}
