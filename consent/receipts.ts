import { createHash } from 'node:crypto';
import {
  categoryOf,
  purposeOf,
  type Catalogue,
  type DataCategory,
  type PostalAddress,
  type Purpose,
} from './catalogue.js';
import { needsDoubleOptIn, type ConsentEvent, type Decision } from './ledger.js';

/**
 * Consent receipts: one decision of the ledger, exported in two standard shapes.
 *
 * - A Kantara Initiative Consent Receipt v1.1 JSON (`kantaraReceipt`), the record of authority a
 *   person gave, which can be handed to them or to an auditor; `validateKantaraReceipt` checks the
 *   fields the specification makes mandatory.
 * - An ISO/IEC TS 27560:2023-shaped consent record (`iso27560Record`), tagged with W3C DPV IRIs,
 *   for any decision (given, confirmed, refused, withdrawn, expired).
 *
 * Both are pure functions of the event and the data map: exporting the same event twice gives the
 * same document, identifiers included (GDPR art. 7(1): proof must be reproducible, not re-invented).
 */

export const KANTARA_VERSION = 'KI-CR-v1.1.0';
export const ISO_27560_SCHEMA = 'ISO/IEC TS 27560:2023; consent-bot profile 1';

/** The data map's legal bases are all GDPR ones (eu-gdpr IRIs): the Union is the jurisdiction. */
export const DEFAULT_JURISDICTION = 'EU';

const DPV = 'https://w3id.org/dpv#';

/** A postal address as Kantara v1.1 writes it: the data map's own type. */
export type KantaraAddress = PostalAddress;

/**
 * What Kantara requires of the controller beyond name and contact (address, phone), from the data
 * map's controller. Without it the receipt lacks those fields and `validateKantaraReceipt` says so.
 */
export interface ControllerDetails {
  readonly address: KantaraAddress;
  readonly phone: string;
  /** The controller's web site (piiControllerUrl, optional in Kantara). */
  readonly url?: string;
}

/**
 * Kantara v1.1 uses "EXPLICIT" in its own example. For a plain, unambiguous "yes" to a clear
 * question (GDPR art. 4(11)) we say "EXPRESSED", the Kantara drafts' word for consent given by an
 * affirmative act, never "IMPLICIT": nothing in this bot is implied consent (no silence, no
 * pre-ticked box), and a receipt must not suggest otherwise. "EXPLICIT" is kept for the express
 * statement that art. 9(2)(a) and location data need.
 */
export type KantaraConsentType = 'EXPLICIT' | 'EXPRESSED';

export interface KantaraPiiController {
  readonly piiController: string;
  readonly onBehalf: boolean;
  readonly contact: string;
  readonly address?: KantaraAddress;
  readonly email?: string;
  readonly phone?: string;
  readonly piiControllerUrl?: string;
}

export interface KantaraPurpose {
  readonly purpose: string;
  readonly purposeCategory: readonly string[];
  readonly consentType: KantaraConsentType;
  readonly piiCategory: readonly string[];
  readonly primaryPurpose: boolean;
  readonly termination: string;
  readonly thirdPartyDisclosure: boolean;
  readonly thirdPartyName?: string;
}

export interface KantaraService {
  readonly service: string;
  readonly purposes: readonly KantaraPurpose[];
}

export interface KantaraReceipt {
  readonly version: typeof KANTARA_VERSION;
  readonly jurisdiction: string;
  /** Seconds since the epoch, as Kantara (like JWT) counts. */
  readonly consentTimestamp: number;
  readonly collectionMethod: string;
  readonly consentReceiptID: string;
  readonly language: string;
  readonly piiPrincipalId: string;
  readonly piiControllers: readonly KantaraPiiController[];
  readonly policyUrl?: string;
  readonly services: readonly KantaraService[];
  readonly sensitive: boolean;
  readonly spiCat: readonly string[];
}

export interface ReceiptInput {
  readonly event: ConsentEvent;
  readonly catalogue: Catalogue;
  /**
   * What the person is known as to the controller. Callers pass the ledger's pseudonym
   * (`event.subject.userId`) for proof kept or handed to an auditor, or the raw channel id when
   * the receipt goes to the person themself.
   */
  readonly principalId: string;
  /** Defaults to DEFAULT_JURISDICTION. */
  readonly jurisdiction?: string;
  readonly controller?: ControllerDetails;
}

