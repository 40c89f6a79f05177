import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CardFactory,
  MessageFactory,
  TestAdapter,
  type Activity,
  type TurnContext,
} from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../consent/ledger.js';
import { MemoryTranscriptStore } from '../../storage/memory/memory-transcript-store.js';
import { openMemoryStores } from '../../storage/stores.js';
import { catalogue } from '../../test/harness.js';
import { createConsentTurns } from '../app.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/log.js';
import { TranscriptLoggingMiddleware, redactActivity } from './transcript-logger.js';
import { TEST_KEYS, TEST_OUTBOX } from '../../test/harness.js';
import { createMailer } from '../email/mailer.js';

const CHANNEL = 'test';
const CONVERSATION = 'conversation-1';

/** A TestAdapter running `logic` behind the transcript middleware, with the log lines it wrote. */
function setUp(
  logic: (context: TurnContext) => Promise<void>,
  store: Pick<MemoryTranscriptStore, 'logActivity'> = new MemoryTranscriptStore(),
) {
  const lines: string[] = [];
  const log = createLogger('debug', (line) => lines.push(line));
  const adapter = new TestAdapter(logic, {
    channelId: CHANNEL,
    conversation: { id: CONVERSATION, isGroup: false, name: '', conversationType: 'personal' },
    from: { id: 'user-1', name: 'Customer' },
    recipient: { id: 'consent-bot', name: 'Consent bot' },
    locale: 'en-US',
  });
  adapter.use(new TranscriptLoggingMiddleware({ store, log }));
  const say = (text: string, extra: Partial<Activity> = {}) =>
    adapter.receiveActivity({ id: randomUUID(), type: 'message', text, ...extra });
  return { adapter, lines, say };
}

async function transcript(store: MemoryTranscriptStore): Promise<Activity[]> {
  return (await store.getTranscriptActivities(CHANNEL, CONVERSATION)).items;
}

const summary = (activities: readonly Activity[]) =>
  activities.map((a) => [a.from.role ?? a.from.id, a.text]);

