import { tokenAuthenticator } from '../http/auth.js';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentDecision, ConsentLedger, Decision } from '../../consent/ledger.js';
import { StoreUnavailableError } from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import { loadCatalogue } from '../platform/catalogue-file.js';
import { MAX_BATCH_SUBJECTS, contactPermissionRoutes } from './contact-permission-routes.js';
import type { ApiToken } from '../platform/config.js';
import { recordingLog, routesOnFreePort } from '../../test/http-harness.js';

const catalogue = loadCatalogue('catalogue/default-catalogue.json');
const COMPLIANCE = 'compliance-token-0123456789';
const AGENT = 'agent-token-0123456789abcdef';
const MARKETING = 'marketing-token-0123456789ab';
const TOKENS: readonly ApiToken[] = [
  { role: 'compliance', token: COMPLIANCE },
  { role: 'agent', token: AGENT },
  { role: 'marketing', token: MARKETING },
];
const AT = new Date('2026-11-02T09:30:00.000Z');

/** Fakes of the keyed hashes: deterministic, and obviously not the raw ids. */
const fakeHash = (subject: Subject) =>
  createHash('sha256').update(`user-id|${subject.channelId}|${subject.userId}`).digest('hex');
const ledgerSubjectOf = (subject: Subject): Subject => ({
  channelId: subject.channelId,
  userId: `p:${fakeHash(subject).slice(0, 16)}`,
});

interface Running {
  readonly url: string;
  readonly stores: Stores;
  readonly log: ReturnType<typeof recordingLog>;
  close(): Promise<void>;
}

/** The routes on a real restify server, parsed as bot/http/server.ts parses, on a free port. */
async function start(ledger?: ConsentLedger): Promise<Running> {
  const stores = openMemoryStores();
  const log = recordingLog();
  const routes = await routesOnFreePort(
    contactPermissionRoutes({
      catalogue,
      ledger: ledger ?? stores.ledger,
      suppression: stores.suppression,
      suppressionHashesOf: (subject) => Promise.resolve([fakeHash(subject)]),
      ledgerSubjectOf,
      log,
      now: () => AT,
    }),
    { auth: tokenAuthenticator(TOKENS), accessLog: stores.accessLog, log },
  );
  return { ...routes, stores, log };
}

let running: Running;
beforeEach(async () => {
  running = await start();
});
afterEach(async () => {
  await running.close();
});

const jane: Subject = { channelId: 'webchat', userId: 'jane' };
let activity = 0;

/** Appends one decision straight to the ledger, as the bot would, under the pseudonymous subject. */
async function decide(subject: Subject, purposeId: string, decision: Decision): Promise<void> {
  const purpose = catalogue.purposes.find((p) => p.id === purposeId);
  if (!purpose) throw new Error(`no purpose ${purposeId}`);
  activity += 1;
  const entry: ConsentDecision = {
    subject: ledgerSubjectOf(subject),
    purposeId,
    decision,
    purposeVersion: purpose.version,
    catalogueVersion: catalogue.version,
    noticeHash: null,
    locale: 'en',
    channelId: subject.channelId,
    conversationId: 'conversation-1',
    activityId: `activity-${activity}`,
    source: 'conversation',
    explicit: false,
  };
  await running.stores.ledger.append([entry], AT);
}

