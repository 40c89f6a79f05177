import { randomUUID } from 'node:crypto';
import { chained, type Sealer } from '../consent/chain.js';
import {
  LedgerConflictError,
  type AppendOptions,
  type ConsentDecision,
  type ConsentEvent,
} from '../consent/ledger.js';
import { subjectKey } from '../consent/subject.js';

/** The one subject every decision of an append must share: appends are atomic per subject. */
export function singleSubjectKey(decisions: readonly ConsentDecision[]): string {
  const keys = new Set(decisions.map((d) => subjectKey(d.subject)));
  const [key] = keys;
  if (keys.size !== 1 || key === undefined) {
    throw new RangeError('append takes decisions of exactly one subject');
  }
  return key;
}

/**
 * Idempotency key: a channel that redelivers an activity must not record its decisions twice.
 * Activity ids are unique within a conversation, not across conversations. The decision is part
 * of the key: activity ids come from the client, and a stop that reuses the id of an earlier
 * "yes" is another message, which must be recorded, not answered with the "yes" event.
 */
export function deliveryKey(
  event: Pick<ConsentDecision, 'conversationId' | 'activityId' | 'purposeId' | 'decision'>,
): string {
  return `${event.conversationId}|${event.activityId}|${event.purposeId}|${event.decision}`;
}

/** Compare-and-append: the subject's head must still be the one the caller decided on. */
export function checkHead(head: number, options: AppendOptions | undefined): void {
  if (options?.expectedHead !== undefined && options.expectedHead !== head) {
    throw new LedgerConflictError(
      `ledger moved on: head is ${head}, decisions were made at ${options.expectedHead}`,
    );
  }
}

/** What a consent store is opened with. */
export interface ConsentStoreOptions {
  /** Seals every event appended (the server's and tools' stores); without it, none are sealed. */
  readonly seal?: Sealer;
}

/**
 * A new event at `seq`, chained onto the subject's chain after the event whose hash is given, and
 * sealed when a sealer is given.
 */
export function toEvent(
  decision: ConsentDecision,
  seq: number,
  recordedAt: Date,
  prevHash: string,
  seal?: Sealer,
): ConsentEvent {
  return chained(
    { ...decision, id: randomUUID(), seq, recordedAt: recordedAt.toISOString() },
    prevHash,
    seal,
  );
}
