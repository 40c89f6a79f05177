import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { createTranslator } from '../bot/i18n.js';
import { validateKantaraReceipt } from '../consent/receipts.js';
import { catalogue } from './harness.js';
import {
  AGENT,
  COMPLIANCE,
  customer,
  MARKETING,
  startServer,
  type Running,
} from './http-harness.js';

describe('the HTTP endpoint, as a new customer uses it', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 404 to an unknown path and keeps serving', async () => {
    for (const path of ['/nope', '/api/subjects', '/console/../../etc/passwd']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${server.url}/api/messages`)).status).toBe(405);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('says nosniff on every answer: API, document, pages, errors and 404s', async () => {
    const answers = [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/api/openapi.json`),
      await fetch(`${server.url}/console/`),
      await fetch(`${server.url}/api/subjects/webchat/someone/consents`),
      await fetch(`${server.url}/api/subjects/webchat/someone/consents`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      }),
      await fetch(`${server.url}/api/compliance/events?from=2026-13-01`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      }),
      await fetch(`${server.url}/nope`),
      await fetch(`${server.url}/api/messages`),
      await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type": ',
      }),
    ];
    expect(answers.map((a) => [a.url, a.status, a.headers.get('x-content-type-options')])).toEqual([
      [expect.stringMatching(/healthz$/), 200, 'nosniff'],
      [expect.stringMatching(/openapi.json$/), 200, 'nosniff'],
      [expect.stringMatching(/console\/$/), 200, 'nosniff'],
      [expect.stringMatching(/consents$/), 401, 'nosniff'],
      [expect.stringMatching(/consents$/), 200, 'nosniff'],
      [expect.stringMatching(/events/), 400, 'nosniff'],
      [expect.stringMatching(/nope$/), 404, 'nosniff'],
      [expect.stringMatching(/messages$/), 405, 'nosniff'],
      [expect.stringMatching(/messages$/), 400, 'nosniff'],
    ]);
  });

  it('is healthy when it can reach its store', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it.each<[Locale, string, string[]]>([
    ['en', 'en-GB', ['Yes', '=jane@example.com', 'No', 'Yes', 'Yes', 'I agree', 'Ask me later']],
    ['fr', 'fr-FR', ['Oui', '=jeanne@exemple.fr', 'Non', 'Oui', 'Oui', "J'accepte", 'Plus tard']],
  ])(
    'completes the flow in %s and the consents endpoint shows the same choices',
    async (locale, tag, steps) => {
      const t = createTranslator()(locale);
      const user = `http-${locale}`;
      const client = customer(server.url, user, tag);
      const opening = await client.join();
      expect(opening[0]?.text).toBe(t('welcome.new', { controller: catalogue.controller.name }));
      let offered = opening[1]?.suggestedActions?.actions.map((a) => a.title) ?? [];
      const seen: string[] = [];
      for (const step of steps) {
        // "=..." is typed; anything else is a button the bot offered, pressed as a person would.
        const typed = step.startsWith('=');
        if (!typed) expect(offered).toContain(step);
        const replies = await client.say(typed ? step.slice(1) : step);
        seen.push(...replies.map((r) => r.text ?? ''));
        offered = replies.at(-1)?.suggestedActions?.actions.map((a) => a.title) ?? offered;
      }
      expect(seen.join('\n')).toContain(t('summary.intro'));

      const response = await fetch(`${server.url}/api/subjects/webchat/${user}/consents`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        purposes: { purposeId: string; status: string }[];
        events: { decision: string; locale: string }[];
      };
      expect(Object.fromEntries(body.purposes.map((p) => [p.purposeId, p.status]))).toEqual({
        newsletter: 'pending',
        'personalised-offers': 'refused',
        analytics: 'granted',
        location: 'granted',
        'partner-sharing': 'unknown',
      });
      expect(body.events).toHaveLength(4);
      expect(body.events.every((e) => e.locale === locale)).toBe(true);
    },
  );

  it('shows a stop on the very next read of the consents endpoint', async () => {
    const client = customer(server.url, 'http-stop', 'en-US');
    await client.join();
    await client.say('yes');
    const confirmation = await client.say('STOP');
    expect(confirmation).toHaveLength(1);
    const response = await fetch(`${server.url}/api/subjects/webchat/http-stop/consents`, {
      headers: { authorization: `Bearer ${AGENT}` },
    });
    const body = (await response.json()) as { purposes: { purposeId: string; status: string }[] };
    expect(body.purposes.every((p) => p.status === 'withdrawn')).toBe(true);
  });

  it('verifies the integrity of the proof of a person, for compliance only', async () => {
    const client = customer(server.url, 'http-verify', 'en-US');
    await client.join();
    await client.say('no');
    await client.say('yes');
    const url = `${server.url}/api/subjects/webchat/http-verify/verify`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${COMPLIANCE}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ events: 2, intact: true, problems: [] });
    const agent = await fetch(url, { headers: { authorization: `Bearer ${AGENT}` } });
    expect(agent.status).toBe(403);
  });

  it.each([
    ['no token', undefined, 401],
    ['an unknown token', 'Bearer not-a-real-token-at-all', 401],
    ['a malformed header', `Token ${COMPLIANCE}`, 401],
    ['a role that may not read choices', `Bearer ${MARKETING}`, 403],
  ])('refuses the consents endpoint with %s', async (_name, authorization, status) => {
    const response = await fetch(`${server.url}/api/subjects/webchat/http-en/consents`, {
      headers: authorization ? { authorization } : {},
    });
    expect(response.status).toBe(status);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('events');
    expect(body).not.toHaveProperty('purposes');
  });

  it('rejects malformed activities with a clear error, and loses nothing', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const notJson = await post('{"type": "message", ');
    expect(notJson.status).toBe(400);
    const noConversation = await post(
      JSON.stringify({
        type: 'message',
        text: 'stop',
        channelId: 'webchat',
        serviceUrl: server.url,
        from: { id: 'x' },
      }),
    );
    expect(noConversation.status).toBe(400);
    expect(await noConversation.json()).toEqual({
      code: 'INVALID_ACTIVITY',
      message: 'activity.conversation.id is required',
    });
    const huge = await post(JSON.stringify({ type: 'message', text: 'x'.repeat(300 * 1024) }));
    expect(huge.status).toBe(413);
    // The server still works afterwards.
    const client = customer(server.url, 'http-after-bad-input', 'en-US');
    expect((await client.join()).length).toBe(2);
  });
});