async function ask(
  subject: Subject,
  purpose: string | undefined,
  token: string | null = MARKETING,
) {
  const path = `/api/subjects/${encodeURIComponent(subject.channelId)}/${encodeURIComponent(subject.userId)}/contact-permissions`;
  const query = purpose === undefined ? '' : `?purpose=${encodeURIComponent(purpose)}`;
  const response = await fetch(`${running.url}${path}${query}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function askMany(body: unknown, token: string | null = MARKETING) {
  const response = await fetch(`${running.url}/api/contact-permissions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /api/subjects/:channelId/:userId/contact-permissions', () => {
  it('allows contact after a granted decision, with the reason and the time of the check', async () => {
    await decide(jane, 'analytics', 'given');
    const answer = await ask(jane, 'analytics');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      subject: jane,
      purpose: 'analytics',
      allowed: true,
      reason: 'granted',
      checkedAt: AT.toISOString(),
    });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('answers false on the very next call after a withdrawal', async () => {
    await decide(jane, 'analytics', 'given');
    expect((await ask(jane, 'analytics')).body).toMatchObject({ allowed: true });
    await decide(jane, 'analytics', 'withdrawn');
    expect((await ask(jane, 'analytics')).body).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
    });
  });

  it('keeps an e-mail purpose pending until the address is confirmed', async () => {
    await decide(jane, 'newsletter', 'given');
    expect((await ask(jane, 'newsletter')).body).toMatchObject({
      allowed: false,
      reason: 'pending-confirmation',
    });
    await decide(jane, 'newsletter', 'confirmed');
    expect((await ask(jane, 'newsletter')).body).toMatchObject({
      allowed: true,
      reason: 'granted',
    });
  });

  it('lets suppression beat a granted consent', async () => {
    await decide(jane, 'analytics', 'given');
    await running.stores.suppression.add([
      { hash: fakeHash(jane), kind: 'user-id', reason: 'erasure', addedAt: AT.toISOString() },
    ]);
    expect((await ask(jane, 'analytics')).body).toMatchObject({
      allowed: false,
      reason: 'suppressed',
    });
  });

  it('answers no-consent and refused for what was never given', async () => {
    expect((await ask(jane, 'analytics')).body).toMatchObject({
      allowed: false,
      reason: 'no-consent',
    });
    await decide(jane, 'location', 'refused');
    expect((await ask(jane, 'location')).body).toMatchObject({ allowed: false, reason: 'refused' });
  });

  it('answers about the purpose asked only, and for the person asked only', async () => {
    await decide(jane, 'analytics', 'given');
    expect((await ask(jane, 'personalised-offers')).body).toMatchObject({ allowed: false });
    expect((await ask({ channelId: 'msteams', userId: 'jane' }, 'analytics')).body).toMatchObject({
      allowed: false,
      reason: 'no-consent',
    });
  });

  it('keeps user ids with slashes, dots and spaces exact', async () => {
    const teams: Subject = { channelId: 'msteams', userId: '29:1AbC-def/GHI+jkl== Éloïse.x' };
    await decide(teams, 'analytics', 'given');
    const answer = await ask(teams, 'analytics');
    expect(answer.body).toMatchObject({ subject: teams, allowed: true });
  });

  it('refuses a missing or unknown purpose with 400 UNKNOWN_PURPOSE', async () => {
    for (const purpose of [undefined, '', 'spam', 'constructor']) {
      const answer = await ask(jane, purpose);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'UNKNOWN_PURPOSE' });
    }
  });

  it('answers every role that may ask, and 401 without a valid token', async () => {
    for (const token of [MARKETING, AGENT, COMPLIANCE]) {
      expect((await ask(jane, 'analytics', token)).status).toBe(200);
    }
    for (const token of [null, 'not-a-token-0123456789', '']) {
      const answer = await ask(jane, 'analytics', token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    // Authentication comes first: no catalogue detail for a caller without a token.
    expect((await ask(jane, 'spam', null)).status).toBe(401);
  });

  it('logs the role and counts only, never who was asked about', async () => {
    await decide(jane, 'analytics', 'given');
    await ask(jane, 'analytics', AGENT);
    const lines = running.log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        level: 'info',
        event: 'api.contact_permission_read',
        role: 'agent',
        purpose: 'analytics',
        subjects: 1,
        allowed: 1,
      },
    ]);
    expect(running.log.lines.join('\n')).not.toContain('jane');
  });

  it('answers 503 STORE_UNAVAILABLE when the ledger cannot be read', async () => {
    await running.close();
    const down: ConsentLedger = {
      append: () => Promise.reject(new StoreUnavailableError('down')),
      history: () => Promise.reject(new StoreUnavailableError('down')),
      latest: () => Promise.reject(new StoreUnavailableError('down')),
      head: () => Promise.reject(new StoreUnavailableError('down')),
    };
    running = await start(down);
    const answer = await ask(jane, 'analytics');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(answer.body).not.toHaveProperty('allowed');
  });
});

