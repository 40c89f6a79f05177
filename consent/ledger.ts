import type { Catalogue, Locale, Purpose } from './catalogue.js';
import type { Subject } from './subject.js';

/**
 * What a person decided about one purpose. To prove consent (GDPR art. 7(1)), every decision is
 * kept with the notice version, the hash of the exact text shown, language, channel, time and
 * conversation id.
 */
export const DECISIONS = ['given', 'refused', 'withdrawn', 'confirmed', 'expired'] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * `pending`: given for an e-mail purpose, waiting for the person to open the confirmation link
 * (double opt-in). Only `granted` allows use of the data or contact.
 */
export const STATUSES = ['granted', 'pending', 'refused', 'withdrawn', 'unknown'] as const;
export type ConsentStatus = (typeof STATUSES)[number];

/**
 * Where a decision came from: the consent conversation, the opt-out guard, a link in an e-mail
 * (double opt-in confirmation, one-click unsubscribe), an API caller, the expiry of a token.
 */
export type DecisionSource =
  'conversation' | 'opt-out' | 'email-confirmation' | 'email-unsubscribe' | 'api' | 'expiry';

export interface ConsentDecision {
  readonly subject: Subject;
  readonly purposeId: string;
  readonly decision: Decision;
  readonly purposeVersion: number;
  readonly catalogueVersion: string;
  /** sha256 of the exact text the person was shown before deciding (see NoticeArchive). */
  readonly noticeHash: string | null;
  readonly locale: Locale;
  readonly channelId: string;
  readonly conversationId: string;
  /** The channel activity that carried the decision: a redelivered activity records nothing new. */
  readonly activityId: string;
  readonly source: DecisionSource;
  /** True when the person made an express statement (GDPR art. 9(2)(a)). */
  readonly explicit: boolean;
  /**
   * The conversation's transcript as it stood when the decision was made: the first
   * `activities` stored activities of the conversation, whose digest (consent/transcript-digest.ts)
   * is `digest`. Part of the event's hash, so neither can be changed unseen. Absent for decisions
   * made outside a conversation (an e-mail link, an API call, an expiry).
   */
  readonly transcript?: TranscriptLink;
}

export interface TranscriptLink {
  readonly activities: number;
  readonly digest: string;
  /** Timestamp of the conversation's first activity: tells retention's cut from a deletion. */
  readonly firstAt: string;
}

/**
 * A decision about one purpose, stamped with the versions of the notice and catalogue the person
 * decided on (GDPR art. 7(1)). The one place where those two versions are filled in.
 */
export function decisionAbout(
  catalogue: Catalogue,
  purpose: Pick<Purpose, 'id' | 'version'>,
  fields: Omit<ConsentDecision, 'purposeId' | 'purposeVersion' | 'catalogueVersion'>,
): ConsentDecision {
  return {
    ...fields,
    purposeId: purpose.id,
    purposeVersion: purpose.version,
    catalogueVersion: catalogue.version,
  };
}

export interface ConsentEvent extends ConsentDecision {
  readonly id: string;
  /** Position in this subject's history, from 1, without gaps. */
  readonly seq: number;
  readonly recordedAt: string;
  /** Hash of the subject's previous event (consent/chain.ts): the chain that shows tampering. */
  readonly prevHash: string;
  /** sha256 over this event's canonical form, prevHash included (seal excluded). */
  readonly hash: string;
  /**
   * HMAC-SHA256 of `hash` under the server's ledger seal key (consent/chain.ts sealerOf): shows
   * the event was written by the server, not rewritten in the database. Absent on events written
   * before sealing, and by stores opened without a sealer (unit tests).
   */
  readonly seal?: string;
}

/**
 * The append-only consent ledger (GDPR art. 7(1): the controller must be able to demonstrate
 * consent). Nothing is ever updated or deleted; current status is derived from history.
 */
export interface ConsentLedger {
  /**
   * Appends decisions for one subject, all or none. Resolves only once they are durable: callers
   * tell the person "recorded" after this and never before. A decision whose (subject,
   * conversation, activity, purpose, decision) is already recorded is not recorded again: the
   * existing event is returned instead (a redelivered activity). Another message that reuses the
   * activity id with another decision is recorded, so a stop is never taken for a redelivered yes.
   *
   * `expectedHead`: the seq of the subject's last event (`head`) that the decisions were made on.
   * When the ledger has moved past it, nothing is written and the promise rejects with
   * LedgerConflictError: the caller re-reads and decides again. This is how a decision made on a
   * stale view (a "yes" racing a "stop" on another server) can never land after the stop.
   */
  append(
    decisions: readonly ConsentDecision[],
    recordedAt: Date,
    options?: AppendOptions,
  ): Promise<readonly ConsentEvent[]>;
  /** The seq of the subject's last event, 0 when none: what a caller passes as `expectedHead`. */
  head(subject: Subject): Promise<number>;
  /** Every event of one subject, oldest first. */
  history(subject: Subject): Promise<readonly ConsentEvent[]>;
  /**
   * The latest event of each purpose the subject decided on: what current status derives from.
   * Index-backed, so a turn never pays for the length of a person's history.
   */
  latest(subject: Subject): Promise<readonly ConsentEvent[]>;
}

/**
 * What compliance officers search the ledger by. Every field is optional; given fields combine
 * with AND. `from` is inclusive and `to` exclusive, on recordedAt.
 */
