import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentItem } from '../bot/compliance/timeline.js';
import { subjectKey } from '../consent/subject.js';
import {
  get,
  pseudonym,
  type AccessLogBody,
  type ConversationsBody,
  type EventsBody,
  type TimelineBody,
  type VerifyBody,
} from './compliance-fixture.js';
import { AGENT, customer, MARKETING, startServer, type Running } from './http-harness.js';

/** Every compliance route of the app; 401 and 403 come before any validation of the query. */
const ROUTES = [
  '/api/compliance/events',
  '/api/compliance/conversations',
  '/api/compliance/conversations/webchat/conv-compliance-e2e',
  '/api/compliance/export/events.jsonl',
  '/api/compliance/export/events.csv',
  '/api/compliance/export/receipts.jsonl',
  '/api/compliance/aggregates?from=2026-01-01&to=2027-01-01',
  '/api/compliance/verify',
  '/api/compliance/access-log',
];

describe('the compliance API in the app, after a real conversation (SQLite)', () => {
  let server: Running;
  const person = { channelId: 'webchat', userId: 'compliance-e2e' };

  beforeAll(async () => {
    server = await startServer();
    const client = customer(server.url, person.userId, 'en-US');
    await client.join();
    await client.say('no'); // the newsletter
    await client.say('yes'); // personalised offers
    await client.say('STOP');
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(ROUTES)('%s: 401 without a token, 403 for agent and marketing tokens', async (path) => {
    expect((await get(server.url, path, null)).status).toBe(401);
    expect((await get(server.url, path, AGENT)).status).toBe(403);
    expect((await get(server.url, path, MARKETING)).status).toBe(403);
  });

  it('finds the decisions and the conversation, and shows what the person was told', async () => {
    const query = `channelId=webchat&userId=${person.userId}`;
    const events = await get<EventsBody>(server.url, `/api/compliance/events?${query}`);
    expect(events.status).toBe(200);
    const decisions = events.body.events.map((e) => `${e.purposeId}:${e.decision}`);
    expect(decisions).toContain('newsletter:refused');
    expect(decisions).toContain('personalised-offers:given');
    expect(decisions.filter((d) => d.endsWith(':withdrawn')).length).toBeGreaterThan(0);
    expect(events.body.events.every((e) => e.subject.userId === pseudonym(person).userId)).toBe(
      true,
    );

    const conversations = await get<ConversationsBody>(
      server.url,
      `/api/compliance/conversations?${query}`,
    );
    expect(conversations.body.conversations.map((c) => c.conversationId)).toEqual([
      'conv-compliance-e2e',
    ]);

    const view = await get<TimelineBody>(
      server.url,
      '/api/compliance/conversations/webchat/conv-compliance-e2e',
    );
    expect(view.status).toBe(200);
    const { timeline } = view.body;
    const said = timeline.flatMap((i) =>
      i.kind === 'activity' && i.direction === 'in' ? [i] : [],
    );
    expect(said.filter((i) => i.type === 'message').map((i) => i.text)).toEqual([
      'no',
      'yes',
      'STOP',
    ]);
    const given = timeline.findIndex((i) => i.kind === 'consent' && i.event.decision === 'given');
    const item = timeline[given] as ConsentItem;
    expect(item.notice?.text.length).toBeGreaterThan(20);
    expect(item.notice?.hash).toBe(item.event.noticeHash);
    // The notice was shown by the bot before the decision, the "yes" came right before it.
    const shownBefore = timeline
      .slice(0, given)
      .some(
        (i) =>
          i.kind === 'activity' &&
          i.direction === 'out' &&
          i.text?.includes(item.notice!.text.slice(0, 40)),
      );
    expect(shownBefore).toBe(true);
    expect(timeline[given - 1]).toMatchObject({ kind: 'activity', direction: 'in', text: 'yes' });

    const verify = await get<VerifyBody>(server.url, `/api/compliance/verify?${query}`);
    expect(verify.body).toMatchObject({ scope: 'subject', intact: true, problems: [] });

    const log = await get<AccessLogBody>(server.url, '/api/compliance/access-log');
    expect(log.body.records.map((r) => [r.action, r.target])).toEqual([
      ['ledger.verify', subjectKey(pseudonym(person))],
      ['transcript.read', subjectKey(pseudonym(person))],
      ['transcripts.search', subjectKey(pseudonym(person))],
      ['ledger.search', subjectKey(pseudonym(person))],
    ]);
    expect(JSON.stringify(log.body)).not.toContain(person.userId);
  });
});