describe('POST /api/contact-permissions', () => {
  const bob: Subject = { channelId: 'webchat', userId: 'bob' };
  const eve: Subject = { channelId: 'msteams', userId: 'eve' };
  const zoe: Subject = { channelId: 'webchat', userId: 'zoe' };

  it('answers for many subjects at once, in the order asked', async () => {
    await decide(jane, 'analytics', 'given');
    await decide(bob, 'analytics', 'given');
    await decide(bob, 'analytics', 'withdrawn');
    await decide(eve, 'analytics', 'given');
    await running.stores.suppression.add([
      { hash: fakeHash(eve), kind: 'user-id', reason: 'opt-out', addedAt: AT.toISOString() },
    ]);
    const answer = await askMany({ purpose: 'analytics', subjects: [jane, bob, eve, zoe, jane] });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      purpose: 'analytics',
      checkedAt: AT.toISOString(),
      results: [
        { subject: jane, allowed: true, reason: 'granted' },
        { subject: bob, allowed: false, reason: 'withdrawn' },
        { subject: eve, allowed: false, reason: 'suppressed' },
        { subject: zoe, allowed: false, reason: 'no-consent' },
        { subject: jane, allowed: true, reason: 'granted' },
      ],
    });
    const logged = running.log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([
      {
        level: 'info',
        event: 'api.contact_permission_read',
        role: 'marketing',
        purpose: 'analytics',
        subjects: 5,
        allowed: 2,
      },
    ]);
  });

  it('sees a withdrawal on the very next batch', async () => {
    await decide(jane, 'personalised-offers', 'given');
    const before = await askMany({ purpose: 'personalised-offers', subjects: [jane] });
    expect(before.body.results).toEqual([{ subject: jane, allowed: true, reason: 'granted' }]);
    await decide(jane, 'personalised-offers', 'withdrawn');
    const after = await askMany({ purpose: 'personalised-offers', subjects: [jane] });
    expect(after.body.results).toEqual([{ subject: jane, allowed: false, reason: 'withdrawn' }]);
  });

  it(`takes up to ${MAX_BATCH_SUBJECTS} subjects, and refuses more with 413 TOO_MANY_SUBJECTS`, async () => {
    const subjects = Array.from({ length: MAX_BATCH_SUBJECTS }, (_, i) => ({
      channelId: 'webchat',
      userId: `user-${i}`,
    }));
    await decide(subjects[999]!, 'analytics', 'given');
    const full = await askMany({ purpose: 'analytics', subjects });
    expect(full.status).toBe(200);
    const results = full.body.results as { allowed: boolean }[];
    expect(results).toHaveLength(MAX_BATCH_SUBJECTS);
    expect(results.filter((r) => r.allowed)).toHaveLength(1);
    expect(results[999]).toMatchObject({ allowed: true });

    const tooMany = await askMany({
      purpose: 'analytics',
      subjects: [...subjects, { channelId: 'webchat', userId: 'one-more' }],
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ code: 'TOO_MANY_SUBJECTS' });
  });

  it('answers an empty list with no results', async () => {
    const answer = await askMany({ purpose: 'analytics', subjects: [] });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([]);
  });

  it('refuses a bad purpose, bad subjects or a body that is not an object, with 400', async () => {
    const cases: [unknown, string][] = [
      [{ subjects: [jane] }, 'UNKNOWN_PURPOSE'],
      [{ purpose: 'spam', subjects: [jane] }, 'UNKNOWN_PURPOSE'],
      [{ purpose: ['analytics'], subjects: [jane] }, 'UNKNOWN_PURPOSE'],
      [{ purpose: 'analytics' }, 'INVALID_SUBJECTS'],
      [{ purpose: 'analytics', subjects: 'jane' }, 'INVALID_SUBJECTS'],
      [{ purpose: 'analytics', subjects: [jane, { channelId: 'webchat' }] }, 'INVALID_SUBJECTS'],
      [
        { purpose: 'analytics', subjects: [{ channelId: 'webchat', userId: '' }] },
        'INVALID_SUBJECTS',
      ],
      [{ purpose: 'analytics', subjects: [{ channelId: 1, userId: 'x' }] }, 'INVALID_SUBJECTS'],
      [{ purpose: 'analytics', subjects: [null] }, 'INVALID_SUBJECTS'],
      [[jane], 'INVALID_REQUEST'],
    ];
    for (const [body, code] of cases) {
      const answer = await askMany(body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(answer.body).toMatchObject({ code });
    }
  });

  it('answers every role that may ask, and 401 without a valid token', async () => {
    const body = { purpose: 'analytics', subjects: [jane] };
    for (const token of [MARKETING, AGENT, COMPLIANCE]) {
      expect((await askMany(body, token)).status).toBe(200);
    }
    for (const token of [null, 'not-a-token-0123456789']) {
      const answer = await askMany(body, token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });
});
