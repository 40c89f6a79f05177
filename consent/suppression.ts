import { createHmac } from 'node:crypto';
import { subjectKey, type Subject } from './subject.js';

/**
 * The suppression list: who must never be contacted again, kept without keeping who they are.
 * GDPR art. 17 erases the person's data, art. 21(3) says their data is no longer processed for
 * direct marketing; a keyed hash of each identifier lets a re-imported contact be recognised and
 * blocked while the list itself names nobody.
 */
export const SUPPRESSION_KINDS = ['user-id', 'email'] as const;
export type SuppressionKind = (typeof SUPPRESSION_KINDS)[number];

export const SUPPRESSION_REASONS = ['erasure', 'opt-out', 'complaint'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface SuppressionEntry {
  /** HMAC-SHA256 (hex) of the normalised identifier, keyed with the deployment's secret. */
  readonly hash: string;
  readonly kind: SuppressionKind;
  readonly reason: SuppressionReason;
  /** ISO 8601, as `Date#toISOString` writes it. */
  readonly addedAt: string;
}

export interface SuppressionList {
  /**
   * Adds entries, durable when the promise resolves. Idempotent per hash: an entry whose hash is
   * already listed (or repeated in the same call) keeps the first one, its reason and its date.
   */
  add(entries: readonly SuppressionEntry[]): Promise<void>;
  /** The listed entries among these hashes, each once; [] when none is listed. */
  anyOf(hashes: readonly string[]): Promise<readonly SuppressionEntry[]>;
}

/**
 * A secret shorter than this makes e-mail hashes guessable by trying addresses; config asks for
 * more (32+), this is the floor below which no hash is computed at all.
 */
export const MIN_SUPPRESSION_SECRET_LENGTH = 16;

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The identifier as it is hashed. An e-mail address is trimmed, lower-cased and NFC-normalised
 * (the local part is case-sensitive in theory, never in practice, and "Jane@Example.COM" must not
 * escape a suppression of "jane@example.com"). A user id is `${channelId}|${userId}`, exact: channel
 * ids are opaque and case matters in them.
 */
export function normaliseIdentifier(kind: SuppressionKind, identifier: string): string {
  const normalised =
    kind === 'email'
      ? identifier.trim().normalize('NFC').toLowerCase().normalize('NFC')
      : identifier;
  if (normalised.length === 0) throw new RangeError(`suppression: empty ${kind} identifier`);
  return normalised;
}

/** The identifier of a channel user, as `suppressionHash(secret, 'user-id', ...)` expects it. */
export function userIdentifier(subject: Subject): string {
  return subjectKey(subject);
}

/**
 * The keyed hash of one identifier. The kind is part of what is hashed, so an e-mail address that
 * happens to equal some user id never matches it.
 */
export function suppressionHash(secret: string, kind: SuppressionKind, identifier: string): string {
  if (secret.length < MIN_SUPPRESSION_SECRET_LENGTH) {
    throw new RangeError(
      `suppression: the secret must be at least ${MIN_SUPPRESSION_SECRET_LENGTH} characters`,
    );
  }
  return createHmac('sha256', secret)
    .update(`${kind}\u0000${normaliseIdentifier(kind, identifier)}`, 'utf8')
    .digest('hex');
}

/**
 * The keyed hash that erasure lists for the person's LEDGER subject (`{channelId, userId: 'p:...'}`),
 * hashed as a user id is. Erasure (art. 17) deletes whole conversations at any age, retention only
 * old ones; verification looks this hash up to tell one from the other when the beginning of a
 * recent conversation is gone. It names nobody, and without the secret nobody can list it for a
 * person who was not erased.
 */
export function erasureMarkerHash(secret: string, ledgerSubject: Subject): string {
  return suppressionHash(secret, 'user-id', userIdentifier(ledgerSubject));
}

/** What to list for a person: one entry for their channel user id, one per e-mail address. */
export function suppressionEntriesFor(
  secret: string,
  person: { readonly subject?: Subject; readonly emails?: readonly string[] },
  reason: SuppressionReason,
  at: Date,
): readonly SuppressionEntry[] {
  const addedAt = at.toISOString();
  const entries: SuppressionEntry[] = [];
  if (person.subject) {
    const hash = suppressionHash(secret, 'user-id', userIdentifier(person.subject));
    entries.push({ hash, kind: 'user-id', reason, addedAt });
  }
  for (const email of person.emails ?? []) {
    entries.push({ hash: suppressionHash(secret, 'email', email), kind: 'email', reason, addedAt });
  }
  return entries;
}

/**
 * Checks an entry before it is stored, so every backend refuses the same things (RangeError): a
 * hash that is not a SHA-256 hex digest (a raw identifier must never land in the list), an unknown
 * kind or reason, a date that is not a canonical ISO string.
 */
export function checkSuppressionEntry(entry: SuppressionEntry): void {
  if (!HASH_PATTERN.test(entry.hash)) {
    throw new RangeError('suppression: hash must be 64 lower-case hex characters');
  }
  if (!(SUPPRESSION_KINDS as readonly string[]).includes(entry.kind)) {
    throw new RangeError('suppression: unknown kind');
  }
  if (!(SUPPRESSION_REASONS as readonly string[]).includes(entry.reason)) {
    throw new RangeError('suppression: unknown reason');
  }
  if (!isCanonicalIso(entry.addedAt)) {
    throw new RangeError('suppression: addedAt must be an ISO string as toISOString writes it');
  }
}

/** True for what `Date#toISOString` writes: such strings sort as their instants do. */
export function isCanonicalIso(value: string): boolean {
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
}
