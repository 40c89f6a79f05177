import { tokenAuthenticator } from '../http/auth.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ConsentDecision,
  ConsentEvent,
  ConsentLedger,
  Decision,
} from '../../consent/ledger.js';
import { StoreUnavailableError } from '../../consent/ledger.js';
import {
  validateKantaraReceipt,
  type ControllerDetails,
  type Iso27560Record,
  type KantaraReceipt,
} from '../../consent/receipts.js';
import type { Subject } from '../../consent/subject.js';
import { catalogue, TEST_KEYS } from '../../test/harness.js';
import { recordingLog, routesOnFreePort } from '../../test/http-harness.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import type { ApiToken } from '../platform/config.js';
import { receiptRoutes } from './receipt-routes.js';

const COMPLIANCE = 'compliance-token-0123456789';
const AGENT = 'agent-token-0123456789abcdef';
const MARKETING = 'marketing-token-0123456789ab';
const TOKENS: readonly ApiToken[] = [
  { role: 'compliance', token: COMPLIANCE },
  { role: 'agent', token: AGENT },
  { role: 'marketing', token: MARKETING },
];
const AT = new Date('2026-11-02T09:30:00.000Z');
const CONTROLLER: ControllerDetails = {
  address: { streetAddress: '12 rue des Lilas', postalCode: '75011', addressCountry: 'FR' },
  phone: '+33 1 23 45 67 89',
};

/** Ids a channel really sends, with characters a URL must encode. */
const jane: Subject = { channelId: 'msteams', userId: '29:1AbC-def/GHI+jkl==|é' };
const janeInLedger = TEST_KEYS.ledgerSubject(jane);

interface Receipts {
  readonly kantara: KantaraReceipt[];
  readonly iso27560: Iso27560Record[];
  readonly omitted: unknown[];
}

interface Running {
  readonly url: string;
  readonly stores: Stores;
  readonly log: ReturnType<typeof recordingLog>;
  close(): Promise<void>;
}

