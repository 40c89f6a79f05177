import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestAdapter, type Activity } from 'botbuilder';
import type { Catalogue } from '../consent/catalogue.js';
import { deriveStatuses, type ConsentStatus } from '../consent/ledger.js';
import { createConsentTurns } from '../bot/app.js';
import { loadConfig } from '../bot/platform/config.js';
import { createLogger } from '../bot/platform/log.js';
import { deriveKeys, type Keys } from '../bot/platform/secrets.js';
import { createMailer, type Mailer } from '../bot/email/mailer.js';
import { openMemoryStores, type Stores } from '../storage/stores.js';
import { sealerOf } from '../consent/chain.js';
import { catalogue } from './catalogue.js';

export { catalogue };

/** What a person sees of one bot message: its text and the buttons offered with it. */
export interface Seen {
  readonly text: string;
  readonly buttons: readonly string[];
}

export interface TestBotOptions {
  readonly stores?: Stores;
  readonly locale?: string;
  readonly user?: string;
  readonly conversation?: string;
  readonly channelId?: string;
  readonly now?: () => Date;
  readonly env?: NodeJS.ProcessEnv;
  readonly keys?: Keys;
  readonly mailer?: Mailer;
  /** Another version of the data map, e.g. to test re-consent. */
  readonly catalogue?: Catalogue;
}

/** One outbox per test process: e-mails land there as .eml files (nodemailer's own transport). */
export const TEST_OUTBOX = mkdtempSync(join(tmpdir(), 'consent-bot-outbox-'));
process.once('exit', () => {
  rmSync(TEST_OUTBOX, { recursive: true, force: true });
});

/** Keys for tests: fixed, so a restarted bot finds the same pseudonyms. */
export const TEST_SECRET_KEY = 'test-master-secret-of-at-least-32-characters';
export const TEST_KEYS: Keys = deriveKeys(Buffer.from(TEST_SECRET_KEY));

/**
 * The real opt-out guard and bot, wired exactly as the server wires them, behind Bot Framework's
 * TestAdapter. Each call returns what the person saw for that one message.
 */
export function startTestBot(options: TestBotOptions = {}) {
  const keys = options.keys ?? TEST_KEYS;
  // Sealed as the server seals (bot/main.ts).
  const stores = options.stores ?? openMemoryStores({ seal: sealerOf(keys.sealKey) });
  const config = loadConfig({ LOG_LEVEL: 'silent', ...options.env });
  const silent = createLogger('silent');
  const { bot, optOutGuard, transcriptLogger } = createConsentTurns({
    config,
    catalogue: options.catalogue ?? catalogue,
    stores,
    keys,
    mailer:
      options.mailer ??
      createMailer({ from: 'Privacy <privacy@example.com>', outboxDir: TEST_OUTBOX, log: silent }),
    log: silent,
    ...(options.now ? { now: options.now } : {}),
  });
  const user = options.user ?? 'user-1';
  const channelId = options.channelId ?? 'test';
  const adapter = new TestAdapter((context) => bot.run(context), {
    channelId,
    conversation: {
      id: options.conversation ?? 'conversation-1',
      isGroup: false,
      name: '',
      conversationType: 'personal',
    },
    from: { id: user, name: 'Customer' },
    recipient: { id: 'consent-bot', name: 'Consent bot' },
    locale: options.locale ?? 'en-US',
  });
  adapter.use(transcriptLogger);
  adapter.use(optOutGuard);

  const drain = (): Seen[] =>
    adapter.activeQueue.splice(0).map((activity) => ({
      text: activity.text ?? '',
      buttons: (activity.suggestedActions?.actions ?? []).map((a) => a.title),
    }));

  return {
    adapter,
    stores,
    /** The person as the ledger knows them (pseudonymous). */
    subject: keys.ledgerSubject({ channelId, userId: user }),
    /** The person opens the chat (Web Chat and Teams send conversationUpdate). */
    async join(): Promise<Seen[]> {
      await adapter.receiveActivity({
        id: randomUUID(),
        type: 'conversationUpdate',
        membersAdded: [{ id: user, name: 'Customer' }],
      });
      return drain();
    },
    async say(text: string, extra: Partial<Activity> = {}): Promise<Seen[]> {
      // Channels give every activity a unique id; TestAdapter's counter restarts with each adapter.
      await adapter.receiveActivity({ id: randomUUID(), type: 'message', text, ...extra });
      return drain();
    },
    /** Current status per purpose, as the ledger derives it. */
    async statuses(): Promise<Record<string, ConsentStatus>> {
      const history = await stores.ledger.history(keys.ledgerSubject({ channelId, userId: user }));
      return Object.fromEntries(
        deriveStatuses(catalogue, history).map((s) => [s.purposeId, s.status]),
      );
    },
  };
}

export type TestBot = ReturnType<typeof startTestBot>;

export { temporaryFolder } from './temporary-folder.js';

export function allText(seen: readonly Seen[]): string {
  return seen.map((s) => s.text).join('\n');
}
