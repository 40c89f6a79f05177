import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { TestAdapter } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { createConsentTurns } from '../bot/app.js';
import { loadConfig } from '../bot/platform/config.js';
import { Handoffs } from '../bot/chat/handoff.js';
import { createMailer } from '../bot/email/mailer.js';
import { openMemoryStores } from '../storage/stores.js';
import { catalogue, TEST_KEYS, TEST_OUTBOX } from './harness.js';
import { recordingLog } from './http-harness.js';

/** What hand-offs write to the logs: ids, reasons, counts and codes; never who or what was said. */
describe('hand-off logs', () => {
  it('record the hand-off to a person and its statuses without personal data', async () => {
    const log = recordingLog();
    const stores = openMemoryStores();
    const { bot, optOutGuard, transcriptLogger } = createConsentTurns({
      config: loadConfig({ LOG_LEVEL: 'debug' }),
      catalogue,
      stores,
      keys: TEST_KEYS,
      mailer: createMailer({ from: 'Privacy <privacy@example.com>', outboxDir: TEST_OUTBOX, log }),
      log,
    });
    const user = 'jane.doe@example.com';
    const adapter = new TestAdapter((context) => bot.run(context), {
      channelId: 'test',
      conversation: { id: 'conv-logs', isGroup: false, name: '', conversationType: 'personal' },
      from: { id: user, name: 'Jane Doe' },
      recipient: { id: 'consent-bot', name: 'Consent bot' },
      locale: 'en-US',
    });
    adapter.use(transcriptLogger);
    adapter.use(optOutGuard);
    const send = (activity: object) =>
      adapter.receiveActivity({ id: randomUUID(), type: 'message', ...activity });

    await send({ type: 'conversationUpdate', membersAdded: [{ id: user, name: 'Jane Doe' }] });
    await send({ text: 'my phone is 06 12 34 56 78' });
    await send({ text: 'I want to talk to a person please' });
    await send({ type: 'event', name: 'handoff.status', value: { state: 'sideways' } });
    await send({ type: 'event', name: 'handoff.status', value: { state: 'accepted' } });
    await send({ text: 'my receipt' });

    const lines = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => l.event === 'handoff.to_human')).toMatchObject({
      level: 'info',
      // The conversation by its keyed hash only (see bot/platform/log.ts).
      conversation: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
      reason: 'requested',
      transcriptActivities: expect.any(Number) as unknown,
    });
    expect(lines.find((l) => l.event === 'handoff.status_ignored')).toMatchObject({
      level: 'warn',
      state: 'sideways',
    });
    expect(lines.find((l) => l.event === 'handoff.status')).toMatchObject({ state: 'accepted' });
    const all = log.lines.join('\n');
    for (const personal of [
      user,
      'conv-logs',
      'Jane',
      '06 12 34 56 78',
      'talk to a person',
      'my receipt',
    ]) {
      expect(all).not.toContain(personal);
    }
  });

  it('report webhook failures by hand-off id, attempt and status, never the URL, then give up', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls += 1;
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook/secret-path`;
    try {
      const log = recordingLog();
      const handoffs = new Handoffs({
        storage: openMemoryStores().botState,
        log,
        now: () => new Date('2026-11-29T10:00:00Z'),
        retryDelaysMs: [10, 10],
      });
      await handoffs.start({
        id: 'h-logs',
        topic: 'consent',
        purposeIds: ['analytics'],
        callbackUrl: url,
      });
      const record = await handoffs.complete('h-logs', 'finished', [
        { purposeId: 'analytics', status: 'granted' },
      ]);
      expect(record).toMatchObject({ state: 'completed', completedAt: '2026-11-29T10:00:00.000Z' });
      handoffs.notify(record ?? (undefined as never));
      const until = Date.now() + 5_000;
      while (!log.lines.some((l) => l.includes('handoff.callback_abandoned'))) {
        if (Date.now() > until) throw new Error('the webhook was never given up');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(calls).toBe(3);
      expect(log.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
        {
          level: 'warn',
          event: 'handoff.callback_failed',
          handoff: 'h-logs',
          attempt: 1,
          status: 500,
        },
        {
          level: 'warn',
          event: 'handoff.callback_failed',
          handoff: 'h-logs',
          attempt: 2,
          status: 500,
        },
        {
          level: 'warn',
          event: 'handoff.callback_failed',
          handoff: 'h-logs',
          attempt: 3,
          status: 500,
        },
        { level: 'error', event: 'handoff.callback_abandoned', handoff: 'h-logs', attempts: 3 },
      ]);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  });
});
