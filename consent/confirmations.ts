import { createHash, randomBytes } from 'node:crypto';
import { isLocale, type Locale } from './catalogue.js';
import type { Subject } from './subject.js';
import { isCanonicalIso } from './suppression.js';

/**
 * Double opt-in for e-mail purposes: the purpose stays pending until the person opens the link sent
 * to the address they gave. Only the SHA-256 of the link's token is stored, so a copy of the store
 * cannot confirm anyone; a token works once and expires (default 48 h, see config).
 */
export interface PendingConfirmation {
  /** sha256 hex of the token in the link; the token itself is never stored. */
  readonly tokenHash: string;
  readonly subject: Subject;
  readonly purposeId: string;
  readonly email: string;
  readonly locale: Locale;
  /** ISO 8601 as `Date#toISOString` writes it. */
  readonly createdAt: string;
  /** ISO 8601 as `Date#toISOString` writes it; the token is dead from this instant on. */
  readonly expiresAt: string;
}

export interface PendingConfirmations {
  /**
   * Stores a pending confirmation, durable when the promise resolves. A token hash that is already
   * pending is refused with RangeError (tokens are random: a repeat is a bug, not a retry).
   */
  create(confirmation: PendingConfirmation): Promise<void>;
  /**
   * Takes the confirmation out, atomically: of any number of concurrent callers with one token,
   * exactly one gets it and the others get undefined. A token at or past its expiry is not
   * returned (and stays until `takeExpired`).
   */
  consume(tokenHash: string, now: Date): Promise<PendingConfirmation | undefined>;
  /**
   * Retention: takes out up to `limit` confirmations whose expiry is at or before now, oldest
   * expiry first, and hands them back, so that each becomes an `expired` event in the ledger (rule
   * 5). Like `consume`, each confirmation goes to exactly one caller: of concurrent `takeExpired`
   * and `consume` calls, one and only one gets it. A caller that cannot record what it took must
   * `create` it again, or the expiry is lost. RangeError unless limit is a whole number from 1.
   */
  takeExpired(now: Date, limit?: number): Promise<readonly PendingConfirmation[]>;
  /**
   * Removes the person's pending confirmations, of the purposes given or of every purpose, and
   * says how many went: erasure (GDPR art. 17) takes them all; a withdrawal (art. 7(3)) revokes
   * the links mailed for what it withdraws, so a link from before a stop cannot undo it.
   */
  deleteForSubject(subject: Subject, purposeIds?: readonly string[]): Promise<number>;
}

/** How many expired confirmations one `takeExpired` call hands back unless told otherwise. */
export const DEFAULT_TAKE_EXPIRED_LIMIT = 500;

/** Checks `takeExpired`'s limit, the same way on every backend. */
export function checkTakeLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError('confirmation: limit must be a whole number from 1');
  }
  return limit;
}

/** How long a confirmation link works unless config says otherwise. */
export const DEFAULT_CONFIRMATION_TTL_MS = 48 * 60 * 60 * 1000;

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The hash under which a token is stored and looked up. */
export function hashConfirmationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh token for a confirmation link (256 random bits, base64url) and the hash to store. */
export function newConfirmationToken(): { token: string; tokenHash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: hashConfirmationToken(token) };
}

/**
 * Whether a string from a link can be one of our tokens: lets the confirmation page answer "this
 * link is not valid" without a store round trip for garbage.
 */
export function isConfirmationToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * A pending confirmation for a purpose, expiring `ttlMs` after `now`, and the token to put in the
 * link (the only copy of it: it goes into the e-mail and nowhere else).
 */
export function pendingConfirmationOf(
  fields: Omit<PendingConfirmation, 'tokenHash' | 'createdAt' | 'expiresAt'>,
  now: Date,
  ttlMs: number = DEFAULT_CONFIRMATION_TTL_MS,
): { token: string; confirmation: PendingConfirmation } {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError('confirmation: ttlMs must be a positive whole number of milliseconds');
  }
  const { token, tokenHash } = newConfirmationToken();
  return {
    token,
    confirmation: {
      ...fields,
      tokenHash,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    },
  };
}

/**
 * Checks a confirmation before it is stored, so every backend refuses the same things
 * (RangeError): a token hash that is not a SHA-256 hex digest (the raw token must never be
 * stored), dates that are not canonical ISO strings (they are compared as strings by some
 * backends), an expiry not after creation, an unknown locale, empty ids.
 */
export function checkPendingConfirmation(confirmation: PendingConfirmation): void {
  if (!HASH_PATTERN.test(confirmation.tokenHash)) {
    throw new RangeError('confirmation: tokenHash must be 64 lower-case hex characters');
  }
  if (!isCanonicalIso(confirmation.createdAt) || !isCanonicalIso(confirmation.expiresAt)) {
    throw new RangeError('confirmation: dates must be ISO strings as toISOString writes them');
  }
  if (confirmation.expiresAt <= confirmation.createdAt) {
    throw new RangeError('confirmation: expiresAt must be after createdAt');
  }
  if (!isLocale(confirmation.locale)) throw new RangeError('confirmation: unknown locale');
  if (
    !confirmation.subject.channelId ||
    !confirmation.subject.userId ||
    !confirmation.purposeId ||
    !confirmation.email
  ) {
    throw new RangeError('confirmation: subject, purposeId and email are required');
  }
}