/** Decisions a Kantara receipt can document: those by which a person gave consent. */
export const RECEIPT_DECISIONS: readonly Decision[] = ['given', 'confirmed'];

export function hasKantaraReceipt(event: ConsentEvent): boolean {
  return RECEIPT_DECISIONS.includes(event.decision);
}

/**
 * UUID version 5 (RFC 9562: SHA-1 of a namespace and a name): the same event always gets the same
 * receipt id, and the id reveals nothing of the event it was derived from.
 */
const NAMESPACE = Buffer.from('f68325f83da441cc9b71673170cc5a86', 'hex');

function uuidV5(name: string): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const receiptIdOf = (event: ConsentEvent): string => uuidV5(`kantara-receipt|${event.id}`);
export const recordIdOf = (event: ConsentEvent): string => uuidV5(`iso27560-record|${event.id}`);

/** Location and special-category data need an express statement; they are the sensitive ones. */
const isSensitive = (category: DataCategory): boolean =>
  category.kind === 'special-category' || category.kind === 'location';

/**
 * DPV purposes that mean the data leave the controller for a third party. Recipients that act on
 * the controller's behalf (an e-mail provider, a host) are processors, not third parties (GDPR art.
 * 4(10)), and the recipients text is prose we cannot parse reliably; so disclosure is read from
 * the purpose's DPV tags, which the company sets in the data map.
 */
const THIRD_PARTY_PURPOSES = new Set([
  `${DPV}SellDataToThirdParties`,
  `${DPV}SellInsightsFromData`,
]);

export function disclosesToThirdParties(purpose: Purpose): boolean {
  return purpose.dpvPurposes.some(
    (iri) => THIRD_PARTY_PURPOSES.has(iri) || (iri.startsWith(DPV) && /ThirdPart/.test(iri)),
  );
}

function purposeFor(catalogue: Catalogue, event: ConsentEvent): Purpose {
  const purpose = purposeOf(catalogue, event.purposeId);
  if (!purpose) {
    throw new RangeError(`the catalogue has no purpose "${event.purposeId}"`);
  }
  return purpose;
}

function categoriesOf(catalogue: Catalogue, purpose: Purpose): readonly DataCategory[] {
  return purpose.dataCategories.flatMap((id) => {
    const category = categoryOf(catalogue, id);
    return category ? [category] : [];
  });
}

/** The DPV IRI when the data map gives one, otherwise the category's name in the person's language. */
const categoryTag = (category: DataCategory, event: ConsentEvent): string =>
  category.dpv ?? category.label[event.locale];

/** How the decision reached us, in words, for Kantara's collectionMethod. */
export function collectionMethodOf(event: ConsentEvent, purpose: Purpose): string {
  switch (event.source) {
    case 'conversation':
      return event.decision === 'given' && needsDoubleOptIn(purpose)
        ? `chat conversation (${event.channelId}), to be confirmed by an e-mail link (double opt-in)`
        : `chat conversation (${event.channelId})`;
    case 'email-confirmation':
      return 'e-mail confirmation link (double opt-in)';
    case 'api':
      return 'HTTP API, on the person’s request to an authorised operator';
    case 'opt-out':
      return `stop request in a chat conversation (${event.channelId})`;
    case 'email-unsubscribe':
      return 'one-click unsubscribe link in an e-mail (RFC 8058)';
    case 'expiry':
      return 'e-mail confirmation link left unopened until it expired';
  }
}

/**
 * A confirmation (double opt-in) confirms the address, so its event says `explicit: false`; the
 * statement itself was in the `given` it confirms, which the conversation records only after an
 * express statement when the purpose requires one. Hence the purpose's flag counts too.
 */
const consentTypeOf = (event: ConsentEvent, purpose: Purpose): KantaraConsentType =>
  event.explicit || purpose.explicitConsent ? 'EXPLICIT' : 'EXPRESSED';

const emailLike = (value: string | undefined): value is string =>
  typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value);

