import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { temporaryFolder } from './harness.js';
import { AGENT, customer, startServer } from './http-harness.js';
import { holdWriteLock, tickCounter } from './sqlite-lock-holder.js';

/**
 * The real server on the embedded store while another process (a second server, a CLI, a backup)
 * holds the SQLite write lock: the server keeps answering, and a stop sent meanwhile is recorded
 * once the lock is released, never lost and never claimed before it is durable.
 */
describe('the server while another process holds the database write lock', () => {
  it('keeps answering, says not ready, and records a stop once the lock is released', async () => {
    const folder = temporaryFolder();
    const server = await startServer({ DATA_DIR: folder.path });
    onTestFinished(async () => {
      await server.close();
      folder.remove();
    });
    const person = customer(server.url, 'busy-person', 'en-US');
    await person.join();
    await person.say('yes');

    const holder = await holdWriteLock(join(folder.path, 'consent-bot.sqlite'));
    const counter = tickCounter(10);
    let stopSettled = false;
    const stopped = person.say('STOP').finally(() => {
      stopSettled = true;
    });
    // Liveness answers at once; readiness says "not ready" within its own deadline.
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(stopSettled).toBe(false);
    expect(counter.ticks()).toBeGreaterThanOrEqual(50);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await holder.release();
    const confirmation = await stopped;
    counter.stop();
    expect(confirmation).toHaveLength(1);
    const response = await fetch(`${server.url}/api/subjects/webchat/busy-person/consents`, {
      headers: { authorization: `Bearer ${AGENT}` },
    });
    const body = (await response.json()) as { purposes: { status: string }[] };
    expect(body.purposes.map((p) => p.status)).toEqual(body.purposes.map(() => 'withdrawn'));
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
