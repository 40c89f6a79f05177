import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { MAX_ID_CHARS } from '../bot/http/http-common.js';
import { createTranslator } from '../bot/platform/i18n.js';
import { validateKantaraReceipt } from '../consent/receipts.js';
import { StoreUnavailableError } from '../consent/ledger.js';
import type { Stores } from '../storage/stores.js';
import { catalogue } from './harness.js';
import {
  AGENT,
  COMPLIANCE,
  customer,
  MARKETING,
  recordingLog,
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
      issues: [{ path: 'conversation.id', message: 'activity.conversation.id is required' }],
    });
    const huge = await post(JSON.stringify({ type: 'message', text: 'x'.repeat(300 * 1024) }));
    expect(huge.status).toBe(413);
    // The server still works afterwards.
    const client = customer(server.url, 'http-after-bad-input', 'en-US');
    expect((await client.join()).length).toBe(2);
  });
});

/** The real embedded stores behind a switch: down, every write and read of the store fails. */
function switchedStores(stores: Stores): { stores: Stores; down: (isDown: boolean) => void } {
  let isDown = false;
  const unavailable = () => Promise.reject(new StoreUnavailableError('down for the test'));
  const ledger: Stores['ledger'] = {
    append: (decisions, at, options) =>
      isDown ? unavailable() : stores.ledger.append(decisions, at, options),
    head: (subject) => (isDown ? unavailable() : stores.ledger.head(subject)),
    history: (subject) => (isDown ? unavailable() : stores.ledger.history(subject)),
    latest: (subject) => (isDown ? unavailable() : stores.ledger.latest(subject)),
    search: (query, page) => stores.ledger.search(query, page),
    scan: (query, order) => stores.ledger.scan(query, order),
    countDecisions: (query, period) => stores.ledger.countDecisions(query, period),
  };
  const readiness: Stores['readiness'] = {
    check: () => (isDown ? unavailable() : stores.readiness.check()),
  };
  return { stores: { ...stores, ledger, readiness }, down: (value) => (isDown = value) };
}

