import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCatalogue } from '../bot/platform/catalogue-file.js';
import { chained, GENESIS_HASH } from './chain.js';
import type { ConsentEvent, Decision } from './ledger.js';
import {
  iso27560Record,
  kantaraReceipt,
  KANTARA_VERSION,
  validateKantaraReceipt,
  type ControllerDetails,
  type KantaraReceipt,
} from './receipts.js';

const catalogue = parseCatalogue(
  JSON.parse(readFileSync('catalogue/default-catalogue.json', 'utf8')),
  'catalogue/default-catalogue.json',
);

const CONTROLLER: ControllerDetails = {
  address: {
    streetAddress: '12 rue des Lilas',
    postalCode: '75011',
    addressLocality: 'Paris',
    addressCountry: 'FR',
  },
  phone: '+33 1 23 45 67 89',
  url: 'https://example.com',
};
const PSEUDONYM = 'p:Zm9vYmFyLXBzZXVkb255bS1mb3ItdGVzdHM';
const RECORDED_AT = '2026-11-02T09:30:00.750Z';

let nextId = 0;
function eventOf(purposeId: string, over: Partial<ConsentEvent> = {}): ConsentEvent {
  nextId += 1;
  const purpose = catalogue.purposes.find((p) => p.id === purposeId);
  const { hash: _hash, prevHash: _prevHash, ...rest } = over;
  return chained(
    {
      id: `event-${nextId}`,
      seq: nextId,
      recordedAt: RECORDED_AT,
      subject: { channelId: 'webchat', userId: PSEUDONYM },
      purposeId,
      decision: 'given',
      purposeVersion: purpose?.version ?? 1,
      catalogueVersion: catalogue.version,
      noticeHash: 'a'.repeat(64),
      locale: 'en',
      channelId: 'webchat',
      conversationId: 'conversation-1',
      activityId: `activity-${nextId}`,
      source: 'conversation',
      explicit: purpose?.explicitConsent ?? false,
      ...rest,
    },
    GENESIS_HASH,
  );
}

/** `null`: without controller details, as the data map alone gives them. */
const receiptOf = (event: ConsentEvent, controller: ControllerDetails | null = CONTROLLER) =>
  kantaraReceipt({
    event,
    catalogue,
    principalId: PSEUDONYM,
    ...(controller ? { controller } : {}),
  });

const firstPurpose = (receipt: KantaraReceipt) => receipt.services[0]!.purposes[0]!;

