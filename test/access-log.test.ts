import { afterEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../consent/access-log.js';
import { subjectKey } from '../consent/subject.js';
import { TEST_KEYS } from './harness.js';
import {
  AGENT,
  COMPLIANCE,
  customer,
  MARKETING,
  startServer,
  type Running,
} from './http-harness.js';

/** GDPR art. 5(2): every access to personal data by an API caller leaves who, what and when. */
describe('the access log', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const USER = 'access-log-user@corp';
  const PATH = `/api/subjects/webchat/${encodeURIComponent(USER)}`;
  const pseudonym = subjectKey(TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: USER }));

  async function get(path: string, token: string, init: RequestInit = {}) {
    const response = await fetch(`${running!.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const everything = async (): Promise<AccessRecord[]> =>
    [...(await running!.stores.accessLog.list({}, { limit: 1000 })).records].reverse();

  it('records each read of a person, by whom, under which role, before answering', async () => {
    running = await startServer();
    const person = customer(running.url, USER, 'en');
    await person.join();
    await person.say('no');

    const calls: [string, string, RequestInit?][] = [
      [`${PATH}/consents`, AGENT],
      [`${PATH}/verify`, COMPLIANCE],
      [`${PATH}/receipts`, COMPLIANCE],
      [`${PATH}/contact-permissions?purpose=newsletter`, MARKETING],
      [
        '/api/contact-permissions',
        MARKETING,
        {
          method: 'POST',
          body: JSON.stringify({
            purpose: 'newsletter',
            subjects: [{ channelId: 'webchat', userId: USER }],
          }),
        },
      ],
      [`${PATH}/export`, AGENT],
      [`${PATH}/erasure`, COMPLIANCE, { method: 'POST' }],
    ];
    for (const [path, token, init] of calls) {
      expect((await get(path, token, init)).status, path).toBe(200);
    }

    const records = await everything();
    expect(records.map((r) => [r.action, r.role, r.target])).toEqual([
      ['consents.read', 'agent', pseudonym],
      ['chain.verify', 'compliance', pseudonym],
      ['receipts.read', 'compliance', pseudonym],
      ['permission.read', 'marketing', pseudonym],
      ['permission.read', 'marketing', '*'],
      ['subject.export', 'agent', pseudonym],
      ['subject.erase', 'compliance', pseudonym],
    ]);
    // Who: a fingerprint per token, the same for the same token, never the token itself.
    const principals = new Map(records.map((r) => [r.role, r.principal]));
    expect(principals.size).toBe(3);
    for (const [role, principal] of principals) {
      expect(principal).toMatch(new RegExp(`^token:${role}:[0-9a-f]{12}$`));
    }
    // The log itself holds no one's channel id.
    expect(JSON.stringify(records)).not.toContain(USER);
    expect(JSON.stringify(records)).not.toContain('access-log-user');
    // When: in order, now.
    const times = records.map((r) => Date.parse(r.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Date.now() - times[0]!).toBeLessThan(60_000);
  });

  it('answers 503 and gives no data when the access cannot be recorded', async () => {
    running = await startServer();
    const person = customer(running.url, USER, 'en');
    await person.join();
    await person.say('no');
    const log = running.stores.accessLog;
    log.record = () => Promise.reject(new Error('access log down'));
    const { status, body } = await get(`${PATH}/consents`, AGENT);
    expect(status).toBe(503);
    expect(body.code).toBe('STORE_UNAVAILABLE');
    expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    expect(JSON.stringify(body)).not.toContain('refused');
  });
});