describe('liveness and readiness, for load balancers and Kubernetes', () => {
  it('stays live but answers not ready while the store cannot take a write', async () => {
    let flip: (isDown: boolean) => void = () => undefined;
    const server = await startServer(
      {},
      {
        wrap: (real) => {
          const switched = switchedStores(real);
          flip = switched.down;
          return switched.stores;
        },
      },
    );
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });

      flip(true);
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'unavailable', code: 'STORE_UNAVAILABLE' });
      // Liveness does no store I/O: a full disk must not get a live process restarted in a loop.
      const live = await fetch(`${server.url}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });

      flip(false);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers not ready when the probe does not settle in time', async () => {
    const server = await startServer(
      {},
      {
        wrap: (real) => ({
          ...real,
          readiness: { check: () => new Promise<void>(() => undefined) },
        }),
      },
    );
    try {
      const started = Date.now();
      const response = await fetch(`${server.url}/readyz`);
      expect(response.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await server.close();
    }
  });
});

describe('Teams-length ids, end to end', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // As Teams sends them: a channel thread's conversation id naming the message it replies to, and
  // a `29:` user id, both well over the 100 characters restify's router used to allow a parameter.
  const CONVERSATION =
    '19:3f1c9a2be07d4c51a6f0d8e2b4c7a915@thread.tacv2;messageid=1701234567890|' +
    'a%20b.c-d_e=f:g@h;' +
    'x'.repeat(40);
  const USER =
    '29:1Xk8QzRr-Lp3vN0aW7yT2mB5cJ9dF6gH4sK1eU8oI3qZ_xV7nM2bA5cD9fG6hJ4kL1pO8iU3yT6rE9wQ2aS5dF8g' +
    'Zt4Yq7Wm1Nc6Vb3Xs9Ad2Fg5Hj8Kl0';
  const CHANNEL = 'msteams';
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const subjectPath = (tail: string): string =>
    `${server.url}/api/subjects/${CHANNEL}/${encodeURIComponent(USER)}/${tail}`;

  it('reaches every per-subject route and the conversation in the console', async () => {
    expect(CONVERSATION.length).toBeGreaterThan(100);
    expect(USER.length).toBeGreaterThan(100);
    const client = customer(server.url, USER, 'en-US', {
      conversation: CONVERSATION,
      channelId: CHANNEL,
    });
    await client.join();
    await client.say('no');
    await client.say('yes');

    const consents = await fetch(subjectPath('consents'), { headers: as(COMPLIANCE) });
    expect(consents.status).toBe(200);
    const body = (await consents.json()) as {
      subject: unknown;
      events: { id: string; decision: string; conversationId: string }[];
    };
    expect(body.subject).toEqual({ channelId: CHANNEL, userId: USER });
    expect(body.events.map((e) => [e.decision, e.conversationId])).toEqual([
      ['refused', CONVERSATION],
      ['given', CONVERSATION],
    ]);
    const given = body.events.find((e) => e.decision === 'given');

    const answers = {
      permission: await fetch(subjectPath('contact-permissions?purpose=analytics'), {
        headers: as(AGENT),
      }),
      verify: await fetch(subjectPath('verify'), { headers: as(COMPLIANCE) }),
      receipts: await fetch(subjectPath('receipts'), { headers: as(COMPLIANCE) }),
      receipt: await fetch(subjectPath(`receipts/${encodeURIComponent(given?.id ?? '')}`), {
        headers: as(COMPLIANCE),
      }),
      export: await fetch(subjectPath('export'), { headers: as(COMPLIANCE) }),
      conversation: await fetch(
        `${server.url}/api/compliance/conversations/${CHANNEL}/${encodeURIComponent(CONVERSATION)}`,
        { headers: as(COMPLIANCE) },
      ),
      events: await fetch(
        `${server.url}/api/compliance/events?${new URLSearchParams({ channelId: CHANNEL, userId: USER, conversationId: CONVERSATION }).toString()}`,
        { headers: as(COMPLIANCE) },
      ),
      batch: await fetch(`${server.url}/api/contact-permissions`, {
        method: 'POST',
        headers: { ...as(AGENT), 'content-type': 'application/json' },
        body: JSON.stringify({
          purpose: 'analytics',
          subjects: [{ channelId: CHANNEL, userId: USER }],
        }),
      }),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.status]))).toEqual({
      permission: 200,
      verify: 200,
      receipts: 200,
      receipt: 200,
      export: 200,
      conversation: 200,
      events: 200,
      batch: 200,
    });
    const timeline = (await answers.conversation.json()) as {
      conversationId: string;
      timeline: { kind: string }[];
    };
    expect(timeline.conversationId).toBe(CONVERSATION);
    expect(timeline.timeline.filter((item) => item.kind === 'consent')).toHaveLength(2);
    expect(((await answers.events.json()) as { events: unknown[] }).events).toHaveLength(2);

    const erasure = await fetch(subjectPath('erasure'), {
      method: 'POST',
      headers: as(COMPLIANCE),
    });
    expect(erasure.status).toBe(200);
  });

  it('answers 400, not 404, to an id over the limit, in a path, a query and an activity', async () => {
    const long = `29:${'y'.repeat(MAX_ID_CHARS)}`;
    const path = await fetch(
      `${server.url}/api/subjects/${CHANNEL}/${encodeURIComponent(long)}/consents`,
      { headers: as(COMPLIANCE) },
    );
    expect(path.status).toBe(400);
    expect(await path.json()).toEqual({
      code: 'INVALID_SUBJECT',
      message: `userId: must be 1 to ${MAX_ID_CHARS} characters`,
      issues: [{ path: 'userId', message: `must be 1 to ${MAX_ID_CHARS} characters` }],
    });
    const conversation = await fetch(
      `${server.url}/api/compliance/conversations/${CHANNEL}/${encodeURIComponent(long)}`,
      { headers: as(COMPLIANCE) },
    );
    expect(conversation.status).toBe(400);
    const activity = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        text: 'hello',
        channelId: CHANNEL,
        serviceUrl: server.url,
        from: { id: long },
        recipient: { id: 'bot' },
        conversation: { id: CONVERSATION },
        deliveryMode: 'expectReplies',
      }),
    });
    expect(activity.status).toBe(400);
    expect(await activity.json()).toEqual({
      code: 'INVALID_ACTIVITY',
      message: `activity.from.id must be 1 to ${MAX_ID_CHARS} characters`,
      issues: [
        { path: 'from.id', message: `activity.from.id must be 1 to ${MAX_ID_CHARS} characters` },
      ],
    });
  });
});

describe('what the logs keep of channel ids', () => {
  it('never the e-mail a channel used as conversation and user id, and short lines for huge ids', async () => {
    const log = recordingLog();
    const server = await startServer({}, { log });
    try {
      const email = 'jane.doe@example.com';
      const client = customer(server.url, email, 'en-US', { conversation: email });
      await client.join();
      await client.say('yes');
      await client.say('stop');
      // The longest id an activity may carry, and one of 100 KB, which is refused.
      const long = customer(server.url, 'long-id-user', 'en-US', {
        conversation: `${email};${'x'.repeat(1000)}`,
      });
      await long.join();
      const huge = await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          text: 'stop',
          channelId: 'webchat',
          serviceUrl: server.url,
          from: { id: email },
          recipient: { id: 'bot' },
          conversation: { id: `${email}${'y'.repeat(100 * 1024)}` },
          deliveryMode: 'expectReplies',
        }),
      });
      expect(huge.status).toBe(400);
      expect(log.lines.some((line) => line.includes('"event":"opt_out.recorded"'))).toBe(true);
      expect(log.lines.filter((line) => line.includes('jane'))).toEqual([]);
      expect(log.lines.filter((line) => line.length > 2048)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('activities that parse but do not fit the schema', () => {
  let server: Running;
  let log: ReturnType<typeof recordingLog>;
  beforeAll(async () => {
    log = recordingLog();
    server = await startServer({}, { log });
  });
  afterAll(async () => {
    await server.close();
  });

  /** Posts an activity; `raw` is spliced in as JSON text, for nesting JSON.stringify cannot make. */
  const post = (user: string, fields: Record<string, unknown>, raw = '') => {
    const json = JSON.stringify({
      channelId: 'webchat',
      serviceUrl: server.url,
      from: { id: user },
      recipient: { id: 'consent-bot' },
      conversation: { id: `conv-${user}` },
      deliveryMode: 'expectReplies',
      ...fields,
    });
    return fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ? `${json.slice(0, -1)},${raw}}` : json,
    });
  };
  const deep = (levels: number): string => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
  const statuses = async (user: string) => {
    const response = await fetch(`${server.url}/api/subjects/webchat/${user}/consents`, {
      headers: { authorization: `Bearer ${COMPLIANCE}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { purposes: { purposeId: string; status: string }[] };
    return body.purposes.map((p) => p.status);
  };

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      'membersAdded as text',
      { membersAdded: 'x' },
      'membersAdded',
      'activity.membersAdded must be an array of { id }',
    ],
    [
      'attachments of null and 5',
      { attachments: [null, 5] },
      'attachments[0]',
      'activity.attachments[0] must be an object',
    ],
    [
      'entities as text',
      { entities: 'x' },
      'entities',
      'activity.entities must be an array of objects',
    ],
    [
      'a numeric locale',
      { locale: 7 },
      'locale',
      'activity.locale must be a language tag of at most 100 characters',
    ],
    [
      'recipient as text',
      { recipient: 'bot' },
      'recipient',
      'activity.recipient must be an object with an id',
    ],
    ['a numeric id', { id: 12 }, 'id', 'activity.id must be 1 to 1024 characters'],
  ])(
    'answers 400 INVALID_ACTIVITY to %s, naming the field',
    async (_name, fields, path, message) => {
      const response = await post('shape', { type: 'message', text: 'hello', ...fields });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 'INVALID_ACTIVITY',
        message,
        issues: [{ path, message }],
      });
    },
  );

  it('records a stop that carries a channelData 6,000 levels deep, and says why it dropped it', async () => {
    const user = 'deep-channel-data';
    expect(
      (await post(user, { type: 'conversationUpdate', membersAdded: [{ id: user }] })).status,
    ).toBe(200);
    expect((await post(user, { type: 'message', text: 'yes' })).status).toBe(200);
    const stop = await post(user, { type: 'message', text: 'stop' }, `"channelData":${deep(6000)}`);
    expect(stop.status).toBe(200);
    const { activities } = (await stop.json()) as { activities: { text?: string }[] };
    expect(activities.map((a) => a.text).join('\n')).not.toMatch(/went wrong/);
    expect(new Set(await statuses(user))).toEqual(new Set(['withdrawn']));
    expect(log.lines).toContainEqual(
      JSON.stringify({
        level: 'warn',
        event: 'activity.field_dropped',
        field: 'channelData',
        reason: 'too_deep',
      }),
    );
  });

  it('records a stop whose value is hostile too', async () => {
    const user = 'deep-value';
    await post(user, { type: 'conversationUpdate', membersAdded: [{ id: user }] });
    await post(user, { type: 'message', text: 'yes' });
    const stop = await post(user, { type: 'message', text: 'STOP' }, `"value":${deep(6000)}`);
    expect(stop.status).toBe(200);
    expect(new Set(await statuses(user))).toEqual(new Set(['withdrawn']));
  });
});

