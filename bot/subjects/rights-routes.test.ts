import { tokenAuthenticator } from '../http/auth.js';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pendingConfirmationOf } from '../../consent/confirmations.js';
import type { ConsentDecision, ConsentLedger } from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import {
  suppressionEntriesFor,
  suppressionHash,
  userIdentifier,
} from '../../consent/suppression.js';
import { MemoryContactAddresses } from '../../storage/memory/memory-contact-addresses.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import { activityOf } from '../../test/transcript-contract.js';
import { loadCatalogue } from '../platform/catalogue-file.js';
import type { ApiToken } from '../platform/config.js';
import { rightsRoutes } from './rights-routes.js';
import type { ErasureReport, SubjectExport } from './subject-data.js';
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
const SECRET = 'rights-routes-test-suppression-secret-01';
const AT = new Date('2026-11-02T09:30:00.000Z');

const ledgerSubjectOf = (subject: Subject): Subject => ({
  channelId: subject.channelId,
  userId: `p:${createHmac('sha256', 'ledger-key-for-tests')
    .update(`${subject.channelId}|${subject.userId}`)
    .digest('base64url')}`,
});

/** Ids a channel really sends, with characters a URL must encode. */
const jane: Subject = { channelId: 'msteams', userId: '29:1AbC-def/GHI+jkl==|é' };
const JANE_EMAIL = 'jane.doe@example.com';

interface Running {
  readonly url: string;
  readonly stores: Stores;
  readonly addresses: MemoryContactAddresses;
  readonly log: ReturnType<typeof recordingLog>;
  close(): Promise<void>;
}

/** The routes on a real restify server, parsed as bot/http/server.ts parses, on a free port. */
async function start(ledger?: ConsentLedger): Promise<Running> {
  const stores = openMemoryStores();
  const addresses = new MemoryContactAddresses();
  const log = recordingLog();
  const routes = await routesOnFreePort(
    rightsRoutes({
      catalogue,
      ledger: ledger ?? stores.ledger,
      transcripts: stores.transcripts,
      addresses,
      confirmations: stores.confirmations,
      suppression: stores.suppression,
      botState: stores.botState,
      suppressionHashesOf: async (subject) => {
        const address = await addresses.get(ledgerSubjectOf(subject));
        return [
          suppressionHash(SECRET, 'user-id', userIdentifier(subject)),
          ...(address ? [suppressionHash(SECRET, 'email', address.email)] : []),
        ];
      },
      suppressionEntriesOf: (subject, email, at) =>
        suppressionEntriesFor(SECRET, { subject, emails: email ? [email] : [] }, 'erasure', at),
      ledgerSubjectOf,
      log,
      now: () => AT,
    }),
    { auth: tokenAuthenticator(TOKENS), accessLog: stores.accessLog, log },
  );
  return { ...routes, stores, addresses, log };
}

let running: Running;
beforeEach(async () => {
  running = await start();
});
afterEach(async () => {
  await running.close();
});

async function seedJane(): Promise<void> {
  const decisionOn = (purposeId: string, activityId: string): ConsentDecision => ({
    subject: ledgerSubjectOf(jane),
    purposeId,
    decision: 'given',
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    noticeHash: null,
    locale: 'fr',
    channelId: jane.channelId,
    conversationId: 'c-1',
    activityId,
    source: 'conversation',
    explicit: false,
  });
  // Analytics granted; the newsletter given, waiting for the link in the e-mail.
  await running.stores.ledger.append(
    [decisionOn('analytics', 'a-1'), decisionOn('newsletter', 'a-2')],
    AT,
  );
  await running.addresses.set(ledgerSubjectOf(jane), {
    email: JANE_EMAIL,
    verifiedAt: AT.toISOString(),
  });
  await running.stores.confirmations.create(
    pendingConfirmationOf(
      { subject: ledgerSubjectOf(jane), purposeId: 'newsletter', email: JANE_EMAIL, locale: 'fr' },
      AT,
    ).confirmation,
  );
  for (const [from, recipient] of [
    [jane.userId, 'consent-bot'],
    ['consent-bot', jane.userId],
  ] as const) {
    await running.stores.transcripts.logActivity(
      activityOf(jane.channelId, 'c-1', {
        from: { id: from, name: '' },
        recipient: { id: recipient, name: '' },
      }),
    );
  }
}

const pathOf = (subject: Subject, action: 'export' | 'erasure') =>
  `/api/subjects/${encodeURIComponent(subject.channelId)}/${encodeURIComponent(subject.userId)}/${action}`;

