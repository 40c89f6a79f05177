/**
 * The data map: the purposes a company asks consent for, as data a company edits, not code.
 * Every text a customer reads about a purpose comes from here, per locale, versioned with the
 * catalogue so that proof can say exactly what the customer read (GDPR art. 7(1)).
 */

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Sensitivity levels of the reference article's table of data types. */
export const SENSITIVITIES = ['low', 'medium', 'medium-high', 'high', 'very-high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** Kinds of data, each with the sensitivity the reference article gives it. */
export const DATA_KINDS = {
  personal: 'medium',
  financial: 'high',
  location: 'medium-high',
  behavioural: 'medium',
  'special-category': 'very-high',
} as const satisfies Record<string, Sensitivity>;
export type DataKind = keyof typeof DATA_KINDS;

export type LocalisedText = Readonly<Record<Locale, string>>;

export interface DataCategory {
  readonly id: string;
  readonly kind: DataKind;
  readonly label: LocalisedText;
  /** W3C DPV personal-data IRI, e.g. https://w3id.org/dpv/pd#EmailAddress */
  readonly dpv?: string;
}

export interface Purpose {
  /** Stable id, never reused for another purpose: the ledger refers to it forever. */
  readonly id: string;
  /** Bumped by the company whenever the purpose's text or terms change: triggers re-consent. */
  readonly version: number;
  readonly title: LocalisedText;
  /** What the purpose uses and why, in plain language. */
  readonly explanation: LocalisedText;
  /** The plain question asked. */
  readonly question: LocalisedText;
  /** Longer answer to "tell me more". */
  readonly details: LocalisedText;
  readonly dataCategories: readonly string[];
  /** GDPR art. 6 / 9 basis as a DPV IRI, e.g. https://w3id.org/dpv/legal/eu/gdpr#A6-1-a */
  readonly legalBasis: string;
  readonly retention: LocalisedText;
  readonly recipients: LocalisedText;
  /** Art. 9(2)(a) special categories and location need an express statement, not a mere "yes". */
  readonly explicitConsent: boolean;
  /** Channel of contact: e-mail purposes need double opt-in (GDPR art. 7(1) proof of consent). */
  readonly contactChannel?: 'email' | 'sms' | 'none';
  /**
   * For an e-mail purpose, the sentence its double opt-in e-mail uses to say what the person is
   * confirming: a whole sentence per locale, because a title dropped into a shared sentence reads
   * wrong (French agreement) and says too little about what is being agreed to.
   */
  readonly confirmationEmail?: LocalisedText;
  /** Words a customer may use to name this purpose ("stop the newsletter"), per locale. */
  readonly keywords: Readonly<Record<Locale, readonly string[]>>;
  /** W3C DPV purpose IRIs, e.g. https://w3id.org/dpv#DirectMarketing */
  readonly dpvPurposes: readonly string[];
}

/** schema.org PostalAddress property names, as consent receipts (Kantara v1.1) write them. */
export interface PostalAddress {
  readonly streetAddress?: string;
  readonly postalCode?: string;
  readonly addressLocality?: string;
  readonly addressRegion?: string;
  readonly addressCountry?: string;
}

export interface Controller {
  readonly name: string;
  readonly contact: string;
  readonly dpoContact?: string;
  readonly privacyNoticeUrl?: LocalisedText;
  /** Postal address and phone: GDPR art. 13(1)(a) identity and contact details, and receipts. */
  readonly postalAddress?: PostalAddress;
  readonly phone?: string;
  readonly url?: string;
}

/** The data protection authority a person may complain to (GDPR art. 13(2)(d), art. 77). */
export interface SupervisoryAuthority {
  readonly name: LocalisedText;
  /** Where to complain, per locale. */
  readonly url: LocalisedText;
}

export interface Catalogue {
  /** Version of the whole catalogue, e.g. "2026-11-01". */
  readonly version: string;
  readonly controller: Controller;
  readonly supervisoryAuthority: SupervisoryAuthority;
  readonly dataCategories: readonly DataCategory[];
  readonly purposes: readonly Purpose[];
}

export class CatalogueError extends Error {
  readonly code = 'CATALOGUE_INVALID';
}

/** Cross-reference checks that a schema alone cannot express. */
export function checkCatalogue(catalogue: Catalogue): Catalogue {
  const problems: string[] = [];
  const categoryIds = new Set<string>();
  for (const category of catalogue.dataCategories) {
    if (categoryIds.has(category.id))
      problems.push(`data category "${category.id}" is defined twice`);
    categoryIds.add(category.id);
  }
  const purposeIds = new Set<string>();
  for (const purpose of catalogue.purposes) {
    if (purposeIds.has(purpose.id)) problems.push(`purpose "${purpose.id}" is defined twice`);
    purposeIds.add(purpose.id);
    for (const id of purpose.dataCategories) {
      if (!categoryIds.has(id))
        problems.push(`purpose "${purpose.id}" uses unknown data category "${id}"`);
    }
    if (purpose.contactChannel === 'email' && !purpose.confirmationEmail) {
      problems.push(
        `purpose "${purpose.id}" is sent by e-mail and needs confirmationEmail (the sentence its confirmation e-mail shows, in every language)`,
      );
    }
    const kinds = purpose.dataCategories.map((id) => categoryOf(catalogue, id)?.kind);
    const needsExplicit = kinds.includes('special-category') || kinds.includes('location');
    if (needsExplicit && !purpose.explicitConsent) {
      problems.push(
        `purpose "${purpose.id}" uses location or special-category data and must set explicitConsent`,
      );
    }
  }
  if (catalogue.purposes.length === 0) problems.push('the catalogue has no purpose');
  if (problems.length > 0) throw new CatalogueError(`Invalid catalogue: ${problems.join('; ')}`);
  return catalogue;
}

export function categoryOf(catalogue: Catalogue, id: string): DataCategory | undefined {
  return catalogue.dataCategories.find((c) => c.id === id);
}

export function purposeOf(catalogue: Catalogue, id: string): Purpose | undefined {
  return catalogue.purposes.find((p) => p.id === id);
}

const SENSITIVITY_ORDER: readonly Sensitivity[] = SENSITIVITIES;

/** The highest sensitivity among the data a purpose uses. */
export function sensitivityOf(catalogue: Catalogue, purpose: Purpose): Sensitivity {
  let highest = 0;
  for (const id of purpose.dataCategories) {
    const category = categoryOf(catalogue, id);
    if (category) highest = Math.max(highest, SENSITIVITY_ORDER.indexOf(DATA_KINDS[category.kind]));
  }
  return SENSITIVITY_ORDER[highest] ?? 'low';
}
