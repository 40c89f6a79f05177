import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { signLink } from '../bot/email/links.js';
import { TEST_KEYS } from './harness.js';
import { AGENT, startServer, type Running } from './http-harness.js';

/**
 * Rate limits on the real server: 429 with Retry-After and the API's error shape, a stricter
 * budget for failed authentication, per conversation and per address on the messaging endpoint,
 * reset after the window, and never a stop refused.
 */
let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(env: NodeJS.ProcessEnv): Promise<Running> {
  running = await startServer(env);
  return running;
}

const consents = (
  url: string,
  user: string,
  token?: string,
  headers: Record<string, string> = {},
) =>
  fetch(`${url}/api/subjects/webchat/${user}/consents`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });

/** One activity to the messaging endpoint, answered with the replies (expectReplies). */
function chat(url: string, user: string, conversation = `conv-${user}`) {
  let n = 0;
  const post = (activity: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        id: `${conversation}-${++n}`,
        channelId: 'webchat',
        serviceUrl: url,
        from: { id: user },
        recipient: { id: 'consent-bot' },
        conversation: { id: conversation },
        locale: 'en-US',
        deliveryMode: 'expectReplies',
        ...activity,
      }),
    });
  return {
    join: () => post({ type: 'conversationUpdate', membersAdded: [{ id: user }] }),
    say: (text: string, headers: Record<string, string> = {}) =>
      post({ type: 'message', text }, headers),
    /** A card's Action.Submit, as Web Chat and Teams send it: no text, the words in `value`. */
    submit: (value: Record<string, unknown>) => post({ type: 'message', value }),
  };
}

async function expectRateLimited(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe('RATE_LIMITED');
  expect(body.message).toMatch(/too many requests/);
  return retryAfter;
}

describe('rate limits on the API', () => {
  it('answers 429 with Retry-After past the budget of an address', async () => {
    const server = await start({ RATE_LIMIT_API: '3' });
    for (let i = 0; i < 3; i++) {
      expect((await consents(server.url, 'someone', AGENT)).status).toBe(200);
    }
    const retryAfter = await expectRateLimited(await consents(server.url, 'someone', AGENT));
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Probes are never limited: a throttled address must not take the instance out of rotation.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('has a stricter budget for wrong tokens, which then locks the address out', async () => {
    const server = await start({ RATE_LIMIT_API: '100', RATE_LIMIT_AUTH_FAILURES: '3' });
    for (let i = 0; i < 3; i++) {
      const wrong = await consents(server.url, 'someone', `guess-${i}-0123456789abcdef`);
      expect(wrong.status).toBe(401);
    }
    await expectRateLimited(await consents(server.url, 'someone', 'guess-4-0123456789abcdef'));
    // Locked out for the window, right token or not: guessing gets nowhere.
    await expectRateLimited(await consents(server.url, 'someone', AGENT));
  });

  it('gives the budget back after the window', async () => {
    const server = await start({ RATE_LIMIT_API: '2', RATE_LIMIT_WINDOW_SECONDS: '1' });
    const openapi = () => fetch(`${server.url}/api/openapi.json`);
    expect((await openapi()).status).toBe(200);
    expect((await openapi()).status).toBe(200);
    const retryAfter = await expectRateLimited(await openapi());
    expect(retryAfter).toBe(1);
    await sleep(1100);
    expect((await openapi()).status).toBe(200);
  });

  it('reads X-Forwarded-For only when TRUST_PROXY says so', async () => {
    const ignored = await start({ RATE_LIMIT_API: '1' });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    expect((await consents(ignored.url, 'u', AGENT, from('203.0.113.1'))).status).toBe(200);
    // A forged header does not buy a fresh budget.
    await expectRateLimited(await consents(ignored.url, 'u', AGENT, from('203.0.113.2')));
    await ignored.close();

    const behindProxy = await start({ RATE_LIMIT_API: '1', TRUST_PROXY: '1' });
    expect((await consents(behindProxy.url, 'u', AGENT, from('203.0.113.1'))).status).toBe(200);
    await expectRateLimited(await consents(behindProxy.url, 'u', AGENT, from('203.0.113.1')));
    // Another client behind the same proxy has a budget of its own; what a client writes to the
    // left of the address our proxy appended is not trusted.
    expect((await consents(behindProxy.url, 'u', AGENT, from('203.0.113.2'))).status).toBe(200);
    await expectRateLimited(
      await consents(behindProxy.url, 'u', AGENT, from('198.51.100.7, 203.0.113.2')),
    );
  });
});

describe('rate limits on the messaging endpoint', () => {
  it('answers 429 past the budget of a conversation, but records a stop over it', async () => {
    const server = await start({ RATE_LIMIT_CONVERSATION: '3' });
    const person = chat(server.url, 'flooder');
    expect((await person.join()).status).toBe(200);
    expect((await person.say('yes')).status).toBe(200);
    expect((await person.say('no')).status).toBe(200);
    await expectRateLimited(await person.say('hello'));

    // Over the limit, a stop still reaches the ledger (and here the reply too).
    const stop = await person.say('STOP');
    expect(stop.status).toBe(200);
    const response = await consents(server.url, 'flooder', AGENT);
    const body = (await response.json()) as { events: { decision: string }[] };
    expect(body.events.map((e) => e.decision)).toContain('withdrawn');
    // Still over the limit for anything else.
    await expectRateLimited(await person.say('hello again'));
  });

  it('records a stop sent as a card submission over the budget of a conversation', async () => {
    const server = await start({ RATE_LIMIT_CONVERSATION: '2' });
    const person = chat(server.url, 'card-flooder');
    expect((await person.join()).status).toBe(200);
    expect((await person.say('yes')).status).toBe(200);
    await expectRateLimited(await person.say('hello'));
    const stop = await person.submit({ text: 'stop' });
    expect(stop.status).toBe(200);
    const response = await consents(server.url, 'card-flooder', AGENT);
    const body = (await response.json()) as { purposes: { status: string }[] };
    expect(body.purposes.map((p) => p.status)).toEqual(body.purposes.map(() => 'withdrawn'));
    expect(body.purposes.length).toBeGreaterThan(0);
  });

  it('answers 429 past the budget of an address across conversations, but not to a stop', async () => {
    const server = await start({ RATE_LIMIT_MESSAGES: '3' });
    for (let i = 0; i < 3; i++) {
      expect((await chat(server.url, `new-${i}`).join()).status).toBe(200);
    }
    await expectRateLimited(await chat(server.url, 'new-3').join());
    const stop = await chat(server.url, 'new-4').say('unsubscribe me from everything');
    expect(stop.status).toBe(200);
  });
});

describe('rate limits on the e-mail link pages', () => {
  it('answers 429 past the budget, but lets a signed one-click unsubscribe through', async () => {
    const server = await start({ RATE_LIMIT_EMAIL_LINKS: '2' });
    const page = (path: string, method = 'GET') => fetch(`${server.url}${path}`, { method });
    expect((await page('/confirm?token=not-a-token')).status).toBe(200);
    expect((await page('/unsubscribe?token=not-a-token')).status).toBe(400);
    await expectRateLimited(await page('/confirm?token=not-a-token'));
    await expectRateLimited(await page('/unsubscribe?token=not-a-token', 'POST'));
    const subject = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'mail-reader' });
    const token = signLink(TEST_KEYS.linkKey, {
      c: subject.channelId,
      u: subject.userId,
      p: 'newsletter',
    });
    const unsubscribe = await page(`/unsubscribe?token=${encodeURIComponent(token)}`, 'POST');
    expect(unsubscribe.status).not.toBe(429);
  });
});