describe('TranscriptLoggingMiddleware', () => {
  it('stores the incoming activity and every reply, in order, with the ids the channel gave', async () => {
    const store = new MemoryTranscriptStore();
    const { adapter, say } = setUp(async (context) => {
      await context.sendActivity('one');
      await context.sendActivities([MessageFactory.text('two'), MessageFactory.text('three')]);
    }, store);
    await say('hello');
    await say('again');
    const stored = await transcript(store);
    expect(summary(stored)).toEqual([
      ['user', 'hello'],
      ['consent-bot', 'one'],
      ['consent-bot', 'two'],
      ['consent-bot', 'three'],
      ['user', 'again'],
      ['consent-bot', 'one'],
      ['consent-bot', 'two'],
      ['consent-bot', 'three'],
    ]);
    const sent = adapter.activeQueue.map((a) => a.id);
    expect(stored.filter((a) => a.from.id === 'consent-bot').map((a) => a.id)).toEqual(sent);
    expect(stored.every((a) => a.timestamp instanceof Date)).toBe(true);
  });

  it('stores personal data redacted, both ways, while the bot sees the original', async () => {
    const store = new MemoryTranscriptStore();
    const seenByBot: string[] = [];
    const { adapter, lines, say } = setUp(async (context) => {
      seenByBot.push(context.activity.text);
      await context.sendActivity(`You said: ${context.activity.text}`);
    }, store);
    await say('my email is jane@example.com');
    expect(seenByBot).toEqual(['my email is jane@example.com']);
    expect(adapter.activeQueue[0]?.text).toBe('You said: my email is jane@example.com');
    expect(summary(await transcript(store))).toEqual([
      ['user', 'my email is [email]'],
      ['consent-bot', 'You said: my email is [email]'],
    ]);
    // Logs carry ids and counts, never the text.
    const logged = lines.join('\n');
    expect(logged).not.toContain('jane@example.com');
    expect(logged).not.toContain('my email is');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ event: 'transcript.stored', direction: 'in', redactions: 1 }),
      expect.objectContaining({ event: 'transcript.stored', direction: 'out', redactions: 1 }),
    ]);
  });

  it('redacts card submissions and Adaptive Card text blocks', async () => {
    const store = new MemoryTranscriptStore();
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'We will call +33 6 12 34 56 78.', wrap: true }],
      actions: [{ type: 'Action.Submit', title: 'OK', data: { purpose: 'newsletter' } }],
    });
    const { say } = setUp(async (context) => {
      await context.sendActivity(MessageFactory.attachment(card));
    }, store);
    await say('', {
      text: undefined,
      value: { text: 'IBAN FR76 3000 6000 0112 3456 7890 189', purpose: 'newsletter', n: 3 },
    });
    const [incoming, reply] = await transcript(store);
    expect(incoming?.value).toEqual({ text: 'IBAN [iban]', purpose: 'newsletter', n: 3 });
    expect(reply?.attachments?.[0]?.content).toEqual({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'We will call [phone].', wrap: true }],
      actions: [{ type: 'Action.Submit', title: 'OK', data: { purpose: 'newsletter' } }],
    });
  });

  it('still stores what was received and sent when the turn throws, and rethrows', async () => {
    const store = new MemoryTranscriptStore();
    const { say } = setUp(async (context) => {
      await context.sendActivity('partial answer');
      throw new Error('boom');
    }, store);
    await expect(say('call me on 06 12 34 56 78')).rejects.toThrow('boom');
    expect(summary(await transcript(store))).toEqual([
      ['user', 'call me on [phone]'],
      ['consent-bot', 'partial answer'],
    ]);
  });

  it('stores the incoming activity before the bot runs, and every write before the turn ends', async () => {
    const inner = new MemoryTranscriptStore();
    const completed: string[] = [];
    const slow = {
      async logActivity(activity: Activity): Promise<void> {
        await sleep(30);
        await inner.logActivity(activity);
        completed.push(activity.text);
      },
    };
    const storedWhenBotRan: string[][] = [];
    const { say } = setUp(async (context) => {
      storedWhenBotRan.push([...completed]);
      await context.sendActivity('first');
      // The send resolves only once its transcript entry is stored.
      storedWhenBotRan.push([...completed]);
      await context.sendActivity('second');
    }, slow);
    await say('hello');
    expect(storedWhenBotRan).toEqual([['hello'], ['hello', 'first']]);
    expect(completed).toEqual(['hello', 'first', 'second']);
  });

  it('logs a failed write by code only and goes on with the turn', async () => {
    const failing = {
      logActivity(): Promise<void> {
        return Promise.reject(new StoreUnavailableError('Store unavailable: jane@example.com'));
      },
    };
    const { adapter, lines, say } = setUp(async (context) => {
      await context.sendActivity('reply');
    }, failing);
    await say('my email is jane@example.com');
    expect(adapter.activeQueue.map((a) => a.text)).toEqual(['reply']);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'transcript.not_stored',
        direction: 'in',
        // The conversation by its keyed hash only (see log.ts).
        conversation: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        code: 'STORE_UNAVAILABLE',
      }),
      expect.objectContaining({ event: 'transcript.not_stored', direction: 'out' }),
    ]);
    expect(lines.join('\n')).not.toContain('jane@example.com');
  });

  it('wraps the real opt-out guard: a stop and its confirmation are in the transcript', async () => {
    const store = new MemoryTranscriptStore();
    const stores = openMemoryStores();
    const { bot, optOutGuard } = createConsentTurns({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      catalogue,
      stores,
      keys: TEST_KEYS,
      mailer: createMailer({
        from: 'privacy@example.com',
        outboxDir: TEST_OUTBOX,
        log: createLogger('silent'),
      }),
      log: createLogger('silent'),
    });
    const { adapter, say } = setUp((context) => bot.run(context), store);
    adapter.use(optOutGuard);
    await say('STOP!! my number is 06 12 34 56 78');
    const confirmation = adapter.activeQueue.map((a) => a.text);
    expect(confirmation).toHaveLength(1);
    const stored = await transcript(store);
    expect(summary(stored)).toEqual([
      ['user', 'STOP!! my number is [phone]'],
      ['consent-bot', confirmation[0]],
    ]);
    // The ledger knows the person by a pseudonym only.
    const history = await stores.ledger.history(
      TEST_KEYS.ledgerSubject({ channelId: CHANNEL, userId: 'user-1' }),
    );
    expect(history.map((e) => e.decision)).toContain('withdrawn');
  });
});

describe('redactActivity', () => {
  it('returns a redacted copy and leaves the activity as it was', () => {
    const activity: Partial<Activity> = {
      type: 'message',
      text: 'card 4111 1111 1111 1111',
      speak: 'card 4111 1111 1111 1111',
      channelData: { note: 'jane@example.com is not redacted here: channel metadata' },
    };
    const before = JSON.stringify(activity);
    const { activity: copy, redactions } = redactActivity(activity);
    expect(JSON.stringify(activity)).toBe(before);
    expect(copy).toMatchObject({ text: 'card [card]', speak: 'card [card]' });
    expect(copy.channelData).toEqual(activity.channelData);
    expect(redactions).toBe(2);
  });
});