/**
 * The Kantara Consent Receipt v1.1 of one decision by which consent was given.
 *
 * Only `given` and `confirmed` events have one: a Kantara receipt records the authority a person
 * granted and has no field for a refusal, a withdrawal or an expiry, so a "receipt" of one would
 * read as a grant. Those are in the ISO 27560 record (`iso27560Record`), which has a state.
 * Throws RangeError for them, and for a purpose the catalogue no longer has.
 *
 * Field by field:
 * - consentReceiptID: UUID v5 of the event id (stable across exports);
 * - consentTimestamp: when the ledger recorded the decision, in whole seconds;
 * - language: the language the person was spoken to in (ISO 639-1);
 * - piiControllers: the data map's controller; `contact` is its privacy contact, `email` the first
 *   e-mail address among contact and DPO contact; address, phone and URL come from `controller`;
 * - policyUrl: the privacy notice of the data map, in the person's language;
 * - services: one service (the purpose's title) with one purpose (its explanation), tagged with
 *   the purpose's DPV purposes (purposeCategory) and its data categories' DPV IRIs (piiCategory);
 * - primaryPurpose: false, since every purpose of the data map is optional (saying no changes
 *   nothing), so none is the primary purpose of collection;
 * - termination: the purpose's retention text; thirdPartyDisclosure: `disclosesToThirdParties`,
 *   and then thirdPartyName is the purpose's recipients text, which names them;
 * - sensitive / spiCat: location and special-category data, by their DPV IRIs.
 */
