import type { Subject } from './subject.js';
import { isCanonicalIso } from './suppression.js';

/**
 * An e-mail address the person proved they own by opening a double opt-in link. It is what a stop
 * is confirmed to (the reference article asks for it) and what a later e-mail purpose can reuse
 * without asking again. It is personal data: erasure deletes it (GDPR art. 17), access exports it
 * (art. 15).
 */
export interface VerifiedAddress {
  readonly email: string;
  /** ISO 8601 as `Date#toISOString` writes it: when the link was opened. */
  readonly verifiedAt: string;
}

/**
 * One verified address per subject. The port does not care which subject it is given; the bot
 * files addresses under the subject its confirmations carry (the ledger's pseudonymous one).
 */
export interface ContactAddresses {
  /**
   * Keeps this address for the subject, replacing any earlier one (the last verified address is
   * the one to write to), durable when the promise resolves. RangeError for a bad address.
   */
  set(subject: Subject, address: VerifiedAddress): Promise<void>;
  /** The subject's verified address, or undefined. */
  get(subject: Subject): Promise<VerifiedAddress | undefined>;
  /** Erasure: removes the subject's address; true if there was one. Idempotent. */
  delete(subject: Subject): Promise<boolean>;
}

/** RFC 5321: a path is at most 256 octets, so an address is at most 254 characters. */
const MAX_EMAIL_LENGTH = 254;

/** Checks a subject's ids, the same way on every backend (RangeError). */
export function checkAddressSubject(subject: Subject): void {
  if (
    typeof subject.channelId !== 'string' ||
    typeof subject.userId !== 'string' ||
    subject.channelId === '' ||
    subject.userId === ''
  ) {
    throw new RangeError('contact address: subject channelId and userId must be non-empty');
  }
}

/**
 * Checks an address before it is stored, so every backend refuses the same things (RangeError):
 * something that is not an address at all, a date that is not a canonical ISO string.
 */
export function checkVerifiedAddress(subject: Subject, address: VerifiedAddress): void {
  checkAddressSubject(subject);
  const { email, verifiedAt } = address;
  const at = typeof email === 'string' ? email.lastIndexOf('@') : -1;
  if (
    typeof email !== 'string' ||
    email.length > MAX_EMAIL_LENGTH ||
    email.trim() !== email ||
    at < 1 ||
    at === email.length - 1
  ) {
    throw new RangeError('contact address: email must look like local@domain');
  }
  if (typeof verifiedAt !== 'string' || !isCanonicalIso(verifiedAt)) {
    throw new RangeError('contact address: verifiedAt must be an ISO string as toISOString writes');
  }
}
