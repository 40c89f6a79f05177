import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Activity } from 'botbuilder';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { createTranslator } from '../bot/platform/i18n.js';
import { validateKantaraReceipt } from '../consent/receipts.js';
import { subjectKey } from '../consent/subject.js';
import { renderReplies } from '../tools/chat.js';
import { catalogue, TEST_KEYS } from './harness.js';
import { AGENT, COMPLIANCE, MARKETING, startServer, type Running } from './http-harness.js';

/**
 * Both hand-off directions end to end: the real restify server and CloudAdapter, a
 * local HTTP "channel" that receives what the bot sends (as the Bot Framework connector would),
 * and a local webhook for the agent's system.
 */

const t = createTranslator();
const title = (id: string, locale: Locale) =>
  catalogue.purposes.find((p) => p.id === id)?.title[locale] ?? id;

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** A small HTTP server that records JSON posted to it and answers as told. */
async function recorder(answer: (req: IncomingMessage, n: number) => [number, unknown]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        path: req.url ?? '',
        body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
      });
      const [status, body] = answer(req, received.length);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Everything received since the last call. */
    take: (): Received[] => received.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The channel: Bot Framework's connector API, POST /v3/conversations/:id/activities[/:replyTo]. */
let channelRefuses = false;
const channelAnswer = (): [number, unknown] =>
  channelRefuses ? [403, { error: { code: 'BotNotInConversation' } }] : [200, { id: randomUUID() }];

