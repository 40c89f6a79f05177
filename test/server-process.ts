import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const TEST_TOKEN = 'compliance-token-for-process-tests';

/** A real `bot/main.ts` process, as `npm start` runs it, on a free port. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Ends it with a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServerProcess(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      API_TOKENS: `compliance:${TEST_TOKEN}`,
      SECRET_KEY: TEST_SECRET_KEY,
      // E-mails (no SMTP here) land in an outbox under a folder of the test's, not the repo.
      DATA_DIR: mkdtempSync(join(tmpdir(), 'consent-bot-process-')),
      // Bursts from one address are the point of these tests: no rate limit in their way.
      RATE_LIMIT_API: '0',
      RATE_LIMIT_AUTH_FAILURES: '0',
      RATE_LIMIT_MESSAGES: '0',
      RATE_LIMIT_CONVERSATION: '0',
      RATE_LIMIT_EMAIL_LINKS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      reject(new Error(`server did not start: ${stderr}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /"event":"server\.listening","url":"http:\/\/[^:]+:(\d+)"/.exec(stdout);
      if (listening) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${listening[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface Reply {
  readonly text: string;
  readonly buttons: readonly string[];
}

/** Posts one activity with expectReplies and returns what the customer saw. */
export async function send(
  url: string,
  activity: {
    user: string;
    conversation: string;
    id: string;
    text?: string;
    join?: boolean;
    locale?: string;
  },
): Promise<Reply[]> {
  const response = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: activity.id,
      type: activity.join ? 'conversationUpdate' : 'message',
      ...(activity.join ? { membersAdded: [{ id: activity.user }] } : { text: activity.text }),
      channelId: 'webchat',
      serviceUrl: url,
      from: { id: activity.user },
      recipient: { id: 'consent-bot' },
      conversation: { id: activity.conversation },
      locale: activity.locale ?? 'en-US',
      deliveryMode: 'expectReplies',
    }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as {
    activities: { text?: string; suggestedActions?: { actions: { title: string }[] } }[];
  };
  return body.activities.map((a) => ({
    text: a.text ?? '',
    buttons: a.suggestedActions?.actions.map((b) => b.title) ?? [],
  }));
}