async function call(
  action: 'export' | 'erasure',
  subject: Subject = jane,
  token: string | null = AGENT,
) {
  const response = await fetch(`${running.url}${pathOf(subject, action)}`, {
    method: action === 'export' ? 'GET' : 'POST',
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('GET /api/subjects/:channelId/:userId/export', () => {
  it.each([AGENT, COMPLIANCE])(
    'returns everything held about the person, as a file',
    async (token) => {
      await seedJane();
      const answer = await call('export', jane, token);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('content-disposition')).toBe(
        'attachment; filename="subject-export-2026-11-02.json"',
      );
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const exp = answer.body as unknown as SubjectExport;
      expect(exp).toMatchObject({
        subject: jane,
        generatedAt: AT.toISOString(),
        catalogueVersion: catalogue.version,
        controller: { name: catalogue.controller.name },
        contactAddress: { email: JANE_EMAIL },
        pendingConfirmations: 1,
        suppression: { listed: false },
        transcripts: { activities: 2 },
      });
      expect(exp.history).toHaveLength(2);
      expect(exp.history[0]?.subject).toEqual(jane);
      expect(exp.purposes.find((p) => p.purposeId === 'analytics')?.status).toBe('granted');
    },
  );

  it('logs the role and the counts, never the ids or the address', async () => {
    await seedJane();
    await call('export', jane, COMPLIANCE);
    const line = running.log.lines.find((l) => l.includes('api.subject_exported'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 'info',
      role: 'compliance',
      events: 2,
      activities: 2,
      hasAddress: true,
      pending: 1,
      suppressed: false,
    });
    const all = running.log.lines.join('\n');
    for (const secret of [jane.userId, '29:1AbC', JANE_EMAIL, ledgerSubjectOf(jane).userId]) {
      expect(all).not.toContain(secret);
    }
  });

  it('answers 401 without a valid token and 403 for marketing, reading nothing', async () => {
    await seedJane();
    for (const [token, status, code] of [
      [null, 401, 'UNAUTHENTICATED'],
      ['not-a-token-we-issued-0123', 401, 'UNAUTHENTICATED'],
      [MARKETING, 403, 'FORBIDDEN'],
    ] as const) {
      const answer = await call('export', jane, token);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ code });
      expect(JSON.stringify(answer.body)).not.toContain(JANE_EMAIL);
    }
    expect(running.log.lines.filter((l) => l.includes('api.subject_exported'))).toEqual([]);
  });

  it('answers 503 STORE_UNAVAILABLE when the ledger cannot be read', async () => {
    await running.close();
    const down: ConsentLedger = {
      append: () => Promise.reject(new Error('down')),
      history: () =>
        Promise.reject(Object.assign(new Error('down'), { code: 'STORE_UNAVAILABLE' })),
      latest: () => Promise.reject(new Error('down')),
      head: () => Promise.reject(new Error('down')),
    };
    running = await start(down);
    const answer = await call('export');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(running.log.lines.join('\n')).toContain('api.subject_export_failed');
  });
});

describe('POST /api/subjects/:channelId/:userId/erasure', () => {
  it.each([AGENT, COMPLIANCE])('erases and says what it kept and why', async (token) => {
    await seedJane();
    const answer = await call('erasure', jane, token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const report = answer.body as unknown as ErasureReport;
    expect(report).toMatchObject({
      erasedAt: AT.toISOString(),
      erased: {
        transcriptActivities: 2,
        contactAddress: true,
        pendingConfirmations: 1,
        conversationStates: 0,
      },
      kept: {
        consentEvents: { count: 2, form: 'pseudonymised' },
        suppression: { kinds: ['user-id', 'email'], form: 'keyed-hash' },
      },
    });
    expect(report.kept.consentEvents.why).toContain('7(1)');

    // The export afterwards: nothing personal left, the proof kept, the person suppressed.
    const after = (await call('export')).body as unknown as SubjectExport;
    expect(after).toMatchObject({
      contactAddress: null,
      transcripts: { activities: 0, conversations: [] },
      suppression: { listed: true },
    });
    expect(after.history).toHaveLength(2);
    const listed = await running.stores.suppression.anyOf([
      suppressionHash(SECRET, 'email', JANE_EMAIL),
    ]);
    expect(listed).toHaveLength(1);
  });

  it('is safe to repeat', async () => {
    await seedJane();
    expect((await call('erasure')).status).toBe(200);
    const again = await call('erasure');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      erased: { transcriptActivities: 0, contactAddress: false, pendingConfirmations: 0 },
      kept: { consentEvents: { count: 2 }, suppression: { kinds: ['user-id'] } },
    });
  });

  it('logs the role and the counts, never the ids or the address', async () => {
    await seedJane();
    await call('erasure', jane, AGENT);
    const line = running.log.lines.find((l) => l.includes('api.subject_erased'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 'info',
      role: 'agent',
      activities: 2,
      hasAddress: true,
      pending: 1,
      keptEvents: 2,
      suppressed: 'user-id,email',
    });
    const all = running.log.lines.join('\n');
    for (const secret of [jane.userId, '29:1AbC', JANE_EMAIL, ledgerSubjectOf(jane).userId]) {
      expect(all).not.toContain(secret);
    }
  });

  it('answers 401 without a valid token and 403 for marketing, erasing nothing', async () => {
    await seedJane();
    for (const [token, status] of [
      [null, 401],
      [`${AGENT}x`, 401],
      [MARKETING, 403],
    ] as const) {
      expect((await call('erasure', jane, token)).status).toBe(status);
    }
    expect(
      await running.stores.transcripts.activitiesOfUser(jane.channelId, jane.userId),
    ).toHaveLength(2);
    expect(await running.addresses.get(ledgerSubjectOf(jane))).toBeDefined();
    expect(running.log.lines.filter((l) => l.includes('api.subject_erased'))).toEqual([]);
  });

  it('does not answer GET: reading never erases', async () => {
    const response = await fetch(`${running.url}${pathOf(jane, 'erasure')}`, {
      headers: { authorization: `Bearer ${AGENT}` },
    });
    expect(response.status).toBe(405);
  });
});
