import { randomUUID } from 'node:crypto';
import { chained } from '../consent/chain.js';
import type { ConsentDecision, ConsentEvent } from '../consent/ledger.js';
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
 * Activity ids are unique within a conversation, not across conversations.
 */
export function deliveryKey(
  event: Pick<ConsentDecision, 'conversationId' | 'activityId' | 'purposeId'>,
): string {
  return `${event.conversationId}|${event.activityId}|${event.purposeId}`;
}

/** A new event at `seq`, sealed onto the subject's chain after the event whose hash is given. */
export function toEvent(
  decision: ConsentDecision,
  seq: number,
  recordedAt: Date,
  prevHash: string,
): ConsentEvent {
  return chained(
    { ...decision, id: randomUUID(), seq, recordedAt: recordedAt.toISOString() },
    prevHash,
  );
}