export interface LedgerQuery {
  /** The ledger's subject, i.e. already pseudonymised (bot/platform/secrets.ts ledgerSubject). */
  readonly subject?: Subject;
  readonly channelId?: string;
  readonly purposeId?: string;
  readonly decision?: Decision;
  readonly catalogueVersion?: string;
  readonly conversationId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export interface LedgerPage {
  /** Newest first: by recordedAt, then id, descending. */
  readonly events: readonly ConsentEvent[];
  /** Opaque keyset cursor for the next page; absent on the last page. */
  readonly next?: string;
}

/** How many decisions of one kind about one purpose in one period (UTC day or month). */
export interface DecisionCount {
  /** `YYYY-MM-DD` for days, `YYYY-MM` for months. */
  readonly period: string;
  readonly purposeId: string;
  readonly decision: Decision;
  readonly count: number;
}

export type Period = 'day' | 'month';

/**
 * Reading the whole ledger, for compliance review. Every method is index-backed on the
 * durable stores, so its cost follows what it returns, not the size of the ledger.
 */
export interface LedgerSearch {
  /** One page of matching events, newest first. `limit` from 1 to 1000. RangeError for a bad cursor. */
  search(query: LedgerQuery, page: { limit: number; after?: string }): Promise<LedgerPage>;
  /**
   * Every matching event, read in batches, so a caller that streams them uses constant memory.
   * `recorded`: oldest first (recordedAt, id); `chain`: subject by subject, each in seq order,
   * which is how verification walks the chains.
   */
  scan(query: LedgerQuery, order: 'recorded' | 'chain'): AsyncIterable<ConsentEvent>;
  /** Decisions counted per period, purpose and decision kind, for consent and withdrawal rates. */
  countDecisions(query: LedgerQuery, period: Period): Promise<readonly DecisionCount[]>;
}

/** The exact text shown for a purpose, kept forever, addressed by its hash, never changed. */
export interface NoticeRecord {
  readonly hash: string;
  readonly purposeId: string;
  readonly purposeVersion: number;
  readonly catalogueVersion: string;
  readonly locale: Locale;
  readonly text: string;
}

export interface NoticeArchive {
  /** Idempotent: archiving the same text twice keeps the first record. Durable on resolve. */
  archive(notice: NoticeRecord): Promise<void>;
  get(hash: string): Promise<NoticeRecord | undefined>;
}

export interface AppendOptions {
  readonly expectedHead?: number;
}

export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
}

/**
 * The subject's ledger moved on since the caller read it (compare-and-append): nothing was
 * written. Not an outage: the caller re-reads and decides on the fresh view.
 */
export class LedgerConflictError extends Error {
  readonly code = 'LEDGER_CONFLICT';
}

/** The head a list of a subject's events ends at (`latest` includes the subject's last event). */
export function headOf(events: readonly Pick<ConsentEvent, 'seq'>[]): number {
  return events.reduce((max, event) => Math.max(max, event.seq), 0);
}

export interface PurposeStatus {
  readonly purposeId: string;
  readonly status: ConsentStatus;
  /** The event the status derives from; absent while unknown. */
  readonly event?: ConsentEvent;
}

/** E-mail purposes need the address confirmed before consent counts (double opt-in). */
export function needsDoubleOptIn(purpose: Purpose): boolean {
  return purpose.contactChannel === 'email';
}

function statusOf(purpose: Purpose, decision: Decision): ConsentStatus {
  switch (decision) {
    case 'given':
      return needsDoubleOptIn(purpose) ? 'pending' : 'granted';
    case 'confirmed':
      return 'granted';
    case 'refused':
      return 'refused';
    case 'withdrawn':
      return 'withdrawn';
    case 'expired':
      // The link was never opened: no consent, and the question can be asked again.
      return 'unknown';
  }
}

/** Current status of every purpose of the catalogue, from the latest event for each. */
export function deriveStatuses(
  catalogue: Catalogue,
  history: readonly ConsentEvent[],
): readonly PurposeStatus[] {
  const latest = new Map<string, ConsentEvent>();
  for (const event of history) {
    const seen = latest.get(event.purposeId);
    if (!seen || event.seq > seen.seq) latest.set(event.purposeId, event);
  }
  return catalogue.purposes.map((purpose) => {
    const event = latest.get(purpose.id);
    return event
      ? { purposeId: purpose.id, status: statusOf(purpose, event.decision), event }
      : { purposeId: purpose.id, status: 'unknown' };
  });
}

/** CNIL: a refusal is kept (not asked again) for about six months. */
export const DEFAULT_REFUSAL_PAUSE_MS = 183 * 24 * 60 * 60 * 1000;

/**
 * Which purposes to ask about in a new conversation: those never decided, those decided on an
 * older version of their notice (re-consent), and refusals older than the pause. A withdrawal is
 * never asked again unprompted: the person said stop, and only they can start again.
 */
export function purposesToAsk(
  catalogue: Catalogue,
  statuses: readonly PurposeStatus[],
  now: Date,
  refusalPauseMs: number = DEFAULT_REFUSAL_PAUSE_MS,
): readonly string[] {
  return catalogue.purposes
    .filter((purpose) => {
      const status = statuses.find((s) => s.purposeId === purpose.id);
      if (!status?.event || status.status === 'unknown') return true;
      if (status.status === 'withdrawn' || status.status === 'pending') return false;
      if (status.event.purposeVersion < purpose.version) return true;
      if (status.status === 'refused') {
        return now.getTime() - Date.parse(status.event.recordedAt) >= refusalPauseMs;
      }
      return false;
    })
    .map((purpose) => purpose.id);
}
