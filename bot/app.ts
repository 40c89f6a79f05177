import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  MessageFactory,
  type TurnContext,
} from 'botbuilder';
import type { Server } from 'restify';
import type { Catalogue } from '../consent/catalogue.js';
import type { Stores } from '../storage/stores.js';
import type { Config } from './config.js';
import { ConsentBot } from './consent-bot.js';
import { ConversationMemory } from './conversation-memory.js';
import { createTranslator, localeFrom, type Translator } from './i18n.js';
import { errorFields, type Logger } from './log.js';
import { OptOutGuard } from './opt-out-guard.js';
import { createServer } from './server.js';
import { TranscriptLoggingMiddleware } from './transcript-logger.js';
import { startRetentionSchedule, type RetentionSchedule } from '../storage/retention.js';

export interface App {
  readonly server: Server;
  readonly adapter: CloudAdapter;
  readonly bot: ConsentBot;
  readonly optOutGuard: OptOutGuard;
  /** Deletes expired transcripts and confirmation tokens on a timer; stop it before the stores. */
  readonly retention: RetentionSchedule;
}

export interface AppDeps {
  readonly config: Config;
  readonly catalogue: Catalogue;
  readonly stores: Stores;
  readonly log: Logger;
  readonly now?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The conversation's two halves, the opt-out guard and the bot, as the server and tests use them. */
export function createConsentTurns({
  config,
  catalogue,
  stores,
  log,
  now = () => new Date(),
}: AppDeps): {
  bot: ConsentBot;
  optOutGuard: OptOutGuard;
  transcriptLogger: TranscriptLoggingMiddleware;
  translator: Translator;
} {
  const translator = createTranslator();
  const common = {
    catalogue,
    ledger: stores.ledger,
    memory: new ConversationMemory(stores.botState),
    translator,
    defaultLocale: config.DEFAULT_LOCALE,
    now,
    log,
  };
  return {
    translator,
    transcriptLogger: new TranscriptLoggingMiddleware({ store: stores.transcripts, log, now }),
    optOutGuard: new OptOutGuard(common),
    bot: new ConsentBot({
      ...common,
      notices: stores.notices,
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      refusalPauseMs: config.REFUSAL_PAUSE_DAYS * DAY_MS,
    }),
  };
}

/** The one place where everything is wired, by plain arguments. */
export function createApp(deps: AppDeps): App {
  const { config, catalogue, stores, log } = deps;
  const { bot, optOutGuard, transcriptLogger, translator } = createConsentTurns(deps);
  const now = deps.now ?? (() => new Date());
  const adapter = new CloudAdapter(
    new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppId: config.MicrosoftAppId,
      MicrosoftAppPassword: config.MicrosoftAppPassword,
      MicrosoftAppType: config.MicrosoftAppType,
      MicrosoftAppTenantId: config.MicrosoftAppTenantId,
    }),
  );
  // The transcript logger wraps the guard, so stops and their confirmations are in transcripts.
  adapter.use(transcriptLogger);
  adapter.use(optOutGuard);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error('turn.failed', {
      conversation: context.activity.conversation.id,
      activity: context.activity.id,
      ...errorFields(error),
    });
    const t = translator(localeFrom(context.activity.locale, config.DEFAULT_LOCALE));
    await context.sendActivity(MessageFactory.text(t('error.generic')));
  };

  const server = createServer({
    adapter,
    runTurn: (context) => bot.run(context),
    catalogue,
    ledger: stores.ledger,
    tokens: config.API_TOKENS,
    log,
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
      { name: 'pending-confirmations', run: (at) => stores.confirmations.deleteExpired(at) },
    ],
    everyMs: config.RETENTION_INTERVAL_MINUTES * 60_000,
    now,
    log,
  });
  return { server, adapter, bot, optOutGuard, retention };
}
