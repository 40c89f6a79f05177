import { expect } from 'vitest';
import { createApp, type App } from '../bot/app.js';
import { loadConfig } from '../bot/platform/config.js';
import type { AccessLog } from '../consent/access-log.js';
import type { Authenticator } from '../bot/http/auth.js';
import type { Route } from '../bot/http/route.js';
import { createServer } from '../bot/http/server.js';
import { createLogger, type Logger } from '../bot/platform/log.js';
import { openEmbeddedStores, type Stores } from '../storage/stores.js';
import { sealerOf } from '../consent/chain.js';
import { catalogue, temporaryFolder, TEST_KEYS } from './harness.js';

/** The real server (restify + CloudAdapter) on a free port, and a customer's HTTP client. */
export const COMPLIANCE = 'compliance-token-0123456789';
export const AGENT = 'agent-token-0123456789abcdef';
export const MARKETING = 'marketing-token-0123456789ab';

export interface Running {
  readonly app: App;
  readonly stores: Stores;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `log`: where the server logs (silent by default). `wrap` lets a test put a switch in front of
 * the real stores (a store that goes down).
 */
export async function startServer(
  env: NodeJS.ProcessEnv = {},
  options: { readonly log?: Logger; readonly wrap?: (stores: Stores) => Stores } = {},
): Promise<Running> {
  const folder = temporaryFolder();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    API_TOKENS: `compliance:${COMPLIANCE},agent:${AGENT},marketing:${MARKETING}`,
    DATA_DIR: folder.path,
    // Tests drive many requests from one address: limits are off unless a test sets them.
    RATE_LIMIT_API: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
    RATE_LIMIT_MESSAGES: '0',
    RATE_LIMIT_CONVERSATION: '0',
    RATE_LIMIT_EMAIL_LINKS: '0',
    ...env,
  });
  // Sealed as the server seals (bot/main.ts).
  const opened = openEmbeddedStores(config.DATA_DIR, { seal: sealerOf(TEST_KEYS.sealKey) });
  const stores = options.wrap ? options.wrap(opened) : opened;
  const app = createApp({
    config,
    catalogue,
    stores,
    log: options.log ?? createLogger('silent'),
    keys: TEST_KEYS,
  });
  await new Promise<void>((resolve) => {
    app.server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = app.server.address();
  return {
    app,
    stores,
    url: `http://127.0.0.1:${port}`,
    async close() {
      app.retention.stop();
      app.checkpoints?.stop();
      await new Promise<void>((resolve) => {
        app.server.close(() => {
          resolve();
        });
      });
      await stores.close();
      folder.remove();
    },
  };
}

export interface BotActivity {
  type: string;
  text?: string;
  suggestedActions?: { actions: { title: string; value: string }[] };
}

/** A customer's client, talking to the real endpoint with deliveryMode expectReplies. */
export function customer(
  url: string,
  user: string,
  locale: string,
  ids: { readonly conversation?: string; readonly channelId?: string } = {},
) {
  const conversation = ids.conversation ?? `conv-${user}`;
  let n = 0;
  const post = async (activity: Record<string, unknown>): Promise<BotActivity[]> => {
    const response = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `${conversation}-${++n}`,
        channelId: ids.channelId ?? 'webchat',
        serviceUrl: url,
        from: { id: user },
        recipient: { id: 'consent-bot' },
        conversation: { id: conversation },
        locale,
        deliveryMode: 'expectReplies',
        ...activity,
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { activities: BotActivity[] };
    return body.activities;
  };
  return {
    join: () => post({ type: 'conversationUpdate', membersAdded: [{ id: user }] }),
    say: (text: string) => post({ type: 'message', text }),
  };
}

/**
 * Routes in the real server shell (bot/http/server.ts: parsers, security headers, mounting), on a
 * free port: for testing one feature's routes on their own.
 */
export async function routesOnFreePort(
  routes: readonly Route[],
  deps: { readonly auth: Authenticator; readonly accessLog?: AccessLog; readonly log: Logger },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer({ routes, ...deps, publicUrl: 'http://localhost' });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * The real logger, keeping each line for assertions: level, event and fields, without the time
 * (so a test can compare whole lines). What a route logs is part of its contract: no personal data.
 */
export function recordingLog(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const log = createLogger('debug', (line) => {
    const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    lines.push(JSON.stringify(rest));
  });
  return { ...log, lines };
}