describe('kantaraReceipt', () => {
  it.each(catalogue.purposes.map((p) => [p.id]))(
    'gives a receipt with every mandatory field for a consent to %s',
    (purposeId) => {
      const events = [eventOf(purposeId)];
      if (catalogue.purposes.find((p) => p.id === purposeId)?.contactChannel === 'email') {
        events.push(
          eventOf(purposeId, {
            decision: 'confirmed',
            source: 'email-confirmation',
            conversationId: 'email',
            noticeHash: null,
            explicit: false,
          }),
        );
      }
      for (const event of events) {
        const receipt = receiptOf(event);
        expect(validateKantaraReceipt(receipt)).toEqual([]);
        // What a JSON export carries is what was validated.
        expect(validateKantaraReceipt(JSON.parse(JSON.stringify(receipt)))).toEqual([]);
        expect(receipt.version).toBe(KANTARA_VERSION);
        expect(receipt.piiPrincipalId).toBe(PSEUDONYM);
        expect(receipt.piiControllers[0]).toMatchObject({
          piiController: catalogue.controller.name,
          email: 'privacy@example.com',
          address: CONTROLLER.address,
          phone: CONTROLLER.phone,
          piiControllerUrl: CONTROLLER.url,
        });
        expect(receipt.policyUrl).toBe('https://example.com/en/privacy');
      }
    },
  );

  it('counts consentTimestamp in whole seconds since the epoch', () => {
    const receipt = receiptOf(eventOf('analytics'));
    expect(receipt.consentTimestamp).toBe(Math.floor(Date.parse(RECORDED_AT) / 1000));
    expect(Number.isInteger(receipt.consentTimestamp)).toBe(true);
  });

  it('gives the same receipt id every time the same event is exported, a UUID v5', () => {
    const event = eventOf('newsletter');
    const first = receiptOf(event);
    const again = receiptOf(structuredClone(event));
    expect(again.consentReceiptID).toBe(first.consentReceiptID);
    expect(again).toEqual(first);
    expect(first.consentReceiptID).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(receiptOf(eventOf('newsletter')).consentReceiptID).not.toBe(first.consentReceiptID);
    // The id names the decision, not the way the person is named in one export.
    const raw = kantaraReceipt({
      event,
      catalogue,
      principalId: 'raw-user-1',
      controller: CONTROLLER,
    });
    expect(raw.consentReceiptID).toBe(first.consentReceiptID);
  });

  it('says EXPLICIT and sensitive for location, EXPRESSED and not sensitive otherwise', () => {
    const location = receiptOf(eventOf('location'));
    expect(firstPurpose(location).consentType).toBe('EXPLICIT');
    expect(location.sensitive).toBe(true);
    expect(location.spiCat).toEqual(['https://w3id.org/dpv/pd#GPSCoordinate']);

    const newsletter = receiptOf(eventOf('newsletter'));
    expect(firstPurpose(newsletter).consentType).toBe('EXPRESSED');
    expect(newsletter.sensitive).toBe(false);
    expect(newsletter.spiCat).toEqual([]);
  });

  it('keeps EXPLICIT for the confirmation of an explicit purpose, whose event says explicit false', () => {
    const confirmed = eventOf('location', {
      decision: 'confirmed',
      source: 'email-confirmation',
      explicit: false,
    });
    expect(firstPurpose(receiptOf(confirmed)).consentType).toBe('EXPLICIT');
  });

  it('declares third-party disclosure, naming the partners, only for partner sharing', () => {
    for (const purpose of catalogue.purposes) {
      const receiptPurpose = firstPurpose(receiptOf(eventOf(purpose.id)));
      if (purpose.id === 'partner-sharing') {
        expect(receiptPurpose.thirdPartyDisclosure).toBe(true);
        expect(receiptPurpose.thirdPartyName).toBe(purpose.recipients.en);
        expect(receiptPurpose.thirdPartyName).toContain('Atelier Cormier');
      } else {
        // The newsletter's e-mail provider acts for us: a processor, not a third party.
        expect(receiptPurpose.thirdPartyDisclosure).toBe(false);
        expect(receiptPurpose).not.toHaveProperty('thirdPartyName');
      }
    }
  });

  it('describes the purpose from the data map, in the language the person was spoken to in', () => {
    const purpose = catalogue.purposes.find((p) => p.id === 'personalised-offers')!;
    const receipt = receiptOf(eventOf(purpose.id, { locale: 'fr' }));
    expect(receipt.language).toBe('fr');
    expect(receipt.policyUrl).toBe('https://example.com/fr/confidentialite');
    expect(receipt.services[0]!.service).toBe(purpose.title.fr);
    expect(firstPurpose(receipt)).toMatchObject({
      purpose: purpose.explanation.fr,
      purposeCategory: purpose.dpvPurposes,
      piiCategory: ['https://w3id.org/dpv/pd#Purchase', 'https://w3id.org/dpv/pd#UID'],
      termination: purpose.retention.fr,
      primaryPurpose: false,
    });
  });

  it('says how the decision was collected: in the chat, or by the e-mail link', () => {
    expect(receiptOf(eventOf('analytics')).collectionMethod).toBe('chat conversation (webchat)');
    expect(receiptOf(eventOf('newsletter')).collectionMethod).toMatch(
      /^chat conversation \(webchat\), to be confirmed by an e-mail link/,
    );
    const confirmed = eventOf('newsletter', {
      decision: 'confirmed',
      source: 'email-confirmation',
    });
    expect(receiptOf(confirmed).collectionMethod).toBe('e-mail confirmation link (double opt-in)');
  });

  it.each<[Decision]>([['refused'], ['withdrawn'], ['expired']])(
    'refuses a %s event with RangeError: a Kantara receipt documents consent given',
    (decision) => {
      expect(() => receiptOf(eventOf('newsletter', { decision }))).toThrow(RangeError);
    },
  );

  it('refuses with RangeError a purpose the catalogue does not have', () => {
    expect(() => receiptOf(eventOf('no-such-purpose'))).toThrow(RangeError);
  });

  it('lacks the controller address and phone without controller details, and says so', () => {
    const problems = validateKantaraReceipt(receiptOf(eventOf('analytics'), null));
    expect(problems).toEqual([
      'piiControllers[0].address: missing',
      'piiControllers[0].phone: missing',
    ]);
  });
});