describe('replies the channel cannot take', () => {
  /** A local port nothing listens on: opened, then closed. Never a non-local address. */
  const closedPort = async (): Promise<number> => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => {
      probe.listen(0, '127.0.0.1', resolve);
    });
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      probe.close(() => {
        resolve();
      });
    });
    return port;
  };

  it('do not fail a turn whose decision is in the ledger, and are logged, never printed', async () => {
    const printed = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => undefined),
    );
    onTestFinished(() => {
      for (const spy of printed) spy.mockRestore();
    });
    const log = recordingLog();
    const server = await startServer({}, { log });
    try {
      const user = 'unreachable-channel';
      const client = customer(server.url, user, 'en-US');
      await client.join();
      await client.say('yes');
      // The channel's usual mode: no deliveryMode, replies POSTed to a serviceUrl that is down.
      const stop = await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: 'stop-activity',
          text: 'stop',
          channelId: 'webchat',
          serviceUrl: `http://127.0.0.1:${await closedPort()}/`,
          from: { id: user },
          recipient: { id: 'consent-bot' },
          conversation: { id: `conv-${user}` },
          locale: 'en-US',
        }),
      });
      expect(stop.status).toBe(200);
      const consents = await fetch(`${server.url}/api/subjects/webchat/${user}/consents`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      });
      const body = (await consents.json()) as { purposes: { status: string }[] };
      expect(new Set(body.purposes.map((p) => p.status))).toEqual(new Set(['withdrawn']));

      const lines = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const undelivered = lines.filter((l) => l.event === 'reply.not_delivered');
      expect(undelivered[0]).toEqual({
        level: 'warn',
        event: 'reply.not_delivered',
        conversation: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        activity: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        replies: 1,
        attempted: true,
        error: expect.any(String) as unknown,
        code: expect.any(String) as unknown,
      });
      expect(undelivered.slice(1).every((l) => l.attempted === false)).toBe(true);
      expect(lines.filter((l) => String(l.event).startsWith('turn.'))).toEqual([]);
      expect(log.lines.join('\n')).not.toMatch(/stop|withdrawn|unsubscribed|ECONNREFUSED 127/i);
      for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });
});

describe('with Bot Framework credentials configured', () => {
  it('refuses an unauthenticated request to the messaging endpoint', async () => {
    // CloudAdapter's process printed the rejected request's AuthenticationError: no longer.
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
      expect(await response.json()).toEqual({
        code: 'UNAUTHENTICATED',
        message: 'the Bot Framework token is missing or invalid',
      });
      expect(printed).not.toHaveBeenCalled();
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