async function start(
  options: { ledger?: ConsentLedger; controller?: ControllerDetails | null } = {},
): Promise<Running> {
  const stores = openMemoryStores();
  const log = recordingLog();
  const controller = options.controller === undefined ? CONTROLLER : options.controller;
  const routes = await routesOnFreePort(
    receiptRoutes({
      catalogue,
      ledger: options.ledger ?? stores.ledger,
      ledgerSubjectOf: TEST_KEYS.ledgerSubject,
      log,
      ...(controller ? { controller } : {}),
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

const decisionOn = (
  purposeId: string,
  decision: Decision,
  activityId: string,
  extra: Partial<ConsentDecision> = {},
): ConsentDecision => ({
  subject: janeInLedger,
  purposeId,
  decision,
  purposeVersion: 1,
  catalogueVersion: catalogue.version,
  noticeHash: 'b'.repeat(64),
  locale: 'fr',
  channelId: jane.channelId,
  conversationId: 'c-1',
  activityId,
  source: 'conversation',
  explicit: false,
  ...extra,
});

/**
 * Jane gave analytics then withdrew it, refused offers, said "I agree" to location, and gave the
 * newsletter then confirmed it by the e-mail link: four decisions that gave consent.
 */
async function seedJane(stores: Stores = running.stores): Promise<readonly ConsentEvent[]> {
  return [
    ...(await stores.ledger.append(
      [
        decisionOn('analytics', 'given', 'a-1'),
        decisionOn('newsletter', 'given', 'a-2'),
        decisionOn('personalised-offers', 'refused', 'a-3'),
        decisionOn('location', 'given', 'a-4', { explicit: true }),
      ],
      AT,
    )),
    ...(await stores.ledger.append([decisionOn('analytics', 'withdrawn', 'a-5')], AT)),
    ...(await stores.ledger.append(
      [
        decisionOn('newsletter', 'confirmed', 'a-6', {
          source: 'email-confirmation',
          conversationId: 'email',
          noticeHash: null,
        }),
      ],
      AT,
    )),
  ];
}

const subjectPath = (subject: Subject) =>
  `/api/subjects/${encodeURIComponent(subject.channelId)}/${encodeURIComponent(subject.userId)}/receipts`;

const get = (path: string, token: string | null = COMPLIANCE) =>
  fetch(`${running.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

describe('GET /api/subjects/:channelId/:userId/receipts', () => {
  it('gives a Kantara receipt and an ISO 27560 record for each decision that gave consent', async () => {
    const events = await seedJane();
    const response = await get(subjectPath(jane));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Receipts;

    const consenting = events.filter((e) => e.decision === 'given' || e.decision === 'confirmed');
    expect(consenting.map((e) => `${e.purposeId}:${e.decision}`)).toEqual([
      'analytics:given',
      'newsletter:given',
      'location:given',
      'newsletter:confirmed',
    ]);
    expect(body.kantara).toHaveLength(4);
    expect(body.iso27560.map((r) => r.events[0]!.eventId)).toEqual(consenting.map((e) => e.id));
    expect(body.iso27560.map((r) => r.consent.state)).toEqual([
      'given',
      'given',
      'given',
      'confirmed',
    ]);
    expect(body.omitted).toEqual([]);
    for (const receipt of body.kantara) expect(validateKantaraReceipt(receipt)).toEqual([]);
    expect(body.kantara.map((r) => r.services[0]!.purposes[0]!.consentType)).toEqual([
      'EXPRESSED',
      'EXPRESSED',
      'EXPLICIT',
      'EXPRESSED',
    ]);
    expect(body.kantara.map((r) => r.language)).toEqual(['fr', 'fr', 'fr', 'fr']);
    expect(body.iso27560.map((r) => r.kantaraReceiptId)).toEqual(
      body.kantara.map((r) => r.consentReceiptID),
    );
  });

  it('names the person by the ledger pseudonym, never by the ids of the URL', async () => {
    await seedJane();
    const response = await get(subjectPath(jane));
    const text = await response.text();
    const body = JSON.parse(text) as Receipts;
    expect(body.kantara.every((r) => r.piiPrincipalId === janeInLedger.userId)).toBe(true);
    expect(janeInLedger.userId).toMatch(/^p:/);
    expect(body.iso27560.every((r) => r.piiPrincipal.pseudonymous)).toBe(true);
    expect(text).not.toContain(jane.userId);
    expect(text).not.toContain(JSON.stringify(jane.userId).slice(1, -1));
  });

  it('gives the same receipts on every export', async () => {
    await seedJane();
    const first = (await (await get(subjectPath(jane))).json()) as Receipts;
    const again = (await (await get(subjectPath(jane), AGENT)).json()) as Receipts;
    expect(again).toEqual(first);
  });

  it('lists, never drops, a consent to a purpose the data map no longer has', async () => {
    await seedJane();
    const [retired] = await running.stores.ledger.append(
      [decisionOn('retired-purpose', 'given', 'a-7')],
      AT,
    );
    const body = (await (await get(subjectPath(jane))).json()) as Receipts;
    expect(body.kantara).toHaveLength(4);
    expect(body.omitted).toEqual([
      { eventId: retired!.id, purposeId: 'retired-purpose', reason: 'UNKNOWN_PURPOSE' },
    ]);
  });

  it('answers an empty list for a person with no consent', async () => {
    const response = await get(subjectPath({ channelId: 'webchat', userId: 'nobody' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ kantara: [], iso27560: [], omitted: [] });
  });

  it('logs the role and the counts, never the ids', async () => {
    await seedJane();
    await get(subjectPath(jane), AGENT);
    expect(running.log.lines).toEqual([
      JSON.stringify({
        level: 'info',
        event: 'api.receipts_read',
        role: 'agent',
        receipts: 4,
        omitted: 0,
      }),
    ]);
  });

  it('answers 500 RECEIPT_INCOMPLETE, naming the fields, without the controller details', async () => {
    const bare = await start({ controller: null });
    try {
      await seedJane(bare.stores);
      const response = await fetch(`${bare.url}${subjectPath(jane)}`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({
        code: 'RECEIPT_INCOMPLETE',
        problems: ['piiControllers[0].address: missing', 'piiControllers[0].phone: missing'],
      });
    } finally {
      await bare.close();
    }
  });

  it('answers 503 STORE_UNAVAILABLE when the ledger cannot be read', async () => {
    const failing: ConsentLedger = {
      append: () => Promise.reject(new StoreUnavailableError('down')),
      history: () => Promise.reject(new StoreUnavailableError('down')),
      latest: () => Promise.reject(new StoreUnavailableError('down')),
      head: () => Promise.reject(new StoreUnavailableError('down')),
    };
    const down = await start({ ledger: failing });
    try {
      const response = await fetch(`${down.url}${subjectPath(jane)}`, {
        headers: { authorization: `Bearer ${AGENT}` },
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });
});

describe('GET /api/subjects/:channelId/:userId/receipts/:eventId', () => {
  it('gives the receipts of one decision, the same as in the list', async () => {
    const events = await seedJane();
    const location = events.find((e) => e.purposeId === 'location')!;
    const response = await get(`${subjectPath(jane)}/${encodeURIComponent(location.id)}`, AGENT);
    expect(response.status).toBe(200);
    const one = (await response.json()) as { kantara: KantaraReceipt; iso27560: Iso27560Record };
    expect(validateKantaraReceipt(one.kantara)).toEqual([]);
    expect(one.kantara.services[0]!.purposes[0]!.consentType).toBe('EXPLICIT');
    expect(one.kantara.sensitive).toBe(true);
    expect(one.iso27560.processing.purposes).toEqual(
      catalogue.purposes.find((p) => p.id === 'location')!.dpvPurposes,
    );
    const list = (await (await get(subjectPath(jane))).json()) as Receipts;
    expect(list.kantara).toContainEqual(one.kantara);
    expect(list.iso27560).toContainEqual(one.iso27560);
  });

  it.each<[Decision]>([['refused'], ['withdrawn']])(
    'answers 404 NO_RECEIPT for a %s event: receipts document consent given',
    async (decision) => {
      const events = await seedJane();
      const event = events.find((e) => e.decision === decision)!;
      const response = await get(`${subjectPath(jane)}/${encodeURIComponent(event.id)}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'NO_RECEIPT' });
    },
  );

  it("answers 404 EVENT_NOT_FOUND for an unknown id, and for another person's event", async () => {
    await seedJane();
    const [other] = await running.stores.ledger.append(
      [
        {
          ...decisionOn('analytics', 'given', 'b-1'),
          subject: TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'bob' }),
        },
      ],
      AT,
    );
    for (const id of ['no-such-event', other!.id]) {
      const response = await get(`${subjectPath(jane)}/${encodeURIComponent(id)}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'EVENT_NOT_FOUND' });
    }
  });
});

describe('authorisation of the receipt routes', () => {
  it.each<[string | null, number, string]>([
    [null, 401, 'UNAUTHENTICATED'],
    ['not-a-token-we-issued-0123', 401, 'UNAUTHENTICATED'],
    [`${AGENT}x`, 401, 'UNAUTHENTICATED'],
    [MARKETING, 403, 'FORBIDDEN'],
  ])('answers token %s with %i %s on both routes, reading nothing', async (token, status, code) => {
    const events = await seedJane();
    for (const path of [
      subjectPath(jane),
      `${subjectPath(jane)}/${encodeURIComponent(events[0]!.id)}`,
    ]) {
      const response = await get(path, token);
      expect(response.status).toBe(status);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ code });
      expect(body).not.toHaveProperty('kantara');
    }
    expect(running.log.lines).toEqual([]);
  });
});