describe('validateKantaraReceipt', () => {
  const valid = (): Record<string, unknown> =>
    JSON.parse(JSON.stringify(receiptOf(eventOf('partner-sharing')))) as Record<string, unknown>;

  /** Deletes or replaces the value at a path such as services[0].purposes[0].termination. */
  function edit(receipt: Record<string, unknown>, path: string, value?: unknown): void {
    const keys = path.split(/[.[\]]+/).filter(Boolean);
    const last = keys.pop()!;
    let node: Record<string, unknown> = receipt;
    for (const key of keys) node = node[key] as Record<string, unknown>;
    if (value === undefined) Reflect.deleteProperty(node, last);
    else node[last] = value;
  }

  const REQUIRED = [
    'version',
    'jurisdiction',
    'consentTimestamp',
    'collectionMethod',
    'consentReceiptID',
    'language',
    'piiPrincipalId',
    'piiControllers',
    'piiControllers[0].piiController',
    'piiControllers[0].contact',
    'piiControllers[0].address',
    'piiControllers[0].email',
    'piiControllers[0].phone',
    'policyUrl',
    'services',
    'services[0].service',
    'services[0].purposes',
    'services[0].purposes[0].purpose',
    'services[0].purposes[0].purposeCategory',
    'services[0].purposes[0].consentType',
    'services[0].purposes[0].piiCategory',
    'services[0].purposes[0].primaryPurpose',
    'services[0].purposes[0].termination',
    'services[0].purposes[0].thirdPartyDisclosure',
    'services[0].purposes[0].thirdPartyName',
    'sensitive',
    'spiCat',
  ];

  it('accepts the untouched receipt', () => {
    expect(validateKantaraReceipt(valid())).toEqual([]);
  });

  it.each(REQUIRED.map((path) => [path]))('reports %s when it is removed', (path) => {
    const receipt = valid();
    edit(receipt, path);
    expect(validateKantaraReceipt(receipt)).toEqual([`${path}: missing`]);
  });

  it.each<[string, unknown]>([
    ['version', 'KI-CR-v1.0.0'],
    ['jurisdiction', '  '],
    ['consentTimestamp', 1793611800750.5],
    ['consentTimestamp', '2026-11-02T09:30:00Z'],
    ['consentTimestamp', -1],
    ['language', 'english'],
    ['piiPrincipalId', ''],
    ['piiControllers', []],
    ['piiControllers[0].address', 'a string, not an address object'],
    ['piiControllers[0].address', {}],
    ['piiControllers[0].onBehalf', 'no'],
    ['services', []],
    ['services[0].purposes', []],
    ['services[0].purposes[0].purposeCategory', []],
    ['services[0].purposes[0].piiCategory', ['']],
    ['services[0].purposes[0].primaryPurpose', 'false'],
    ['services[0].purposes[0].thirdPartyName', ''],
    ['sensitive', 'false'],
    ['publicKey', ''],
  ])('reports %s when it is %j', (path, value) => {
    const receipt = valid();
    edit(receipt, path, value);
    const problems = validateKantaraReceipt(receipt);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: must be `));
  });

  it('needs spiCat categories when the receipt says sensitive', () => {
    const receipt = JSON.parse(JSON.stringify(receiptOf(eventOf('location')))) as Record<
      string,
      unknown
    >;
    receipt.spiCat = [];
    expect(validateKantaraReceipt(receipt)).toEqual([
      'spiCat: must be a non-empty array of strings',
    ]);
  });

  it('does not ask for thirdPartyName when nothing is disclosed, nor for optional fields', () => {
    const receipt = JSON.parse(JSON.stringify(receiptOf(eventOf('analytics')))) as Record<
      string,
      unknown
    >;
    edit(receipt, 'piiControllers[0].piiControllerUrl');
    edit(receipt, 'piiControllers[0].onBehalf');
    expect(receipt).not.toHaveProperty('publicKey');
    expect(validateKantaraReceipt(receipt)).toEqual([]);
  });

  it('rejects what is not an object', () => {
    expect(validateKantaraReceipt(null)).toEqual(['receipt: must be a JSON object']);
    expect(validateKantaraReceipt([])).toEqual(['receipt: must be a JSON object']);
  });
});

describe('iso27560Record', () => {
  it.each(catalogue.purposes.map((p) => [p.id]))(
    'carries the DPV IRIs of %s exactly as the data map has them',
    (purposeId) => {
      const purpose = catalogue.purposes.find((p) => p.id === purposeId)!;
      const record = iso27560Record({
        event: eventOf(purposeId),
        catalogue,
        principalId: PSEUDONYM,
      });
      expect(record.processing.purposes).toEqual(purpose.dpvPurposes);
      expect(record.processing.legalBasis).toBe(purpose.legalBasis);
      expect(record.processing.legalBasis).toBe('https://w3id.org/dpv/legal/eu/gdpr#A6-1-a');
      expect(record.processing.personalData.map((d) => d.dpv)).toEqual(
        purpose.dataCategories.map((id) => catalogue.dataCategories.find((c) => c.id === id)!.dpv),
      );
      for (const iri of record.processing.personalData.map((d) => d.dpv)) {
        expect(iri).toMatch(/^https:\/\/w3id\.org\/dpv\/pd#/);
      }
    },
  );

  it('records the notice shown, the versions, the event and a pseudonymous subject', () => {
    const event = eventOf('location');
    const record = iso27560Record({ event, catalogue, principalId: PSEUDONYM });
    expect(record.recordId).toBe(
      iso27560Record({ event, catalogue, principalId: PSEUDONYM }).recordId,
    );
    expect(record.kantaraReceiptId).toBe(receiptOf(event).consentReceiptID);
    expect(record.recordId).not.toBe(record.kantaraReceiptId);
    expect(record.piiPrincipal).toEqual({
      id: PSEUDONYM,
      pseudonymous: true,
      channelId: 'webchat',
    });
    expect(record.notice).toMatchObject({
      hash: event.noticeHash,
      hashAlgorithm: 'sha256',
      purposeVersion: 1,
      catalogueVersion: catalogue.version,
    });
    expect(record.consent).toMatchObject({
      state: 'given',
      status: 'https://w3id.org/dpv#ConsentGiven',
      type: 'https://w3id.org/dpv#ExplicitlyExpressedConsent',
      explicit: true,
    });
    expect(record.events).toEqual([
      expect.objectContaining({
        eventId: event.id,
        timestamp: RECORDED_AT,
        decision: 'given',
        hash: event.hash,
        prevHash: GENESIS_HASH,
      }),
    ]);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.processing.personalData).toEqual([
      {
        category: 'precise-location',
        dpv: 'https://w3id.org/dpv/pd#GPSCoordinate',
        sensitive: true,
      },
    ]);
    expect(record.jurisdiction).toBe('EU');

    const raw = iso27560Record({ event, catalogue, principalId: 'raw-user-1' });
    expect(raw.piiPrincipal.pseudonymous).toBe(false);
  });

  it.each<[Decision, string]>([
    ['refused', 'ConsentRefused'],
    ['withdrawn', 'ConsentWithdrawn'],
    ['expired', 'ConsentExpired'],
  ])('records a %s event with its DPV status and no Kantara receipt', (decision, status) => {
    const record = iso27560Record({
      event: eventOf('newsletter', { decision, source: 'opt-out' }),
      catalogue,
      principalId: PSEUDONYM,
    });
    expect(record.consent.state).toBe(decision);
    expect(record.consent.status).toBe(`https://w3id.org/dpv#${status}`);
    expect(record.kantaraReceiptId).toBeNull();
  });

  it('adds dpv:Share to the operations when data go to third parties', () => {
    const sharing = iso27560Record({
      event: eventOf('partner-sharing'),
      catalogue,
      principalId: PSEUDONYM,
    });
    expect(sharing.processing.thirdPartyDisclosure).toBe(true);
    expect(sharing.processing.operations).toContain('https://w3id.org/dpv#Share');
    const analytics = iso27560Record({
      event: eventOf('analytics'),
      catalogue,
      principalId: PSEUDONYM,
    });
    expect(analytics.processing.operations).not.toContain('https://w3id.org/dpv#Share');
  });
});
