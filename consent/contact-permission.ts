import type { Purpose } from './catalogue.js';
import type { PurposeStatus } from './ledger.js';

/**
 * Why a person may, or may not, be contacted for a purpose right now. Marketing systems ask before
 * sending (GDPR art. 21(3)), and the answer says why not so they can tell "ask later" (pending,
 * no consent) from "never" (suppressed, withdrawn).
 */
export const CONTACT_PERMISSION_REASONS = [
  'granted',
  'suppressed',
  'notice-changed',
  'pending-confirmation',
  'withdrawn',
  'refused',
  'no-consent',
  'unknown-purpose',
] as const;
export type ContactPermissionReason = (typeof CONTACT_PERMISSION_REASONS)[number];

export interface ContactPermission {
  readonly allowed: boolean;
  readonly reason: ContactPermissionReason;
}

export interface ContactPermissionFacts {
  /** The purpose as the catalogue has it; undefined when the catalogue has no such purpose. */
  readonly purpose: Purpose | undefined;
  /** Its current status for the person (deriveStatuses); undefined when nothing was decided. */
  readonly status: PurposeStatus | undefined;
  /** Whether any identifier of the person is on the suppression list. */
  readonly suppressed: boolean;
}

/**
 * Allowed only when consent is granted (given and, for e-mail, confirmed) and the person is not
 * suppressed. Suppression wins over everything (art. 17, 21(3)): an erased or re-imported person
 * whose ledger still says "granted", or who appears under a purpose we do not know, is never
 * contacted. Everything not granted is a no; the reason only says which no.
 */
export function contactPermission(facts: ContactPermissionFacts): ContactPermission {
  const { purpose, status, suppressed } = facts;
  if (suppressed) return { allowed: false, reason: 'suppressed' };
  if (!purpose) return { allowed: false, reason: 'unknown-purpose' };
  if (status && status.purposeId !== purpose.id) {
    throw new RangeError('contactPermission: the status is about another purpose');
  }
  switch (status?.status) {
    case 'granted':
      // A new version of the notice changed what was agreed to; until the person
      // consents again, the old yes does not cover it.
      if ((status.event?.purposeVersion ?? purpose.version) < purpose.version) {
        return { allowed: false, reason: 'notice-changed' };
      }
      return { allowed: true, reason: 'granted' };
    case 'pending':
      return { allowed: false, reason: 'pending-confirmation' };
    case 'withdrawn':
      return { allowed: false, reason: 'withdrawn' };
    case 'refused':
      return { allowed: false, reason: 'refused' };
    case 'unknown':
    case undefined:
      return { allowed: false, reason: 'no-consent' };
  }
}