async function waitFor<T>(probe: () => T | undefined, ms = 8_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('hand-offs over HTTP', () => {
  let server: Running;
  let channel: Awaited<ReturnType<typeof recorder>>;
  let webhook: Awaited<ReturnType<typeof recorder>>;
  let webhookFailures = 0;

  beforeAll(async () => {
    channel = await recorder(channelAnswer);
    webhook = await recorder(() => (webhookFailures-- > 0 ? [503, {}] : [204, null]));
    server = await startServer({ HANDOFF_CALLBACK_ORIGINS: `${webhook.url},https://crm.example` });
  });
  afterAll(async () => {
    await server.close();
    await channel.close();
    await webhook.close();
  });
  afterEach(() => {
    channel.take();
    webhook.take();
    webhookFailures = 0;
    channelRefuses = false;
  });

  const reference = (conversationId: string, userId: string) => ({
    channelId: 'webchat',
    serviceUrl: channel.url,
    conversation: { id: conversationId },
    user: { id: userId },
    bot: { id: 'consent-bot' },
  });

  const handOff = (body: unknown, token: string | null = AGENT) =>
    fetch(`${server.url}/api/handoffs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  /** The customer writes through the channel: replies go to the channel, not in the response. */
  const customerSays = async (conversationId: string, userId: string, text: string) => {
    const response = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: randomUUID(),
        text,
        channelId: 'webchat',
        serviceUrl: channel.url,
        from: { id: userId },
        recipient: { id: 'consent-bot' },
        conversation: { id: conversationId },
      }),
    });
    expect(response.status).toBe(200);
    return channel.take().map((r) => r.body as Partial<Activity>);
  };

  /** The customer opens the chat through the channel: the bot has then been in the conversation. */
  const customerJoins = async (conversationId: string, userId: string, locale = 'fr-FR') => {
    const response = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'conversationUpdate',
        id: randomUUID(),
        membersAdded: [{ id: userId }],
        channelId: 'webchat',
        serviceUrl: channel.url,
        from: { id: userId },
        recipient: { id: 'consent-bot' },
        conversation: { id: conversationId },
        locale,
      }),
    });
    expect(response.status).toBe(200);
    return channel.take().map((r) => r.body as Partial<Activity>);
  };

  const history = (userId: string) =>
    server.stores.ledger.history(TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId }));

  describe('agent -> bot', () => {
    it('starts the bot in the conversation, asks only the chosen purposes, and reports the outcome', async () => {
      const fr = t('fr');
      // The customer is in a chat where the bot has asked its first question...
      const welcome = await customerJoins('conv-agent-1', 'customer-agent-1');
      expect(welcome[0]?.text).toBe(fr('welcome.new', { controller: catalogue.controller.name }));
      // ...and an agent hands the bot two purposes of their choice.
      const response = await handOff({
        conversationReference: reference('conv-agent-1', 'customer-agent-1'),
        purposes: ['analytics', 'location'],
        locale: 'fr',
        callbackUrl: `${webhook.url}/hooks/consent?source=bot`,
      });
      expect(response.status).toBe(202);
      const { handoffId, status } = (await response.json()) as {
        handoffId: string;
        status: string;
      };
      expect(status).toBe('started');
      expect(handoffId).toMatch(/^[0-9a-f-]{36}$/);

      // The proactive turn went to the channel, in the conversation the agent named.
      const opening = channel.take();
      // (botbuilder sends them as replies to the id of its own continuation activity)
      for (const { path } of opening) {
        expect(path).toMatch(/^\/v3\/conversations\/conv-agent-1\/activities(\/[\w-]+)?$/);
      }
      expect(opening.map((r) => r.body.text)).toHaveLength(2);
      expect(opening[0]?.body.text).toBe(
        fr('handoff.fromAgent', { controller: catalogue.controller.name }),
      );
      const analytics = catalogue.purposes.find((p) => p.id === 'analytics');
      expect(String(opening[1]?.body.text)).toContain(analytics?.explanation.fr);
      // Nothing recorded, nothing pre-ticked.
      expect(await history('customer-agent-1')).toEqual([]);

      const afterYes = await customerSays('conv-agent-1', 'customer-agent-1', 'oui');
      expect(afterYes[0]?.text).toBe(fr('decision.given', { title: title('analytics', 'fr') }));
      const afterNo = await customerSays('conv-agent-1', 'customer-agent-1', 'non');
      expect(afterNo.map((a) => a.type)).toEqual(['message', 'message', 'message', 'event']);
      expect(afterNo[0]?.text).toBe(fr('decision.refused', { title: title('location', 'fr') }));
      const report = afterNo.at(-1);
      expect(report?.name).toBe('handoff.status');
      const outcome = [
        { purposeId: 'analytics', status: 'granted' },
        { purposeId: 'location', status: 'refused' },
      ];
      expect(report?.value).toEqual({ state: 'completed', handoffId, ending: 'finished', outcome });

      const [delivered] = await waitFor(() =>
        webhook.received.length > 0 ? webhook.take() : undefined,
      );
      expect(delivered?.path).toBe('/hooks/consent?source=bot');
      expect(delivered?.body).toEqual({
        handoffId,
        state: 'completed',
        ending: 'finished',
        outcome,
        at: expect.any(String) as unknown,
      });
      expect(JSON.stringify(delivered)).not.toContain('customer-agent-1');

      // The ledger holds exactly the two decisions made, in French, from this conversation.
      const events = await history('customer-agent-1');
      expect(events.map((e) => [e.purposeId, e.decision, e.locale, e.conversationId])).toEqual([
        ['analytics', 'given', 'fr', 'conv-agent-1'],
        ['location', 'refused', 'fr', 'conv-agent-1'],
      ]);

      const read = await fetch(`${server.url}/api/handoffs/${handoffId}`, {
        headers: { authorization: `Bearer ${AGENT}` },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id: handoffId, state: 'completed', outcome });

      // Both calls are in the access log, the start under the person's pseudonym.
      const person = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'customer-agent-1' });
      const { records } = await server.stores.accessLog.list({}, { limit: 10 });
      expect(records.map((r) => [r.action, r.role, r.target, r.detail?.handoff])).toEqual([
        ['handoff.read', 'agent', '*', handoffId],
        ['handoff.start', 'agent', subjectKey(person), handoffId],
      ]);
    });

    it('reports a stop as the end of the hand-off, after the confirmation, and retries the webhook', async () => {
      webhookFailures = 1;
      await customerJoins('conv-agent-2', 'customer-agent-2', 'en-US');
      const response = await handOff({
        conversationReference: reference('conv-agent-2', 'customer-agent-2'),
        purposes: ['analytics'],
        callbackUrl: `${webhook.url}/hooks`,
      });
      expect(response.status).toBe(202);
      const { handoffId } = (await response.json()) as { handoffId: string };
      channel.take();

      const replies = await customerSays('conv-agent-2', 'customer-agent-2', 'stop');
      expect(replies.map((a) => a.type)).toEqual(['message', 'event']);
      const en = t('en');
      // Nothing was agreed to in this conversation: the confirmation says so.
      expect(replies[0]?.text?.startsWith(en('optOut.nothing'))).toBe(true);
      expect(replies[1]?.value).toEqual({
        state: 'completed',
        handoffId,
        ending: 'stopped',
        outcome: [{ purposeId: 'analytics', status: 'withdrawn' }],
      });
      // The first delivery failed (503): delivered on the retry.
      const deliveries = await waitFor(
        () => (webhook.received.length >= 2 ? webhook.take() : undefined),
        5_000,
      );
      expect(deliveries.map((d) => d.body.ending)).toEqual(['stopped', 'stopped']);
    });

    it.each([
      ['no token', null, 401],
      ['a compliance token', COMPLIANCE, 403],
      ['a marketing token', MARKETING, 403],
    ])('refuses %s', async (_name, token, status) => {
      const response = await handOff(
        { conversationReference: reference('conv-refused', 'x'), purposes: ['analytics'] },
        token,
      );
      expect(response.status).toBe(status);
      expect(channel.take()).toEqual([]);
    });

    // Bodies are built lazily: the channel's URL is known only once it listens.
    it.each<[string, () => unknown, string]>([
      ['no body', () => undefined, 'INVALID_HANDOFF'],
      ['no reference', () => ({ purposes: ['analytics'] }), 'INVALID_HANDOFF'],
      [
        'a reference without a user',
        () => ({ conversationReference: { ...reference('c', 'u'), user: undefined } }),
        'INVALID_HANDOFF',
      ],
      [
        'a serviceUrl that is no URL',
        () => ({ conversationReference: { ...reference('c', 'u'), serviceUrl: 'nowhere' } }),
        'INVALID_HANDOFF',
      ],
      [
        'an unknown field',
        () => ({
          conversationReference: reference('c', 'u'),
          purposes: ['analytics'],
          preTicked: true,
        }),
        'INVALID_HANDOFF',
      ],
      [
        'an unknown topic',
        () => ({ conversationReference: reference('c', 'u'), topic: 'billing' }),
        'INVALID_HANDOFF',
      ],
      [
        'an unknown purpose',
        () => ({
          conversationReference: reference('c', 'u'),
          purposes: ['analytics', 'mind-reading'],
        }),
        'UNKNOWN_PURPOSE',
      ],
      [
        'a callback to another origin',
        () => ({
          conversationReference: reference('c', 'u'),
          callbackUrl: 'http://169.254.169.254/latest',
        }),
        'CALLBACK_NOT_ALLOWED',
      ],
    ])('rejects %s with 400 and starts nothing', async (_name, body, code) => {
      const response = await handOff(body());
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code });
      expect(channel.take()).toEqual([]);
    });

    it('refuses every callback when HANDOFF_CALLBACK_ORIGINS is empty', async () => {
      const other = await startServer();
      try {
        const response = await fetch(`${other.url}/api/handoffs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${AGENT}` },
          body: JSON.stringify({
            conversationReference: reference('c', 'u'),
            callbackUrl: `${webhook.url}/hooks`,
          }),
        });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'CALLBACK_NOT_ALLOWED' });
      } finally {
        await other.close();
      }
    });

    it('says 404 for a hand-off it does not know, and 502 when the channel refuses the bot', async () => {
      const unknown = await fetch(`${server.url}/api/handoffs/${randomUUID()}`, {
        headers: { authorization: `Bearer ${AGENT}` },
      });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: 'HANDOFF_NOT_FOUND' });
      // A channel that refuses the bot (removed from the chat, say): the agent hears it.
      await customerJoins('conv-agent-3', 'customer-agent-3');
      channelRefuses = true;
      const refused = await handOff({
        conversationReference: reference('conv-agent-3', 'customer-agent-3'),
      });
      expect(refused.status).toBe(502);
      expect(await refused.json()).toMatchObject({ code: 'CHANNEL_UNREACHABLE' });
      expect(channel.take().length).toBeGreaterThan(0);
    });

    it('writes only in a conversation it has been part of, at the address its channel gave', async () => {
      await customerJoins('conv-agent-4', 'customer-agent-4');
      channel.take();
      for (const conversationReference of [
        reference('conv-never-seen', 'customer-agent-4'),
        // A known conversation, somewhere else: the bot would post (and authenticate) there.
        { ...reference('conv-agent-4', 'customer-agent-4'), serviceUrl: webhook.url },
      ]) {
        const response = await handOff({ conversationReference, purposes: ['analytics'] });
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
      }
      expect(channel.take()).toEqual([]);
      expect(webhook.take()).toEqual([]);
    });
  });

  describe('bot -> human', () => {
    /** The customer's client with deliveryMode expectReplies: replies come in the response. */
    const client = (conversationId: string, userId: string) => {
      const post = async (activity: Record<string, unknown>): Promise<Partial<Activity>[]> => {
        const response = await fetch(`${server.url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id: randomUUID(),
            channelId: 'webchat',
            serviceUrl: server.url,
            from: { id: userId },
            recipient: { id: 'consent-bot' },
            conversation: { id: conversationId },
            locale: 'en-US',
            deliveryMode: 'expectReplies',
            ...activity,
          }),
        });
        expect(response.status).toBe(200);
        return ((await response.json()) as { activities: Partial<Activity>[] }).activities;
      };
      return {
        join: () => post({ type: 'conversationUpdate', membersAdded: [{ id: userId }] }),
        say: (text: string) => post({ type: 'message', text }),
        // The agent hub's word, in the same conversation.
        status: (value: unknown) =>
          post({ type: 'event', name: 'handoff.status', value, from: { id: 'agent-hub' } }),
      };
    };
    const en = t('en');
    const question = (id: string) => catalogue.purposes.find((p) => p.id === id)?.question.en ?? id;

    it('hands over on request with the transcript, stays quiet, obeys a stop, and comes back', async () => {
      const customer = client('conv-human-1', 'customer-human-1');
      await customer.join();
      await customer.say('no');
      await customer.say('call me on 06 12 34 56 78');
      const handed = await customer.say('I want to talk to a person');
      expect(handed.map((a) => [a.type, a.name ?? a.text])).toEqual([
        ['event', 'handoff.initiate'],
        ['message', en('handoff.toHuman.requested')],
      ]);
      expect(handed[0]?.value).toEqual({
        topic: 'consent',
        purposes: ['personalised-offers'],
        locale: 'en',
        reason: 'requested',
      });
      const transcript = handed[0]?.attachments?.[0]?.content as { activities: Activity[] };
      const said = transcript.activities
        .filter((a) => a.type === 'message' && a.from.id === 'customer-human-1')
        .map((a) => a.text);
      expect(said).toEqual(['no', 'call me on [phone]', 'I want to talk to a person']);
      expect(JSON.stringify(transcript)).not.toContain('06 12 34 56 78');

      // The terminal client shows the event by name, not its content.
      expect(renderReplies(handed)).toBe(
        `(event handoff.initiate)\nbot: ${en('handoff.toHuman.requested')}`,
      );

      // The person has the conversation: no answer from the bot, nothing recorded.
      expect(await customer.say('yes')).toEqual([]);
      expect(await customer.status({ state: 'accepted' })).toEqual([]);
      expect((await history('customer-human-1')).map((e) => e.decision)).toEqual(['refused']);

      // A stop is still obeyed at once, with its confirmation only.
      const stop = await customer.say('stop');
      expect(stop).toHaveLength(1);
      // Only a refusal was recorded: no consent is called withdrawn.
      expect(stop[0]?.text?.startsWith(en('optOut.nothing'))).toBe(true);
      const statuses = await fetch(`${server.url}/api/subjects/webchat/customer-human-1/consents`, {
        headers: { authorization: `Bearer ${AGENT}` },
      });
      const body = (await statuses.json()) as { purposes: { purposeId: string; status: string }[] };
      expect(Object.fromEntries(body.purposes.map((p) => [p.purposeId, p.status]))).toEqual({
        // A stop withdraws the refused purpose too: it is never asked again unprompted.
        newsletter: 'withdrawn',
        'personalised-offers': 'withdrawn',
        analytics: 'withdrawn',
        location: 'withdrawn',
        'partner-sharing': 'withdrawn',
      });
      expect(await customer.say('hello?')).toEqual([]);

      // The person is done: the bot answers again.
      const back = await customer.status({ state: 'completed' });
      expect(back.map((a) => a.text)).toEqual([en('handoff.humanDone')]);
      expect((await customer.say('hello')).map((a) => a.text)).toEqual([en('stopped.reminder')]);
    });

    it('gives the receipt in chat, as a file the terminal client lists', async () => {
      const customer = client('conv-receipt-1', 'customer-receipt-1');
      await customer.join();
      await customer.say('no');
      await customer.say('yes');
      const [summary, again] = await customer.say('my receipt');
      expect(summary?.text?.startsWith(en('receipt.intro'))).toBe(true);
      const files = summary?.attachments ?? [];
      expect(files.map((f) => f.name)).toEqual(['consent-receipt-personalised-offers.json']);
      expect(validateKantaraReceipt(files[0]?.content)).toEqual([]);
      expect(again?.text).toBe(question('analytics'));
      expect(renderReplies([summary ?? {}])).toContain(
        '[file: consent-receipt-personalised-offers.json, application/json]',
      );
    });

    it('after unclear answers says how to reach a person, hands over when asked, and carries on when no one is available', async () => {
      const customer = client('conv-human-2', 'customer-human-2');
      await customer.join();
      expect((await customer.say('blue cheese')).map((a) => a.text)).toEqual([
        en('help.duringQuestion'),
        question('newsletter'),
      ]);
      // Never a silent hand-off: the customer is told how to ask for a person, and asked again.
      expect((await customer.say('purple monkey dishwasher')).map((a) => a.name ?? a.text)).toEqual(
        [en('help.duringQuestion'), en('help.reachPerson'), question('newsletter')],
      );
      const handed = await customer.say('talk to a person');
      expect(handed.map((a) => a.name ?? a.text)).toEqual([
        'handoff.initiate',
        en('handoff.toHuman.requested'),
      ]);
      expect(handed[0]?.value).toMatchObject({ reason: 'requested' });
      // A malformed status is ignored; the server keeps working.
      expect(await customer.status('completed')).toEqual([]);
      expect(await customer.status({ state: 'later' })).toEqual([]);
      const failed = await customer.status({ state: 'failed', message: 'no agent online' });
      expect(failed.map((a) => a.text)).toEqual([
        en('handoff.noOneAvailable'),
        question('newsletter'),
      ]);
      const answered = await customer.say('no');
      expect(answered[0]?.text).toBe(en('decision.refused', { title: title('newsletter', 'en') }));
    });
  });
});