describe('with Bot Framework credentials configured', () => {
  it('refuses an unauthenticated request to the messaging endpoint', async () => {
    // CloudAdapter prints the rejected request's AuthenticationError itself; keep the run quiet.
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    onTestFinished(() => {
      printed.mockRestore();
    });
    const server = await startServer({
      MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
      MicrosoftAppPassword: 'not-a-real-secret',
    });
    try {
      const response = await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          text: 'yes',
          channelId: 'webchat',
          serviceUrl: server.url,
          from: { id: 'intruder' },
          recipient: { id: 'bot' },
          conversation: { id: 'c' },
        }),
      });
      expect(response.status).toBe(401);
      expect(
        await server.stores.ledger.history({ channelId: 'webchat', userId: 'intruder' }),
      ).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('consent receipts through the real server', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives valid Kantara v1.1 receipts for the decisions of a conversation', async () => {
    const client = customer(server.url, 'http-receipts', 'en-US');
    await client.join();
    await client.say('no');
    await client.say('yes');
    const response = await fetch(`${server.url}/api/subjects/webchat/http-receipts/receipts`, {
      headers: { authorization: `Bearer ${COMPLIANCE}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { kantara: unknown[]; iso27560: unknown[] };
    // A refusal grants nothing: only the consent to personalised offers gets a receipt.
    expect(body.kantara).toHaveLength(1);
    expect(body.iso27560).toHaveLength(1);
    expect(body.kantara.map((receipt) => validateKantaraReceipt(receipt))).toEqual([[]]);
  });
});