export function kantaraReceipt(input: ReceiptInput): KantaraReceipt {
  const { event, catalogue, controller } = input;
  if (!hasKantaraReceipt(event)) {
    throw new RangeError(
      `a Kantara receipt documents consent given; this event records "${event.decision}"`,
    );
  }
  const purpose = purposeFor(catalogue, event);
  const categories = categoriesOf(catalogue, purpose);
  const sensitive = categories.filter(isSensitive);
  const thirdParty = disclosesToThirdParties(purpose);
  const owner = catalogue.controller;
  const email = [owner.contact, owner.dpoContact].find(emailLike);
  const policyUrl = owner.privacyNoticeUrl?.[event.locale];
  return {
    version: KANTARA_VERSION,
    jurisdiction: input.jurisdiction ?? DEFAULT_JURISDICTION,
    consentTimestamp: Math.floor(Date.parse(event.recordedAt) / 1000),
    collectionMethod: collectionMethodOf(event, purpose),
    consentReceiptID: receiptIdOf(event),
    language: event.locale,
    piiPrincipalId: input.principalId,
    piiControllers: [
      {
        piiController: owner.name,
        onBehalf: false,
        contact: owner.contact,
        ...(controller ? { address: controller.address } : {}),
        ...(email ? { email } : {}),
        ...(controller ? { phone: controller.phone } : {}),
        ...(controller?.url ? { piiControllerUrl: controller.url } : {}),
      },
    ],
    ...(policyUrl ? { policyUrl } : {}),
    services: [
      {
        service: purpose.title[event.locale],
        purposes: [
          {
            purpose: purpose.explanation[event.locale],
            purposeCategory: [...purpose.dpvPurposes],
            consentType: consentTypeOf(event, purpose),
            piiCategory: categories.map((c) => categoryTag(c, event)),
            primaryPurpose: false,
            termination: purpose.retention[event.locale],
            thirdPartyDisclosure: thirdParty,
            ...(thirdParty ? { thirdPartyName: purpose.recipients[event.locale] } : {}),
          },
        ],
      },
    ],
    sensitive: sensitive.length > 0,
    spiCat: sensitive.map((c) => categoryTag(c, event)),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation against Kantara v1.1's mandatory fields.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): boolean =>
  typeof value === 'string' && value.trim().length > 0;

/**
 * The problems of a receipt, one string per missing or invalid mandatory field, each starting
 * with the field's path (`services[0].purposes[0].termination: missing`). Empty when valid.
 *
 * Mandatory: version (this version's value), jurisdiction, consentTimestamp (integer seconds),
 * collectionMethod, consentReceiptID, language (ISO 639-1), piiPrincipalId, piiControllers (at
 * least one, each with piiController, contact, address, email, phone), policyUrl, services (at
 * least one, each with service and at least one purpose with purpose, purposeCategory,
 * consentType, piiCategory, primaryPurpose, termination, thirdPartyDisclosure, and
 * thirdPartyName when disclosing), sensitive, spiCat (not empty when sensitive).
 * Optional, checked only when present: publicKey, onBehalf, piiControllerUrl.
 */
export function validateKantaraReceipt(receipt: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(receipt)) return ['receipt: must be a JSON object'];

  const check = (path: string, value: unknown, ok: boolean, expected: string): void => {
    if (value === undefined || value === null) problems.push(`${path}: missing`);
    else if (!ok) problems.push(`${path}: must be ${expected}`);
  };
  const text = (path: string, value: unknown): void => {
    check(path, value, nonEmptyString(value), 'a non-empty string');
  };
  const flag = (path: string, value: unknown): void => {
    check(path, value, typeof value === 'boolean', 'true or false');
  };
  const texts = (path: string, value: unknown, nonEmpty: boolean): void => {
    const ok =
      Array.isArray(value) && (!nonEmpty || value.length > 0) && value.every(nonEmptyString);
    check(path, value, ok, nonEmpty ? 'a non-empty array of strings' : 'an array of strings');
  };
  /** A non-empty array whose items are objects; returns them for deeper checks. */
  const objects = (path: string, value: unknown): readonly unknown[] => {
    const ok = Array.isArray(value) && value.length > 0;
    check(path, value, ok, 'a non-empty array');
    return ok ? value : [];
  };

  check('version', receipt.version, receipt.version === KANTARA_VERSION, `"${KANTARA_VERSION}"`);
  text('jurisdiction', receipt.jurisdiction);
  check(
    'consentTimestamp',
    receipt.consentTimestamp,
    Number.isSafeInteger(receipt.consentTimestamp) && (receipt.consentTimestamp as number) >= 0,
    'whole seconds since the epoch',
  );
  text('collectionMethod', receipt.collectionMethod);
  text('consentReceiptID', receipt.consentReceiptID);
  if (receipt.publicKey !== undefined) text('publicKey', receipt.publicKey);
  check(
    'language',
    receipt.language,
    typeof receipt.language === 'string' && /^[a-z]{2}$/i.test(receipt.language),
    'an ISO 639-1 two-letter code',
  );
  text('piiPrincipalId', receipt.piiPrincipalId);

  objects('piiControllers', receipt.piiControllers).forEach((item, i) => {
    const path = `piiControllers[${i}]`;
    if (!isObject(item)) {
      problems.push(`${path}: must be an object`);
      return;
    }
    text(`${path}.piiController`, item.piiController);
    if (item.onBehalf !== undefined) flag(`${path}.onBehalf`, item.onBehalf);
    text(`${path}.contact`, item.contact);
    check(
      `${path}.address`,
      item.address,
      isObject(item.address) && Object.values(item.address).some(nonEmptyString),
      'a postal address object',
    );
    text(`${path}.email`, item.email);
    text(`${path}.phone`, item.phone);
    if (item.piiControllerUrl !== undefined)
      text(`${path}.piiControllerUrl`, item.piiControllerUrl);
  });
  text('policyUrl', receipt.policyUrl);

  objects('services', receipt.services).forEach((service, s) => {
    const path = `services[${s}]`;
    if (!isObject(service)) {
      problems.push(`${path}: must be an object`);
      return;
    }
    text(`${path}.service`, service.service);
    objects(`${path}.purposes`, service.purposes).forEach((purpose, p) => {
      const at = `${path}.purposes[${p}]`;
      if (!isObject(purpose)) {
        problems.push(`${at}: must be an object`);
        return;
      }
      text(`${at}.purpose`, purpose.purpose);
      texts(`${at}.purposeCategory`, purpose.purposeCategory, true);
      text(`${at}.consentType`, purpose.consentType);
      texts(`${at}.piiCategory`, purpose.piiCategory, true);
      flag(`${at}.primaryPurpose`, purpose.primaryPurpose);
      text(`${at}.termination`, purpose.termination);
      flag(`${at}.thirdPartyDisclosure`, purpose.thirdPartyDisclosure);
      if (purpose.thirdPartyDisclosure === true)
        text(`${at}.thirdPartyName`, purpose.thirdPartyName);
    });
  });

  flag('sensitive', receipt.sensitive);
  texts('spiCat', receipt.spiCat, receipt.sensitive === true);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC TS 27560:2023-shaped record.

/** DPV consent statuses, by ledger decision. */
const DPV_STATUS: Record<Decision, string> = {
  given: `${DPV}ConsentGiven`,
  confirmed: `${DPV}ConsentGiven`,
  refused: `${DPV}ConsentRefused`,
  withdrawn: `${DPV}ConsentWithdrawn`,
  // The double opt-in link was never opened: the consent never took effect and has lapsed.
  expired: `${DPV}ConsentExpired`,
};

export interface Iso27560Record {
  readonly schemaVersion: typeof ISO_27560_SCHEMA;
  readonly recordId: string;
  /** The Kantara receipt of the same decision, when it has one. */
  readonly kantaraReceiptId: string | null;
  readonly piiPrincipal: {
    readonly id: string;
    /** True when the id is the ledger's own keyed pseudonym, not a raw channel id. */
    readonly pseudonymous: boolean;
    readonly channelId: string;
  };
  readonly piiControllers: readonly {
    readonly name: string;
    readonly contact: string;
    readonly dpoContact?: string;
    readonly url?: string;
  }[];
  readonly jurisdiction: string;
  readonly processing: {
    readonly purposeId: string;
    readonly purposeVersion: number;
    readonly title: string;
    readonly description: string;
    /** The purpose's DPV purpose IRIs, exactly as in the data map. */
    readonly purposes: readonly string[];
    readonly personalData: readonly {
      readonly category: string;
      /** The data map's DPV personal-data IRI (pd:), exactly; null when it gives none. */
      readonly dpv: string | null;
      readonly sensitive: boolean;
    }[];
    /** The data map's legal basis IRI (eu-gdpr), exactly. */
    readonly legalBasis: string;
    readonly operations: readonly string[];
    readonly recipients: string;
    readonly thirdPartyDisclosure: boolean;
    readonly retention: string;
  };
  readonly consent: {
    readonly state: Decision;
    /** DPV ConsentStatus IRI of the state. */
    readonly status: string;
    /** DPV consent type the purpose asks for: ExplicitlyExpressedConsent or ExpressedConsent. */
    readonly type: string;
    /** As the ledger says: whether this very event carried an express statement. */
    readonly explicit: boolean;
    readonly collectionMethod: string;
    readonly language: string;
  };
  readonly notice: {
    /** sha256 (NFC) of the exact text shown; null for decisions made without one (a link). */
    readonly hash: string | null;
    readonly hashAlgorithm: 'sha256';
    readonly purposeVersion: number;
    readonly catalogueVersion: string;
    readonly privacyNoticeUrl: string | null;
  };
  readonly events: readonly {
    readonly eventId: string;
    readonly seq: number;
    readonly decision: Decision;
    readonly timestamp: string;
    readonly source: string;
    readonly channelId: string;
    readonly conversationId: string;
    readonly activityId: string;
    /** The event's place in the subject's hash chain (consent/chain.ts): checkable proof. */
    readonly hash: string;
    readonly prevHash: string;
  }[];
}

/**
 * An ISO/IEC TS 27560-shaped consent record of one ledger event, for any decision. How its parts
 * map onto the information structure of the standard:
 *
 * | standard                           | here                                                        |
 * | ---------------------------------- | ----------------------------------------------------------- |
 * | schema version, record identifier  | schemaVersion; recordId (UUID v5 of the event id)           |
 * | PII principal (data subject)       | piiPrincipal: the id given, pseudonymous when it is the     |
 * |                                    | ledger's own key (the ledger never holds raw ids)           |
 * | PII controller(s)                  | piiControllers: the data map's controller                   |
 * | purposes                           | processing.purposes: the data map's DPV purpose IRIs        |
 * | PII categories                     | processing.personalData: the DPV pd: IRIs, with sensitivity |
 * | legal basis                        | processing.legalBasis: the eu-gdpr IRI of the data map      |
 * | processing operations              | processing.operations: dpv:Collect, Store, Use (+ Share     |
 * |                                    | when disclosed to third parties)                            |
 * | recipients / third-party transfer  | processing.recipients (text), thirdPartyDisclosure          |
 * | retention / storage duration       | processing.retention (text, in the person's language)       |
 * | consent state, type, method        | consent.state (ledger decision), consent.status (DPV        |
 * |                                    | ConsentStatus IRI), consent.type (DPV ExpressedConsent or   |
 * |                                    | ExplicitlyExpressedConsent), collectionMethod, language     |
 * | notice / privacy notice reference  | notice: hash of the exact text shown, purpose and catalogue |
 * |                                    | versions, privacy notice URL                                |
 * | event(s) with timestamps           | events: this event, with time, channel, conversation and    |
 * |                                    | activity ids that tie it to the transcript, and its hash    |
 * |                                    | and prevHash in the subject's chain (record integrity)      |
 * | jurisdiction                       | jurisdiction                                                |
 *
 * A `confirmed` event has no notice hash: the text was shown at the `given` it confirms, whose own
 * record carries it. Texts describe the purpose as the current data map has it; when the event's
 * purposeVersion is older, the exact words shown are those archived under notice.hash.
 */
export function iso27560Record(input: ReceiptInput): Iso27560Record {
  const { event, catalogue } = input;
  const purpose = purposeFor(catalogue, event);
  const thirdParty = disclosesToThirdParties(purpose);
  const owner = catalogue.controller;
  return {
    schemaVersion: ISO_27560_SCHEMA,
    recordId: recordIdOf(event),
    kantaraReceiptId: hasKantaraReceipt(event) ? receiptIdOf(event) : null,
    piiPrincipal: {
      id: input.principalId,
      pseudonymous: input.principalId === event.subject.userId,
      channelId: event.subject.channelId,
    },
    piiControllers: [
      {
        name: owner.name,
        contact: owner.contact,
        ...(owner.dpoContact ? { dpoContact: owner.dpoContact } : {}),
        ...(input.controller?.url ? { url: input.controller.url } : {}),
      },
    ],
    jurisdiction: input.jurisdiction ?? DEFAULT_JURISDICTION,
    processing: {
      purposeId: purpose.id,
      purposeVersion: event.purposeVersion,
      title: purpose.title[event.locale],
      description: purpose.explanation[event.locale],
      purposes: [...purpose.dpvPurposes],
      personalData: categoriesOf(catalogue, purpose).map((c) => ({
        category: c.id,
        dpv: c.dpv ?? null,
        sensitive: isSensitive(c),
      })),
      legalBasis: purpose.legalBasis,
      operations: [
        `${DPV}Collect`,
        `${DPV}Store`,
        `${DPV}Use`,
        ...(thirdParty ? [`${DPV}Share`] : []),
      ],
      recipients: purpose.recipients[event.locale],
      thirdPartyDisclosure: thirdParty,
      retention: purpose.retention[event.locale],
    },
    consent: {
      state: event.decision,
      status: DPV_STATUS[event.decision],
      type:
        consentTypeOf(event, purpose) === 'EXPLICIT'
          ? `${DPV}ExplicitlyExpressedConsent`
          : `${DPV}ExpressedConsent`,
      explicit: event.explicit,
      collectionMethod: collectionMethodOf(event, purpose),
      language: event.locale,
    },
    notice: {
      hash: event.noticeHash,
      hashAlgorithm: 'sha256',
      purposeVersion: event.purposeVersion,
      catalogueVersion: event.catalogueVersion,
      privacyNoticeUrl: owner.privacyNoticeUrl?.[event.locale] ?? null,
    },
    events: [
      {
        eventId: event.id,
        seq: event.seq,
        decision: event.decision,
        timestamp: event.recordedAt,
        source: event.source,
        channelId: event.channelId,
        conversationId: event.conversationId,
        activityId: event.activityId,
        hash: event.hash,
        prevHash: event.prevHash,
      },
    ],
  };
}

/** The controller details a Kantara receipt needs, from the data map when it has them. */
export function controllerDetailsOf(catalogue: Catalogue): ControllerDetails | undefined {
  const { postalAddress, phone, url } = catalogue.controller;
  return postalAddress && phone
    ? { address: postalAddress, phone, ...(url ? { url } : {}) }
    : undefined;
}
